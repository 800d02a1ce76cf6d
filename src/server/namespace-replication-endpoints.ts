// What a region's servers answer to the leaders of other regions that copy its namespaces
// (namespaces belong to the authoritative region, as ACL policies do): a list of names with each
// namespace's hash, waiting for a change past an index, the full namespaces by name, and which
// namespaces hold live jobs (the authoritative region asks every region before a deletion). With
// ACLs on, the replication token (a management token) is needed; with ACLs off anyone may ask.
import { createHash } from 'node:crypto';
import type { Namespace } from '../structs/namespace.js';
import { badRequest } from '../structs/errors.js';
import { listBounds, replicationRequest, waitPastIndex, type AclReplicationSourceOptions } from './acl-replication-endpoints.js';

export const NAMESPACE_LIST_METHOD = 'Namespace.ListNamespaces';
export const NAMESPACE_GET_METHOD = 'Namespace.GetNamespaces';
/** Which of the named namespaces hold a job that is not dead (asked before a deletion). */
export const NAMESPACE_LIVE_JOBS_METHOD = 'Namespace.WithLiveJobs';

export interface NamespaceStub {
  Name: string;
  Hash: string;
}

export interface NamespaceListReply {
  Index: number;
  Namespaces: NamespaceStub[];
}

export interface NamespacesWithLiveJobsReply {
  Namespaces: string[];
}

export interface NamespacesReply {
  Index: number;
  Namespaces: Namespace[];
}

/**
 * A namespace's content, hashed: what a replica compares to know whether its copy is current
 * (indexes differ between regions and are left out).
 */
export function namespaceHash(ns: Namespace): string {
  const meta = ns.Meta ? Object.fromEntries(Object.entries(ns.Meta).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : null;
  const content = [ns.Name, ns.Description, ns.Quota, ns.Capabilities?.EnabledTaskDrivers ?? null, ns.Capabilities?.DisabledTaskDrivers ?? null, meta];
  return createHash('sha256').update(JSON.stringify(content)).digest('base64');
}

export class NamespaceReplicationSource {
  constructor(private readonly opts: AclReplicationSourceOptions) {}

  async list(args: unknown, signal?: AbortSignal): Promise<NamespaceListReply> {
    const r = replicationRequest(args, this.opts);
    const index = await waitPastIndex(this.opts.store, 'namespaces', listBounds(r), signal);
    return { Index: index, Namespaces: this.opts.store.snapshot().namespaces().map((ns) => ({ Name: ns.Name, Hash: namespaceHash(ns) })) };
  }

  async get(args: unknown): Promise<NamespacesReply> {
    const names = namesOf(replicationRequest(args, this.opts));
    const snap = this.opts.store.snapshot();
    const found = names.map((n) => snap.namespaceByName(n)).filter((ns): ns is Namespace => ns !== null);
    return { Index: Math.max(1, snap.tableIndex('namespaces')), Namespaces: found };
  }

  async withLiveJobs(args: unknown): Promise<NamespacesWithLiveJobsReply> {
    const names = namesOf(replicationRequest(args, this.opts));
    const snap = this.opts.store.snapshot();
    return { Namespaces: names.filter((n) => snap.jobs(n).some((j) => j.Status !== 'dead')) };
  }
}

function namesOf(r: Record<string, unknown>): string[] {
  const names = r.Names;
  if (!Array.isArray(names) || !names.every((x): x is string => typeof x === 'string')) throw badRequest('Names must be a list of strings', 'Names');
  return names;
}
