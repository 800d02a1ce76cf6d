// Replication, a leader duty of every region but the authoritative one: namespaces, and with
// ACLs on all policies and the global tokens, are written in the authoritative region and copied
// here through this region's log. Each kind runs its own loop: a list from the authoritative region that waits for a change
// past the last index seen, a diff by hash against the local state, the changed objects fetched
// in full, and one log entry for the upserts and one for the deletes. Local tokens are never
// touched. When the authoritative region cannot be reached the loop backs off and tries again;
// meanwhile this region goes on serving with what it has.
import type { AclPolicy, AclToken } from '../structs/acl.js';
import type { Namespace } from '../structs/namespace.js';
import { sleep, type Clock, type Random } from '../structs/clock.js';
import type { LogEntry } from '../state/log-entries.js';
import type { StateStoreView } from '../state/reader.js';
import {
  ACL_GET_POLICIES_METHOD,
  ACL_GET_TOKENS_METHOD,
  ACL_LIST_POLICIES_METHOD,
  ACL_LIST_TOKENS_METHOD,
  DEFAULT_MAX_QUERY_TIME_MS,
  type AclPoliciesReply,
  type AclPolicyListReply,
  type AclTokenListReply,
  type AclTokensReply,
} from './acl-replication-endpoints.js';
import { NAMESPACE_GET_METHOD, NAMESPACE_LIST_METHOD, namespaceHash, type NamespaceListReply, type NamespacesReply } from './namespace-replication-endpoints.js';
import type { ApplyResult } from './consensus.js';
import type { Logger } from './logger.js';
import type { RegionForwarder } from './region-forwarder.js';

export interface RegionReplicatorOptions {
  authoritativeRegion: string;
  /** Whether ACLs are on: policies and global tokens are copied only then. */
  aclEnabled: boolean;
  replicationToken: string;
  regions: Pick<RegionForwarder, 'call'>;
  store: StateStoreView;
  apply: (entry: LogEntry) => Promise<ApplyResult>;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Wait after a failed round: doubles from base up to max, each drawn between half and all of it. */
  backoff?: { baseMs: number; maxMs: number };
  /** How long one list waits in the authoritative region for a change. */
  maxQueryTimeMs?: number;
}

export const DEFAULT_REPLICATION_BACKOFF = { baseMs: 1_000, maxMs: 10_000 };
/** Time a list call may take beyond its wait (the network, a busy server). */
const CALL_SLACK_MS = 30_000;

/** The replicated objects of one kind as the loop sees them. */
interface Kind<T> {
  name: 'policies' | 'tokens' | 'namespaces';
  /** Remote stubs (key and hash) changed past minIndex, and the remote index. */
  list(minIndex: number, signal: AbortSignal): Promise<{ index: number; stubs: Array<{ key: string; hash: string }> }>;
  /** The local objects this loop owns, by key. */
  local(): Map<string, string>;
  fetch(keys: string[], signal: AbortSignal): Promise<T[]>;
  upsert(objects: T[]): LogEntry;
  remove(keys: string[]): LogEntry;
}

export class RegionReplicator {
  private abort: AbortController | null = null;
  private loops: Promise<void>[] = [];
  /** Rounds applied (all kinds), for tests and metrics. */
  rounds = 0;

  constructor(private readonly opts: RegionReplicatorOptions) {}

  get running(): boolean {
    return this.abort !== null;
  }

  start(): void {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    this.opts.logger.info('replication: starting from the authoritative region', { authoritative_region: this.opts.authoritativeRegion, acl: this.opts.aclEnabled });
    const kinds: Array<Kind<unknown>> = [this.namespaceKind() as Kind<unknown>];
    if (this.opts.aclEnabled) kinds.push(this.policyKind() as Kind<unknown>, this.tokenKind() as Kind<unknown>);
    this.loops = kinds.map((k) => this.run(k, abort.signal));
  }

