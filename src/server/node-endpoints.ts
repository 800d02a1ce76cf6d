// What clients call on the servers (src/rpc/protocol.ts): register, heartbeat, pull their
// allocations with a blocking query, and report allocation status. Status reports are group
// committed: one arriving while none is being written goes to the log at once (a task turning
// running is seen without a timer's delay), and those arriving while a write is in flight wait
// for it and then go together in one entry, so a busy client cluster costs one entry per log
// write instead of one per allocation.
import type { Allocation } from '../structs/alloc.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { DrainSpec, DrainStrategy, Node, NodeEvent, NodeStatus } from '../structs/node.js';
import type { ReschedulePolicy } from '../structs/job.js';
import { NomadError, badRequest, notFound } from '../structs/errors.js';
import { rfc3339Nano } from '../structs/time.js';
import type {
  AllocClientUpdate,
  ClientServerRpc,
  NodeClientAllocsResponse,
  NodeDrainResponse,
  NodeHeartbeatResponse,
  NodeRegisterResponse,
} from '../rpc/protocol.js';
import type { StateReader } from '../state/reader.js';
import { sameSecret } from '../acl/node-identity.js';
import { ZERO_TIME } from '../state/time-util.js';
import { watchKey } from '../state/watch-keys.js';
import { writeChecked, type ServerContext } from './context.js';
import { jobKey, newEval, type ServerEnv } from './eval-factory.js';
import { nodeEvals, SystemJobsCache } from './node-evals.js';

const NODE_STATUSES = new Set<NodeStatus>(['initializing', 'ready', 'down', 'disconnected']);
/** Clients may not block longer than this on one GetClientAllocs. */
const MAX_BLOCKING_WAIT_MS = 10 * 60_000;

export interface NodeEndpointsOptions {
  /** Bound on updates written in one log entry; the rest go in the next. */
  maxAllocUpdateBatch?: number;
}

interface UpdateBatch {
  updates: AllocClientUpdate[];
  waiters: Array<{ resolve: (r: { Index: number }) => void; reject: (e: Error) => void }>;
}

export class NodeEndpoints implements ClientServerRpc {
  private readonly systemJobs = new SystemJobsCache();
  /** Updates waiting for the next write. */
  private batch: UpdateBatch | null = null;
  /** The write in flight, if any: updates arriving meanwhile join the next batch. */
  private writing: Promise<void> | null = null;
  /** A write is due on the next turn of the event loop (updates of one turn go together). */
  private writeScheduled = false;
  private readonly maxBatch: number;

  constructor(
    private readonly ctx: ServerContext,
    opts: NodeEndpointsOptions = {},
  ) {
    this.maxBatch = opts.maxAllocUpdateBatch ?? 1_000;
  }

  async nodeRegister(node: Node): Promise<NodeRegisterResponse> {
    validateNode(node);
    const snap = this.ctx.store.snapshot();
    const existing = snap.nodeByID(node.ID);
    if (existing && existing.SecretID && !sameSecret(existing.SecretID, node.SecretID)) {
      throw new NomadError('forbidden', 'node secret ID does not match. Not registering node.', 'Node.SecretID');
    }
    const status: NodeStatus = node.Status || 'initializing';
    const index = await writeChecked(this.ctx, { Type: 'NodeRegister', Node: { ...node, Status: status }, TimestampNs: this.ctx.clock.nowNs() });
    // A node that is (again) ready may take system jobs and replace what was lost.
    if (status === 'ready' && existing?.Status !== 'ready') await this.writeNodeEvals(node.ID);
    const ttl = status === 'down' ? 0 : this.ctx.heartbeats.reset(node.ID);
    if (status === 'down') this.ctx.heartbeats.clear(node.ID);
    return { HeartbeatTTLMs: ttl, Index: index, LeaderRPCAddr: this.ctx.leaderRpcAddr(), Servers: this.ctx.serverRpcAddrs() };
  }

