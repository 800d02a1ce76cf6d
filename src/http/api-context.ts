// What every route handler gets, and the blocking read that list and object endpoints share.
import type { ClientEndpoints } from '../rpc/client-endpoints.js';
import type { StateReader, StateStoreView, TableName } from '../state/reader.js';
import type { Server } from '../server/server.js';
import type { Logger } from '../server/logger.js';
import type { AgentInfo } from './agent-info.js';
import type { TokenResolver } from '../acl/resolver.js';
import type { TlsMaterial } from './tls-listener.js';
import type { AclStateView } from '../state/acl-reader.js';
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
  /** Resolves and checks tokens; null when ACLs are off. */
  acl: TokenResolver | null;
}

export type Handler = (x: Exchange, api: ApiContext) => Promise<void>;

export function queryMeta(api: ApiContext, index: number): QueryMeta {
  const c = api.server.consensus;
  const leader = c.isLeader();
  let lastContactMs = 0;
  if (!leader) {
    try {
      lastContactMs = c.stats().lastContactMs;
    } catch {
      lastContactMs = 0;
    }
  }
  return { index, knownLeader: leader || c.leaderAddr() !== '', lastContactMs };
}

export function tablesIndex(snap: StateReader, tables: TableName[]): number {
  let idx = 0;
  for (const t of tables) idx = Math.max(idx, snap.tableIndex(t));
  return idx;
}

export interface ReadResult {
  /** The index this answer reflects (the table's, or the object's own ModifyIndex). */
  index: number;
  value: unknown;
}

/**
 * A read that honours ?index=&wait=: answers at once when the state is past minIndex, else
 * waits for a change of the tables (bounded by wait, ended early if the client goes away) and
 * recomputes. Errors (404...) carry the same X-Nomad-* headers as answers.
 */
export async function blockingRead(x: Exchange, api: ApiContext, tables: TableName[], compute: (snap: StateReader & AclStateView) => ReadResult): Promise<void> {
  const { minIndex, waitMs } = x.blocking();
  const deadline = Date.now() + waitMs;
  for (;;) {
    const snap = api.store.snapshot();
    const tableIdx = tablesIndex(snap, tables);
    let result: ReadResult;
    try {
      result = compute(snap);
    } catch (e) {
      x.setMeta(queryMeta(api, tableIdx));
      throw e;
    }
    const remaining = deadline - Date.now();
    if (minIndex === 0 || result.index > minIndex || remaining <= 0 || x.signal.aborted) {
      x.setMeta(queryMeta(api, result.index));
      await x.sendJson(200, result.value);
      return;
    }
    await api.store.waitForChange(tables, Math.max(minIndex, tableIdx), remaining, x.signal);
  }
}