  async stop(): Promise<void> {
    const abort = this.abort;
    if (!abort) return;
    this.abort = null;
    abort.abort();
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async run<T>(kind: Kind<T>, signal: AbortSignal): Promise<void> {
    let remoteIndex = 0;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const listed = await kind.list(remoteIndex, signal);
        if (signal.aborted) break;
        await this.reconcile(kind, listed.stubs, signal);
        // An index that went backwards means the authoritative region's state was replaced: start over.
        remoteIndex = listed.index < remoteIndex ? 0 : listed.index;
        failures = 0;
      } catch (e) {
        if (signal.aborted) break;
        failures++;
        const delayMs = this.backoffMs(failures);
        this.opts.logger.warn(`replication: copying ${kind.name} failed; trying again`, { authoritative_region: this.opts.authoritativeRegion, error: (e as Error).message, retry_in_ms: Math.round(delayMs) });
        await sleep(this.opts.clock, delayMs, signal);
      }
    }
  }

  private async reconcile<T>(kind: Kind<T>, stubs: Array<{ key: string; hash: string }>, signal: AbortSignal): Promise<void> {
    const local = kind.local();
    const remote = new Set(stubs.map((s) => s.key));
    const removed = [...local.keys()].filter((k) => !remote.has(k)).sort();
    const changed = stubs.filter((s) => local.get(s.key) !== s.hash).map((s) => s.key);
    // Upserts first: a deletion this region refuses (a namespace that still holds a live job
    // here) must not hold back the changes that come with it; it is tried again next round.
    if (changed.length > 0) {
      const objects = await kind.fetch(changed, signal);
      if (signal.aborted) return;
      if (objects.length > 0) await this.write(kind.upsert(objects));
    }
    if (removed.length > 0) await this.write(kind.remove(removed));
    if (removed.length > 0 || changed.length > 0) {
      this.rounds++;
      this.opts.logger.debug(`replication: copied ${kind.name}`, { upserted: changed.length, deleted: removed.length });
    }
  }

  private async write(entry: LogEntry): Promise<void> {
    const res = await this.opts.apply(entry);
    if (res.result instanceof Error) throw res.result;
  }

  private backoffMs(failures: number): number {
    const { baseMs, maxMs } = this.opts.backoff ?? DEFAULT_REPLICATION_BACKOFF;
    const step = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
    return step / 2 + (this.opts.random.float() * step) / 2;
  }

  private callAuthoritative<R>(method: string, args: Record<string, unknown>, signal: AbortSignal, timeoutMs: number): Promise<R> {
    const region = this.opts.authoritativeRegion;
    return this.opts.regions.call<R>(region, method, { ...args, Region: region, AuthToken: this.opts.replicationToken }, { timeoutMs, signal });
  }

  private listArgs(minIndex: number): { args: Record<string, unknown>; timeoutMs: number } {
    const waitMs = this.opts.maxQueryTimeMs ?? DEFAULT_MAX_QUERY_TIME_MS;
    return { args: { MinQueryIndex: minIndex, MaxQueryTimeMs: waitMs }, timeoutMs: waitMs + CALL_SLACK_MS };
  }

  private policyKind(): Kind<AclPolicy> {
    return {
      name: 'policies',
      list: async (minIndex, signal) => {
        const { args, timeoutMs } = this.listArgs(minIndex);
        const r = await this.callAuthoritative<AclPolicyListReply>(ACL_LIST_POLICIES_METHOD, args, signal, timeoutMs);
        return { index: r.Index, stubs: r.Policies.map((p) => ({ key: p.Name, hash: p.Hash })) };
      },
      local: () => new Map(this.opts.store.snapshot().aclPolicies('').map((p) => [p.Name, p.Hash])),
      fetch: async (names, signal) => (await this.callAuthoritative<AclPoliciesReply>(ACL_GET_POLICIES_METHOD, { Names: names }, signal, CALL_SLACK_MS)).Policies,
      upsert: (policies) => ({ Type: 'AclPolicyUpsert', Policies: policies }),
      remove: (names) => ({ Type: 'AclPolicyDelete', Names: names }),
    };
  }

  private tokenKind(): Kind<AclToken> {
    return {
      name: 'tokens',
      list: async (minIndex, signal) => {
        const { args, timeoutMs } = this.listArgs(minIndex);
        const r = await this.callAuthoritative<AclTokenListReply>(ACL_LIST_TOKENS_METHOD, { ...args, GlobalOnly: true }, signal, timeoutMs);
        return { index: r.Index, stubs: r.Tokens.map((t) => ({ key: t.AccessorID, hash: t.Hash })) };
      },
      // Only global tokens are copies; local ones belong to this region.
      local: () => new Map(this.opts.store.snapshot().aclTokens('').filter((t) => t.Global).map((t) => [t.AccessorID, t.Hash])),
      fetch: async (ids, signal) => (await this.callAuthoritative<AclTokensReply>(ACL_GET_TOKENS_METHOD, { AccessorIDs: ids }, signal, CALL_SLACK_MS)).Tokens,
      upsert: (tokens) => ({ Type: 'AclTokenUpsert', Tokens: tokens.map((t) => ({ ...t, Global: true })) }),
      remove: (ids) => ({ Type: 'AclTokenDelete', AccessorIDs: ids }),
    };
  }

  private namespaceKind(): Kind<Namespace> {
    return {
      name: 'namespaces',
      list: async (minIndex, signal) => {
        const { args, timeoutMs } = this.listArgs(minIndex);
        const r = await this.callAuthoritative<NamespaceListReply>(NAMESPACE_LIST_METHOD, args, signal, timeoutMs);
        return { index: r.Index, stubs: r.Namespaces.map((n) => ({ key: n.Name, hash: n.Hash })) };
      },
      local: () => new Map(this.opts.store.snapshot().namespaces().map((n) => [n.Name, namespaceHash(n)])),
      fetch: async (names, signal) => (await this.callAuthoritative<NamespacesReply>(NAMESPACE_GET_METHOD, { Names: names }, signal, CALL_SLACK_MS)).Namespaces,
      // The indexes are this region's: the FSM sets them.
      upsert: (namespaces) => ({ Type: 'NamespaceUpsert', Namespaces: namespaces.map((n) => ({ ...n, CreateIndex: 0, ModifyIndex: 0 })) }),
      remove: (names) => ({ Type: 'NamespaceDelete', Names: names }),
    };
  }
}
