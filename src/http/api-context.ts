// What every route handler gets, and the blocking read that list and object endpoints share.
import type { ClientEndpoints } from '../rpc/client-endpoints.js';
import type { StateReader, StateStoreView, TableName } from '../state/reader.js';
import { watchKey, type WatchKey } from '../state/watch-keys.js';
import type { Server } from '../server/server.js';
import type { Logger } from '../server/logger.js';
import type { AgentInfo } from './agent-info.js';
import type { Authorizer } from '../acl/authorizer.js';
import type { TlsMaterial } from './tls-listener.js';
import type { AclStateView } from '../state/acl-reader.js';
import { AnswerBody } from './answer-body.js';
import type { AnswerCache } from './answer-cache.js';
import { requestToken } from './authorize.js';
import type { Exchange, QueryMeta } from './exchange.js';

export interface ApiContext {
  /** False on an agent that runs only a client: it reaches server and store through forwarding, never here. */
  hasServer: boolean;
  server: Server;
  store: StateStoreView;
  client: ClientEndpoints | null;
  agent: AgentInfo | null;
  logger: Logger;
  /** TLS for reaching other nodes' HTTP APIs (the agent's own certificate and CA); null for plain HTTP. */
  nodeTls: TlsMaterial | null;
  /** Resolves and checks tokens (from the state, or on a client-only agent from the servers); null when ACLs are off. */
  acl: Authorizer | null;
  /** Answers of reads shared by requests that ask the same of the same state. */
  answers: AnswerCache;
}

export type Handler = (x: Exchange, api: ApiContext) => Promise<void>;

export function queryMeta(api: ApiContext, index: number): QueryMeta {
  const c = api.server.consensus;
  const leader = c.isLeader();
  return { index, knownLeader: leader || c.leaderAddr() !== '', lastContactMs: leader ? 0 : c.lastContactMs() };
}

export function tablesIndex(snap: StateReader, tables: TableName[]): number {
  let idx = 0;
  for (const t of tables) idx = Math.max(idx, snap.tableIndex(t));
  return idx;
}

export interface ReadResult {
  /** The index this answer reflects (the table's, or the object's own ModifyIndex). */
  index: number;
  /** The answer; a JsonList is encoded row by row in slices. */
  value: unknown;
}

type WatchList = ReadonlyArray<TableName | WatchKey>;

/** Keys coarser than what is read (an allocation watched through its job's), with the read's own last change. */
export interface WatchSet {
  keys: WatchList;
  /** The index at which what the read answers last changed (e.g. the object's ModifyIndex). */
  changedAt: number;
}

/**
 * What a read waits on: whole tables by name, or watch keys (one object, an owner's objects),
 * or a function of the snapshot when the keys depend on what is read (an allocation's job).
 */
export type WatchSpec = WatchList | ((snap: StateReader) => WatchList | WatchSet);

function watchOf(spec: WatchSpec, snap: StateReader): { keys: WatchKey[]; changedAt: number | null } {
  const w = typeof spec === 'function' ? spec(snap) : spec;
  const set: WatchSet | null = isWatchSet(w) ? w : null;
  const list: WatchList = set !== null ? set.keys : (w as WatchList);
  const keys = list.map((k) => (typeof k === 'string' ? watchKey.table(k) : k));
  return { keys, changedAt: set !== null ? set.changedAt : null };
}

function isWatchSet(w: WatchList | WatchSet): w is WatchSet {
  return !Array.isArray(w);
}

/** Query parameters that do not change what a read answers. */
const BLOCKING_PARAMS = new Set(['index', 'wait', 'stale']);

/**
 * What identifies the answer of a read, apart from the state it reads. Where the caller's ACL
 * decides what a read shows, the caller's token is part of it: no answer goes to another token.
 */
