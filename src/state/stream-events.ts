// The events of the event stream (/v1/event/stream), derived where the FSM applies an entry:
// each entry type that Nomad publishes has an event type, and every job, allocation,
// evaluation, deployment or node the entry stored becomes one event of that type (a removed
// node, ACL policy or token too). Payload objects are the stored ones, shared and never copied
// here: shaping them for the wire (an allocation without its job, a node or token without its
// secret) is the encoder's job.
import type { ChangedObject, TxnChange } from './txn-changes.js';
import type { LogEntryType } from './log-entries.js';

/** The topics a subscriber may ask for ("*" is every topic). */
export const EVENT_TOPICS = ['*', 'Job', 'Allocation', 'Evaluation', 'Deployment', 'Node', 'NodeDrain', 'ACLToken', 'ACLPolicy', 'Service'] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];

export interface StreamEvent {
  Topic: EventTopic;
  Type: string;
  Key: string;
  /** '' for objects outside namespaces (nodes). */
  Namespace: string;
  FilterKeys: string[] | null;
  Index: number;
  /** The stored object the payload is made of. */
  object: ChangedObject;
}

/** Every event of one applied entry. */
export interface EventBatch {
  Index: number;
  Events: StreamEvent[];
}

/** Nomad's event type for each entry type that publishes events; others publish none. */
const EVENT_TYPE: Partial<Record<LogEntryType, string>> = {
  JobRegister: 'JobRegistered',
  JobDeregister: 'JobDeregistered',
  JobBatchDelete: 'JobBatchDeregistered',
  EvalUpsert: 'EvaluationUpdated',
  PlanApply: 'PlanResult',
  NodeRegister: 'NodeRegistration',
  NodeDeregister: 'NodeDeregistration',
  NodeUpdateStatus: 'NodeStreamEvent',
  NodeUpdateEligibility: 'NodeDrain',
  NodeUpdateDrain: 'NodeDrain',
  AllocClientUpdate: 'AllocationUpdated',
  AllocDesiredTransition: 'AllocationUpdateDesiredStatus',
  DeploymentStatus: 'DeploymentStatusUpdate',
  DeploymentPromote: 'DeploymentPromotion',
  DeploymentAllocHealth: 'DeploymentAllocHealth',
  AclPolicyUpsert: 'ACLPolicyUpserted',
  AclPolicyDelete: 'ACLPolicyDeleted',
  AclTokenUpsert: 'ACLTokenUpserted',
  AclTokenDelete: 'ACLTokenDeleted',
};

/** Whether an entry of this type publishes events at all (the FSM records changes only then). */
export function publishesEvents(type: LogEntryType): boolean {
  return EVENT_TYPE[type] !== undefined;
}

export function eventsOf(type: LogEntryType, index: number, changes: readonly TxnChange[]): EventBatch | null {
  const eventType = EVENT_TYPE[type];
  if (eventType === undefined) return null;
  const events: StreamEvent[] = [];
  for (const c of changes) {
    const e = eventOf(c, eventType, index);
    if (e !== null) events.push(e);
  }
  return { Index: index, Events: events };
}

function eventOf(change: TxnChange, type: string, index: number): StreamEvent | null {
  const o = change.object;
  // Of removed objects only nodes and ACL objects are told about, as Nomad does.
  if (change.deleted && o.table !== 'nodes' && o.table !== 'acl_policy' && o.table !== 'acl_token') return null;
  switch (o.table) {
    case 'jobs':
      return { Topic: 'Job', Type: type, Key: o.value.ID, Namespace: o.value.Namespace, FilterKeys: null, Index: index, object: o };
    case 'allocs':
      return { Topic: 'Allocation', Type: type, Key: o.value.ID, Namespace: o.value.Namespace, FilterKeys: [o.value.JobID, o.value.DeploymentID ?? ''], Index: index, object: o };
    case 'evals':
      return { Topic: 'Evaluation', Type: type, Key: o.value.ID, Namespace: o.value.Namespace, FilterKeys: [o.value.JobID, o.value.DeploymentID ?? ''], Index: index, object: o };
    case 'deployment':
      return { Topic: 'Deployment', Type: type, Key: o.value.ID, Namespace: o.value.Namespace, FilterKeys: [o.value.JobID], Index: index, object: o };
    case 'nodes':
      return { Topic: 'Node', Type: type, Key: o.value.ID, Namespace: '', FilterKeys: null, Index: index, object: o };
    case 'acl_policy':
      return { Topic: 'ACLPolicy', Type: type, Key: o.value.Name, Namespace: '', FilterKeys: null, Index: index, object: o };
    case 'acl_token':
      return { Topic: 'ACLToken', Type: type, Key: o.value.AccessorID, Namespace: '', FilterKeys: null, Index: index, object: o };
  }
}

/** A subscription's filter: topic -> keys ("*" matches every key), and a namespace ("*" every one). */
export interface EventFilter {
  topics: Map<EventTopic, string[]>;
  namespace: string;
  /** Further narrows namespaced events (a token's view across namespaces). */
  namespaceAllowed?: (namespace: string) => boolean;
}

/** Drain and eligibility changes are Node events; the NodeDrain topic selects just those. */
function topicKeys(filter: EventFilter, e: StreamEvent): string[] | undefined {
  const all = filter.topics.get('*');
  const own = filter.topics.get(e.Topic);
  const drain = e.Topic === 'Node' && e.Type === 'NodeDrain' ? filter.topics.get('NodeDrain') : undefined;
  if (all === undefined && own === undefined && drain === undefined) return undefined;
  return [...(all ?? []), ...(own ?? []), ...(drain ?? [])];
}

export function eventMatches(filter: EventFilter, e: StreamEvent): boolean {
  if (e.Namespace !== '' && filter.namespace !== '*' && e.Namespace !== filter.namespace) return false;
  if (e.Namespace !== '' && filter.namespaceAllowed !== undefined && !filter.namespaceAllowed(e.Namespace)) return false;
  const keys = topicKeys(filter, e);
  if (keys === undefined) return false;
  for (const k of keys) {
    if (k === '*' || k === e.Key) return true;
    if (e.FilterKeys !== null && e.FilterKeys.includes(k)) return true;
  }
  return false;
}