  async nodeUpdateStatus(nodeId: string, status: NodeStatus, event?: NodeEvent): Promise<NodeHeartbeatResponse> {
    if (!nodeId) throw badRequest('missing node ID for client status update', 'NodeID');
    if (!NODE_STATUSES.has(status)) throw badRequest(`invalid status "${status}" for node: must be one of initializing, ready, down, disconnected`, 'Status');
    const snap = this.ctx.store.snapshot();
    const node = snap.nodeByID(nodeId);
    if (!node) throw notFound(`node not found: ${nodeId}`);
    let index = snap.latestIndex();
    if (node.Status !== status || event) {
      const evals = node.Status !== status && (status === 'ready' || status === 'down') ? nodeEvals(this.ctx, snap, node, this.systemJobs.get(snap)) : [];
      index = await writeChecked(this.ctx, { Type: 'NodeUpdateStatus', NodeID: nodeId, Status: status, Event: event ?? null, Evals: evals, TimestampNs: this.ctx.clock.nowNs() });
    }
    let ttl = 0;
    if (status === 'down') this.ctx.heartbeats.clear(nodeId);
    else ttl = this.ctx.heartbeats.reset(nodeId);
    return { HeartbeatTTLMs: ttl, Index: index, Servers: this.ctx.serverRpcAddrs() };
  }

  /** Called by the heartbeat timers when a node missed its TTL. */
  async markDown(nodeId: string): Promise<void> {
    const snap = this.ctx.store.snapshot();
    const node = snap.nodeByID(nodeId);
    if (!node || node.Status === 'down') return;
    const event: NodeEvent = { Message: 'Node heartbeat missed', Subsystem: 'Cluster', Details: null, Timestamp: rfc3339Nano(this.ctx.clock.nowNs()), CreateIndex: 0 };
    const evals = nodeEvals(this.ctx, snap, node, this.systemJobs.get(snap));
    await writeChecked(this.ctx, { Type: 'NodeUpdateStatus', NodeID: nodeId, Status: 'down', Event: event, Evals: evals, TimestampNs: this.ctx.clock.nowNs() });
    this.ctx.logger.info('node heartbeat missed: marked down', { node_id: nodeId, evals: evals.length });
  }

  async nodeUpdateFingerprint(node: Node): Promise<{ Index: number }> {
    validateNode(node);
    const existing = this.ctx.store.snapshot().nodeByID(node.ID);
    if (!existing) throw notFound(`node not found: ${node.ID}`);
    // The servers own status, eligibility and drain; the client only brings its fingerprint.
    const merged: Node = {
      ...node,
      Status: existing.Status,
      SchedulingEligibility: existing.SchedulingEligibility,
      Drain: existing.Drain,
      DrainStrategy: existing.DrainStrategy,
    };
    const index = await writeChecked(this.ctx, { Type: 'NodeRegister', Node: merged, TimestampNs: this.ctx.clock.nowNs() });
    return { Index: index };
  }

  /**
   * PUT /v1/node/:id/purge: forgets the node at once (what node GC does after node_gc_threshold),
   * with evaluations for its jobs so that what ran there is placed again elsewhere. A client
   * still alive registers anew at its next heartbeat.
   */
  async deregister(nodeId: string): Promise<NodeDrainResponse> {
    const snap = this.ctx.store.snapshot();
    const node = snap.nodeByID(nodeId);
    if (!node) throw notFound('node not found');
    const evals = nodeEvals(this.ctx, snap, node, this.systemJobs.get(snap));
    const index = await writeChecked(this.ctx, { Type: 'NodeDeregister', NodeIDs: [nodeId] });
    const evalIndex = evals.length > 0 ? await writeChecked(this.ctx, { Type: 'EvalUpsert', Evals: evals }) : 0;
    this.ctx.logger.info('node purged', { node_id: nodeId, evals: evals.length });
    return { EvalIDs: evals.map((e) => e.ID), EvalCreateIndex: evalIndex, NodeModifyIndex: index, Index: Math.max(index, evalIndex) };
  }

