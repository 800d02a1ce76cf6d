// Nodes in the FSM: registration (keeping what only the servers decide), status, eligibility,
// drain, deregistration; each with its bounded event history.
import { badRequest, notFound } from '../structs/errors.js';
import type { DrainMetadata, DrainStrategy, Node, NodeEvent, NodeStatus, SchedulingEligibility } from '../structs/node.js';
import { rfc3339Nano } from '../structs/time.js';
import type { ApplyContext } from './fsm-context.js';
import { formatRfc3339Seconds } from './time-util.js';

/** Nomad keeps the last 10 events of a node (MaxRetainedNodeEvents). */
export const MAX_RETAINED_NODE_EVENTS = 10;

function appendEvents(index: number, events: readonly NodeEvent[] | null, added: readonly NodeEvent[]): NodeEvent[] {
  const all = [...(events ?? []), ...added.map((e) => ({ ...e, CreateIndex: index }))];
  return all.length > MAX_RETAINED_NODE_EVENTS ? all.slice(all.length - MAX_RETAINED_NODE_EVENTS) : all;
}

function clusterEvent(message: string, unixSeconds: number): NodeEvent {
  return { Message: message, Subsystem: 'Cluster', Details: null, Timestamp: formatRfc3339Seconds(unixSeconds), CreateIndex: 0 };
}

function existingNode(ctx: ApplyContext, id: string): Node {
  const node = ctx.txn.node(id);
  if (node === undefined) throw notFound(`node not found: ${id}`);
  return node;
}

export function registerNode(ctx: ApplyContext, input: Node, timestampNs: number): void {
  if (input === null || typeof input !== 'object' || typeof input.ID !== 'string' || input.ID === '') {
    throw badRequest('Node: missing node ID', 'Node.ID');
  }
  const { txn, index } = ctx;
  const existing = txn.node(input.ID);
  const statusUpdatedAt = Math.floor(timestampNs / 1e9);
  let node: Node;
  if (existing !== undefined) {
    node = {
      ...input,
      StatusUpdatedAt: statusUpdatedAt,
      CreateIndex: existing.CreateIndex,
      ModifyIndex: index,
      Events: existing.Events,
      // Drain and eligibility are the operators' decisions, not the client's.
      Drain: existing.Drain,
      SchedulingEligibility: existing.SchedulingEligibility,
      DrainStrategy: existing.DrainStrategy,
      LastDrain: existing.LastDrain,
    };
    if (existing.Status === 'down' && input.Status !== 'down') {
      node.Events = appendEvents(index, node.Events, [clusterEvent('Node re-registered', statusUpdatedAt)]);
    }
  } else {
    node = {
      ...input,
      StatusUpdatedAt: statusUpdatedAt,
      Events: [clusterEvent('Node registered', statusUpdatedAt)],
      CreateIndex: index,
      ModifyIndex: index,
    };
  }
  txn.putNode(node);
}

export function deregisterNodes(ctx: ApplyContext, ids: readonly string[]): void {
  for (const id of ids) {
    if (!ctx.txn.deleteNode(id)) throw notFound(`node not found: ${id}`);
  }
}

export function updateNodeStatus(ctx: ApplyContext, id: string, status: NodeStatus, event: NodeEvent | null, timestampNs: number): void {
  const node = existingNode(ctx, id);
  ctx.txn.putNode({
    ...node,
    Status: status,
    StatusUpdatedAt: Math.floor(timestampNs / 1e9),
    Events: event !== null && event !== undefined ? appendEvents(ctx.index, node.Events, [event]) : node.Events,
    ModifyIndex: ctx.index,
  });
}

export function updateNodeEligibility(ctx: ApplyContext, id: string, eligibility: SchedulingEligibility, event: NodeEvent | null): void {
  const node = existingNode(ctx, id);
  if (node.DrainStrategy !== null && eligibility === 'eligible') {
    throw badRequest(`can not set node ${id}'s scheduling eligibility to eligible while it is draining`, 'Eligibility');
  }
  ctx.txn.putNode({
    ...node,
    SchedulingEligibility: eligibility,
    Events: event !== null && event !== undefined ? appendEvents(ctx.index, node.Events, [event]) : node.Events,
    ModifyIndex: ctx.index,
  });
}

/** Node.LastDrain after a drain change: a new drain starts a record, an end says how it ended. */
function lastDrain(node: Node, drain: DrainStrategy | null, last: { timestampNs: number | null; complete: boolean; meta: Record<string, string> | null }): DrainMetadata | null {
  if (last.timestampNs === null) return node.LastDrain;
  const at = rfc3339Nano(last.timestampNs);
  const prev = node.LastDrain;
  if (drain !== null) {
    if (node.DrainStrategy !== null && prev) return { ...prev, UpdatedAt: at, Meta: last.meta ?? prev.Meta };
    return { StartedAt: at, UpdatedAt: at, Status: 'draining', AccessorID: '', Meta: last.meta };
  }
  if (!prev || node.DrainStrategy === null) return prev;
  return { ...prev, UpdatedAt: at, Status: last.complete ? 'complete' : 'canceled', Meta: last.meta ?? prev.Meta };
}

export function updateNodeDrain(
  ctx: ApplyContext,
  id: string,
  drain: DrainStrategy | null,
  markEligible: boolean,
  event: NodeEvent | null,
  last: { timestampNs: number | null; complete: boolean; meta: Record<string, string> | null } = { timestampNs: null, complete: false, meta: null },
): void {
  const node = existingNode(ctx, id);
  let eligibility = node.SchedulingEligibility;
  if (drain !== null) eligibility = 'ineligible';
  else if (markEligible) eligibility = 'eligible';
  ctx.txn.putNode({
    ...node,
    Drain: drain !== null,
    DrainStrategy: drain,
    SchedulingEligibility: eligibility,
    LastDrain: lastDrain(node, drain, last),
    Events: event !== null && event !== undefined ? appendEvents(ctx.index, node.Events, [event]) : node.Events,
    ModifyIndex: ctx.index,
  });
}
