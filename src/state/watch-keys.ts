// What a blocking query can wait on: a whole table, one object, or the objects one owner has in
// a secondary index (a job's allocations, a node's allocations, ...). A write transaction
// reports the keys it changed, so a waiter wakes only for writes that concern it, as the watch
// sets of Nomad's state store do.
import type { TableName } from './reader.js';
import { nsKey } from './tables.js';

export type WatchKind =
  | 'table'
  | 'job'
  | 'jobSummary'
  | 'jobAllocs'
  | 'jobEvals'
  | 'jobDeployments'
  | 'node'
  | 'nodeAllocs'
  | 'nodeAllocVersions'
  | 'nodeAllocRemovals'
  | 'eval'
  | 'evalAllocs'
  | 'deployment'
  | 'deploymentAllocs';

export const WATCH_KINDS: readonly WatchKind[] = [
  'table',
  'job',
  'jobSummary',
  'jobAllocs',
  'jobEvals',
  'jobDeployments',
  'node',
  'nodeAllocs',
  'nodeAllocVersions',
  'nodeAllocRemovals',
  'eval',
  'evalAllocs',
  'deployment',
  'deploymentAllocs',
];

export interface WatchKey {
  readonly kind: WatchKind;
  /** The table name, the object's ID, or nsKey(namespace, ID) for namespaced objects. */
  readonly id: string;
}

/** The keys one committed write changed, by kind. */
export type ChangedKeys = ReadonlyMap<WatchKind, Iterable<string>>;

export const watchKey = {
  table: (t: TableName): WatchKey => ({ kind: 'table', id: t }),
  job: (namespace: string, id: string): WatchKey => ({ kind: 'job', id: nsKey(namespace, id) }),
  jobSummary: (namespace: string, id: string): WatchKey => ({ kind: 'jobSummary', id: nsKey(namespace, id) }),
  jobAllocs: (namespace: string, id: string): WatchKey => ({ kind: 'jobAllocs', id: nsKey(namespace, id) }),
  jobEvals: (namespace: string, id: string): WatchKey => ({ kind: 'jobEvals', id: nsKey(namespace, id) }),
  jobDeployments: (namespace: string, id: string): WatchKey => ({ kind: 'jobDeployments', id: nsKey(namespace, id) }),
  node: (id: string): WatchKey => ({ kind: 'node', id }),
  nodeAllocs: (nodeId: string): WatchKey => ({ kind: 'nodeAllocs', id: nodeId }),
  /**
   * The node's allocations as its client follows them (Node.GetClientAllocs): one placed there
   * or removed, or changed by the servers (its AllocModifyIndex). What the client reports itself
   * does not change this key, so the client is not woken by its own status updates.
   */
  nodeAllocVersions: (nodeId: string): WatchKey => ({ kind: 'nodeAllocVersions', id: nodeId }),
  /**
   * The node's list of allocations changed other than by a placement or a new AllocModifyIndex:
   * one was removed from it, or moved onto or off it. Until this key moves past the index a
   * client has, the allocations that changed since are all the client needs to be told.
   */
  nodeAllocRemovals: (nodeId: string): WatchKey => ({ kind: 'nodeAllocRemovals', id: nodeId }),
  eval: (id: string): WatchKey => ({ kind: 'eval', id }),
  evalAllocs: (evalId: string): WatchKey => ({ kind: 'evalAllocs', id: evalId }),
  deployment: (id: string): WatchKey => ({ kind: 'deployment', id }),
  deploymentAllocs: (deploymentId: string): WatchKey => ({ kind: 'deploymentAllocs', id: deploymentId }),
};

/** Table keys for a list of table names (a wait on whole tables). */
export function tableKeys(tables: readonly TableName[]): WatchKey[] {
  return tables.map((t) => watchKey.table(t));
}