  /** nomad node eligibility: no new placements on an ineligible node; evals for its jobs. */
  async updateEligibility(nodeId: string, eligibility: string): Promise<{ EvalIDs: string[]; EvalCreateIndex: number; NodeModifyIndex: number; Index: number }> {
    if (eligibility !== 'eligible' && eligibility !== 'ineligible') throw badRequest(`invalid scheduling eligibility "${eligibility}": must be "eligible" or "ineligible"`, 'Eligibility');
    const snap = this.ctx.store.snapshot();
    const node = snap.nodeByID(nodeId);
    if (!node) throw notFound('node not found');
    if (node.DrainStrategy && eligibility === 'eligible') throw badRequest('can not set node\'s scheduling eligibility to eligible while it is draining', 'Eligibility');
    const evals = eligibility === 'eligible' && node.SchedulingEligibility !== 'eligible' ? nodeEvals(this.ctx, snap, node, this.systemJobs.get(snap)) : [];
    const event: NodeEvent = { Message: eligibility === 'eligible' ? 'Node marked as eligible for scheduling' : 'Node marked as ineligible for scheduling', Subsystem: 'Cluster', Details: null, Timestamp: rfc3339Nano(this.ctx.clock.nowNs()), CreateIndex: 0 };
    const index = await writeChecked(this.ctx, { Type: 'NodeUpdateEligibility', NodeID: nodeId, Eligibility: eligibility, Event: event, Evals: evals });
    return { EvalIDs: evals.map((e) => e.ID), EvalCreateIndex: evals.length ? index : 0, NodeModifyIndex: index, Index: index };
  }

  /**
   * nomad node drain: stores the drain strategy built from `spec` (null cancels the drain); the
   * drainer on the leader does the rest. A positive deadline becomes the time at which what is
   * left is forced off; a negative one forces at once; zero waits as long as it takes.
   */
  async updateDrain(nodeId: string, spec: DrainSpec | null, markEligible: boolean, meta: Record<string, string> | null = null): Promise<NodeDrainResponse> {
    const snap = this.ctx.store.snapshot();
    const node = snap.nodeByID(nodeId);
    if (!node) throw notFound('node not found');
    if (spec !== null && (typeof spec.Deadline !== 'number' || !Number.isFinite(spec.Deadline))) throw badRequest('DrainSpec.Deadline must be a number of nanoseconds', 'DrainSpec.Deadline');
    const nowNs = this.ctx.clock.nowNs();
    const strategy: DrainStrategy | null =
      spec === null
        ? null
        : {
            Deadline: spec.Deadline,
            IgnoreSystemJobs: spec.IgnoreSystemJobs === true,
            ForceDeadline: spec.Deadline > 0 ? rfc3339Nano(nowNs + spec.Deadline) : ZERO_TIME,
            // A drain already under way keeps its start.
            StartedAt: node.DrainStrategy?.StartedAt ?? rfc3339Nano(nowNs),
          };
    const event: NodeEvent = { Message: strategy ? 'Node drain strategy set' : 'Node drain strategy cancelled', Subsystem: 'Drain', Details: null, Timestamp: rfc3339Nano(nowNs), CreateIndex: 0 };
    // Ending a drain makes the node's jobs look again (it may take work once eligible).
    const evals = strategy === null && markEligible ? nodeEvals(this.ctx, snap, node, this.systemJobs.get(snap)) : [];
    const index = await writeChecked(this.ctx, { Type: 'NodeUpdateDrain', NodeID: nodeId, DrainStrategy: strategy, MarkEligible: markEligible, Event: event, TimestampNs: nowNs, Meta: meta });
    if (evals.length > 0) await writeChecked(this.ctx, { Type: 'EvalUpsert', Evals: evals });
    return { EvalIDs: evals.map((e) => e.ID), EvalCreateIndex: evals.length > 0 ? index : 0, NodeModifyIndex: index, Index: index };
  }