function answerKey(x: Exchange): string {
  const params = [...x.query].filter(([k]) => !BLOCKING_PARAMS.has(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const caller = x.acl === null ? '' : requestToken(x);
  return `${x.path}\0${new URLSearchParams(params).toString()}\0${x.namespace}\0${x.acceptsGzip ? 'gzip' : ''}\0${caller}`;
}

export interface BlockingReadOptions {
  /**
   * The answer follows from the watched keys alone (and the caller's ACL): a request that comes
   * after writes that touched none of them is given the answer made before those writes.
   */
  followsKeys?: boolean;
}

/**
 * A read that honours ?index=&wait=: answers at once when something it watches changed after
 * minIndex, else waits until one of its keys changes (bounded by wait, ended early if the client
 * goes away), so a write elsewhere neither wakes it nor makes it answer. Requests that ask the
 * same of the same state share one answer, built and encoded once. Errors (404...) carry the
 * same X-Nomad-* headers as answers.
 */
export async function blockingRead(
  x: Exchange,
  api: ApiContext,
  watch: WatchSpec,
  compute: (snap: StateReader & AclStateView) => ReadResult,
  opts: BlockingReadOptions = {},
): Promise<void> {
  const { minIndex, waitMs } = x.blocking();
  const deadline = Date.now() + waitMs;
  for (;;) {
    const snap = api.store.snapshot();
    const w = watchOf(watch, snap);
    const keys = w.keys;
    // Read in the same turn as the snapshot, so the two agree.
    const changedAt = w.changedAt ?? api.store.keysIndex(keys);
    const remaining = deadline - Date.now();
    if (minIndex === 0 || changedAt > minIndex || remaining <= 0 || x.clientGone) {
      // Answered from the slice queue, a bounded amount per turn: hundreds of blocking queries
      // coming back at once do not hold up the writes that arrive meanwhile.
      const arrivedAt = api.store.commitCount();
      const sent = await x.slices.run(() => answerRead(x, api, watch, minIndex, arrivedAt, compute, opts.followsKeys === true));
      await sent;
      return;
    }
    // Coarse keys may change without what this read answers changing: look again, keep waiting.
    await api.store.waitForKeys(keys, w.changedAt === null ? minIndex : Math.max(minIndex, api.store.keysIndex(keys)), remaining, x.clientGoneSignal);
  }
}

/**
 * Makes (or finds) the answer from the latest state and starts sending it; the promise is the
 * rest of the sending. Everything up to the first byte out runs in the caller's turn.
 */
function answerRead(
  x: Exchange,
  api: ApiContext,
  watch: WatchSpec,
  minIndex: number,
  arrivedAt: number,
  compute: (snap: StateReader & AclStateView) => ReadResult,
  followsKeys: boolean,
): Promise<void> {
  const key = answerKey(x);
  // The state as of this turn (the read was queued; writes may have come in between).
  const snap = api.store.snapshot();
  const changedAt = changedIndex(api, watch, snap);
  const version = api.store.commitCount();
  const source = followsKeys ? answerSource(snap, changedAt) : null;
  let answer = api.answers.get(arrivedAt, key, minIndex, source);
  if (answer === undefined) {
    let result: ReadResult;
    try {
      result = compute(snap);
    } catch (e) {
      x.setMeta(queryMeta(api, changedAt));
      throw e;
    }
    // Never below what the watched keys have seen: the caller's next ?index= then waits for news.
    const index = Math.max(result.index, changedAt);
    answer = { index, body: AnswerBody.encode(result.value, { pretty: x.pretty, gzip: x.acceptsGzip }, x.slices) };
    api.answers.put(version, key, answer, source);
  }
  x.setMeta(queryMeta(api, answer.index));
  return x.sendAnswer(200, answer.body);
}

/**
 * What an answer that follows from its watched keys is made from: their last change, and the
 * tables that decide what a caller may see (a policy, a token or a namespace changed since may
 * show the same caller another list).
 */
function answerSource(snap: StateReader, changedAt: number): string {
  return `${changedAt}/${snap.tableIndex('acl_policy')}/${snap.tableIndex('acl_token')}/${snap.tableIndex('namespaces')}`;
}

function changedIndex(api: ApiContext, watch: WatchSpec, snap: StateReader): number {
  const w = watchOf(watch, snap);
  return w.changedAt ?? api.store.keysIndex(w.keys);
}