  /**
   * The node's allocations as ID -> AllocModifyIndex (Nomad's shape), once that map changed past
   * minIndex (at once for minIndex 0). Its Index is the index of the map's last change: an
   * allocation placed on the node, removed, or changed by the servers. Nomad's is the highest
   * ModifyIndex, which also moves with what the client reports itself: the client was answered
   * its unchanged map after each of its own status updates, the whole map each time.
   *
   * With changesOnly, the answer lists only the allocations whose AllocModifyIndex is past
   * minIndex, unless one left the node's list since (Complete then, the whole list): a node of
   * 200 allocations given one more is told of one, not of 201. Every allocation at or below
   * minIndex was in an earlier answer, built from a state at or past that index.
   */
  async nodeGetClientAllocs(nodeId: string, minIndex: number, maxWaitMs: number, changesOnly = false, signal?: AbortSignal): Promise<NodeClientAllocsResponse> {
    if (!nodeId) throw badRequest('missing node ID', 'NodeID');
    const deadline = this.ctx.clock.nowMs() + Math.min(Math.max(0, maxWaitMs), MAX_BLOCKING_WAIT_MS);
    const watch = [watchKey.nodeAllocVersions(nodeId)];
    for (;;) {
      const remaining = deadline - this.ctx.clock.nowMs();
      // The key's index is at or above the map's last change (see KeyIndexes): at or below
      // minIndex the map is as the client has it, and is not built only to be dropped.
      const mapIndex = this.ctx.store.keysIndex(watch);
      if (mapIndex > minIndex || minIndex === 0 || remaining <= 0 || signal?.aborted) {
        const complete = !changesOnly || minIndex === 0 || this.ctx.store.keysIndex([watchKey.nodeAllocRemovals(nodeId)]) > minIndex;
        return { Allocs: clientAllocs(this.ctx.store.snapshot(), nodeId, complete ? 0 : minIndex), Index: Math.max(mapIndex, 1), Complete: complete };
      }
      await this.ctx.store.waitForKeys(watch, minIndex, remaining, signal);
    }
  }

  /** The node as stored, once its ModifyIndex passes minIndex (or the wait ends): a client following its own drain. */
  async nodeGet(nodeId: string, minIndex: number, maxWaitMs: number, signal?: AbortSignal): Promise<{ Node: Node | null; Index: number }> {
    if (!nodeId) throw badRequest('missing node ID', 'NodeID');
    const deadline = this.ctx.clock.nowMs() + Math.min(Math.max(0, maxWaitMs), MAX_BLOCKING_WAIT_MS);
    const watch = [watchKey.node(nodeId)];
    for (;;) {
      const snap = this.ctx.store.snapshot();
      const node = snap.nodeByID(nodeId);
      const index = node?.ModifyIndex ?? snap.tableIndex('nodes');
      const remaining = deadline - this.ctx.clock.nowMs();
      if (index > minIndex || remaining <= 0 || signal?.aborted) return { Node: node, Index: Math.max(index, 1) };
      await this.ctx.store.waitForKeys(watch, Math.max(minIndex, this.ctx.store.keysIndex(watch)), remaining, signal);
    }
  }

  async allocGetAllocs(ids: string[], minIndex: number): Promise<{ Allocs: Allocation[]; Index: number }> {
    const snap = await this.ctx.store.snapshotMinIndex(minIndex, 10_000);
    const out: Allocation[] = [];
    for (const id of ids) {
      const a = snap.allocByID(id);
      if (!a) continue;
      out.push(a.Job ? a : { ...a, Job: snap.jobByID(a.Namespace, a.JobID) });
    }
    return { Allocs: out, Index: Math.max(snap.tableIndex('allocs'), 1) };
  }

  nodeUpdateAllocs(updates: AllocClientUpdate[]): Promise<{ Index: number }> {
    for (const [i, u] of updates.entries()) {
      if (!u || typeof u.ID !== 'string' || !u.ID) return Promise.reject(badRequest(`missing allocation ID in update ${i}`, `Alloc[${i}].ID`));
    }
    if (updates.length === 0) return Promise.resolve({ Index: this.ctx.store.snapshot().latestIndex() });
    return new Promise((resolve, reject) => {
      const b = (this.batch ??= { updates: [], waiters: [] });
      for (const u of updates) b.updates.push(u);
      b.waiters.push({ resolve, reject });
      this.scheduleWrite();
    });
  }

  private scheduleWrite(): void {
    if (this.writing !== null || this.writeScheduled) return;
    this.writeScheduled = true;
    this.ctx.clock.defer(() => {
      this.writeScheduled = false;
      void this.writeNext();
    });
  }

  /** Writes what is waiting, then whatever gathered meanwhile, until nothing is left. */
  private async writeNext(): Promise<void> {
    if (this.writing !== null) return;
    while (this.batch !== null) {
      const b = this.takeBatch();
      this.writing = this.writeBatch(b);
      await this.writing;
      this.writing = null;
    }
  }

  /** The waiting batch, or its first maxBatch updates (the rest stay for the next write). */
  private takeBatch(): UpdateBatch {
    const b = this.batch!;
    if (b.updates.length <= this.maxBatch) {
      this.batch = null;
      return b;
    }
    // The waiters are answered with the last part of their updates: they stay with the rest.
    this.batch = { updates: b.updates.slice(this.maxBatch), waiters: b.waiters };
    return { updates: b.updates.slice(0, this.maxBatch), waiters: [] };
  }

  /** Writes any waiting alloc updates now (shutdown, tests). */
  async flush(): Promise<void> {
    if (this.writing !== null) await this.writing;
    await this.writeNext();
  }

  private async writeBatch(b: UpdateBatch): Promise<void> {
    try {
      const snap = this.ctx.store.snapshot();
      const evals = rescheduleEvals(this.ctx, snap, b.updates);
      const index = await writeChecked(this.ctx, { Type: 'AllocClientUpdate', Updates: b.updates, Evals: evals, TimestampNs: this.ctx.clock.nowNs() });
      for (const w of b.waiters) w.resolve({ Index: index });
    } catch (e) {
      const err = e instanceof Error ? e : new NomadError('internal', String(e));
      for (const w of b.waiters) w.reject(err);
    }
  }

  private async writeNodeEvals(nodeId: string): Promise<void> {
    const snap = this.ctx.store.snapshot();
    const node = snap.nodeByID(nodeId);
    if (!node) return;
    const evals = nodeEvals(this.ctx, snap, node, this.systemJobs.get(snap));
    if (evals.length > 0) await writeChecked(this.ctx, { Type: 'EvalUpsert', Evals: evals });
  }
}

function validateNode(node: Node): void {
  const errs: string[] = [];
  if (!node || typeof node !== 'object') throw badRequest('missing node for client registration', 'Node');
  if (!node.ID) errs.push('missing node ID for client registration');
  if (!node.Datacenter) errs.push('missing datacenter for client registration');
  if (!node.Name) errs.push('missing node name for client registration');
  if (!node.SecretID) errs.push('missing node secret ID for client registration');
  if (node.Status && !NODE_STATUSES.has(node.Status)) errs.push(`invalid status "${node.Status}" for node`);
  if (errs.length) throw badRequest(errs.join('; '), 'Node');
}

/** The node's allocations as ID -> AllocModifyIndex, those changed after `after` only. */
function clientAllocs(snap: StateReader, nodeId: string, after: number): Record<string, number> {
  const allocs: Record<string, number> = {};
  for (const a of snap.allocsByNode(nodeId)) if (a.AllocModifyIndex > after) allocs[a.ID] = a.AllocModifyIndex;
  return allocs;
}

/** One alloc-failure eval per job whose failed allocation its reschedule policy lets go again. */
function rescheduleEvals(env: ServerEnv, snap: StateReader, updates: AllocClientUpdate[]): Evaluation[] {
  const nowMs = env.clock.nowMs();
  const out: Evaluation[] = [];
  const seen = new Set<string>();
  for (const u of updates) {
    if (u.ClientStatus !== 'failed') continue;
    const alloc = snap.allocByID(u.ID);
    if (!alloc || alloc.FollowupEvalID || alloc.ClientStatus === 'failed') continue;
    const job = snap.jobByID(alloc.Namespace, alloc.JobID) ?? alloc.Job;
    if (!job || job.Stop) continue;
    const key = jobKey(job.Namespace, job.ID);
    if (seen.has(key)) continue;
    const tg = job.TaskGroups.find((g) => g.Name === alloc.TaskGroup);
    if (!tg || !rescheduleEligible(tg.ReschedulePolicy, alloc, nowMs)) continue;
    seen.add(key);
    out.push(newEval(env, { Namespace: job.Namespace, JobID: job.ID, Type: job.Type, Priority: job.Priority, TriggeredBy: 'alloc-failure', JobModifyIndex: job.JobModifyIndex }));
  }
  return out;
}

export function rescheduleEligible(policy: ReschedulePolicy | null, alloc: Pick<Allocation, 'RescheduleTracker'>, nowMs: number): boolean {
  if (!policy) return false;
  if (policy.Unlimited) return true;
  if (policy.Attempts <= 0) return false;
  const windowStartNs = nowMs * 1e6 - policy.Interval;
  const recent = (alloc.RescheduleTracker?.Events ?? []).filter((e) => policy.Interval <= 0 || e.RescheduleTime >= windowStartNs).length;
  return recent < policy.Attempts;
}
