// What a region's servers answer to the leaders of other regions that copy its global ACL
// tokens and policies (ACL replication): lists with each object's hash, waiting for a change past
// an index, and the full objects by name or accessor. Every call needs a management token (the
// replication token); answers come from this server's own state, as the replicas ask with
// stale reads allowed so that any server of the authoritative region can serve them.
// ACL.GetPolicies also serves client agents resolving a caller's token: a client token may read
// the policies it holds (the anonymous token, with no secret, the anonymous policy).
import { permissionDenied, tokenExpired, tokenNotFound, aclDisabled } from '../acl/errors.js';
import { ANONYMOUS_TOKEN, policyStub, tokenStub, type AclPolicy, type AclPolicyListStub, type AclToken, type AclTokenListStub } from '../structs/acl.js';
import { badRequest } from '../structs/errors.js';
import type { Clock } from '../structs/clock.js';
import type { StateStoreView, TableName } from '../state/reader.js';

export const ACL_LIST_POLICIES_METHOD = 'ACL.ListPolicies';
export const ACL_GET_POLICIES_METHOD = 'ACL.GetPolicies';
export const ACL_LIST_TOKENS_METHOD = 'ACL.ListTokens';
export const ACL_GET_TOKENS_METHOD = 'ACL.GetTokens';

/** A list waits at most this long for a change past MinQueryIndex (the HTTP API's default wait). */
export const DEFAULT_MAX_QUERY_TIME_MS = 5 * 60_000;
const MAX_QUERY_TIME_LIMIT_MS = 10 * 60_000;

export interface AclListRequest {
  Region: string;
  AuthToken: string;
  /** Answer once the table's index is past this (0: at once). */
  MinQueryIndex: number;
  MaxQueryTimeMs?: number;
  /** Tokens only: the global ones alone. */
  GlobalOnly?: boolean;
}

export interface AclGetRequest {
  Region: string;
  AuthToken: string;
  Names?: string[];
  AccessorIDs?: string[];
}

export interface AclPolicyListReply {
  Index: number;
  Policies: AclPolicyListStub[];
}

export interface AclTokenListReply {
  Index: number;
  Tokens: AclTokenListStub[];
}

export interface AclPoliciesReply {
  Index: number;
  Policies: AclPolicy[];
}

export interface AclTokensReply {
  Index: number;
  Tokens: AclToken[];
}

export interface AclReplicationSourceOptions {
  store: StateStoreView;
  clock: Clock;
  aclEnabled: boolean;
}

export class AclReplicationSource {
  constructor(private readonly opts: AclReplicationSourceOptions) {}

  async listPolicies(args: unknown, signal?: AbortSignal): Promise<AclPolicyListReply> {
    const req = this.listRequest(args);
    const index = await this.waitPast('acl_policy', req, signal);
    return { Index: index, Policies: this.opts.store.snapshot().aclPolicies('').map(policyStub) };
  }

  /** With a management token any policies; with a client token (or none: anonymous) only those it holds. */
  async getPolicies(args: unknown): Promise<AclPoliciesReply> {
    if (!this.opts.aclEnabled) throw aclDisabled();
    const r = requestObject(args);
    const secret = typeof r.AuthToken === 'string' ? r.AuthToken : '';
    const token = secret === '' ? ANONYMOUS_TOKEN : liveToken(this.opts, secret);
    const req = { Region: String(r.Region ?? ''), AuthToken: secret, Names: stringList(r, 'Names') };
    if (token.Type !== 'management' && !req.Names.every((n) => token.Policies?.includes(n))) throw permissionDenied();
    const snap = this.opts.store.snapshot();
    const policies = (req.Names ?? []).map((n) => snap.aclPolicyByName(n)).filter((p): p is AclPolicy => p !== null);
    return { Index: Math.max(1, snap.tableIndex('acl_policy')), Policies: policies };
  }

  async listTokens(args: unknown, signal?: AbortSignal): Promise<AclTokenListReply> {
    const req = this.listRequest(args);
    const index = await this.waitPast('acl_token', req, signal);
    const tokens = this.opts.store.snapshot().aclTokens('');
    return { Index: index, Tokens: (req.GlobalOnly ? tokens.filter((t) => t.Global) : tokens).map(tokenStub) };
  }

  async getTokens(args: unknown): Promise<AclTokensReply> {
    const req = this.getRequest(args, 'AccessorIDs');
    const snap = this.opts.store.snapshot();
    const tokens = (req.AccessorIDs ?? []).map((id) => snap.aclTokenByAccessor(id)).filter((t): t is AclToken => t !== null);
    return { Index: Math.max(1, snap.tableIndex('acl_token')), Tokens: tokens };
  }

  private waitPast(table: TableName, req: AclListRequest, signal?: AbortSignal): Promise<number> {
    return waitPastIndex(this.opts.store, table, req, signal);
  }

  private listRequest(args: unknown): AclListRequest {
    const r = this.authorized(args);
    return { Region: String(r.Region ?? ''), AuthToken: String(r.AuthToken), ...listBounds(r), GlobalOnly: r.GlobalOnly === true };
  }

  private getRequest(args: unknown, listField: 'Names' | 'AccessorIDs'): AclGetRequest {
    const r = this.authorized(args);
    return { Region: String(r.Region ?? ''), AuthToken: String(r.AuthToken), [listField]: stringList(r, listField) };
  }

  /** The request as an object whose AuthToken is a live management token. */
  private authorized(args: unknown): Record<string, unknown> {
    if (!this.opts.aclEnabled) throw aclDisabled();
    return replicationRequest(args, this.opts);
  }
}

/**
 * The table's index once it is past MinQueryIndex, or when the wait ends; never below 1, so
 * that a caller asking again from what it got waits instead of spinning on an empty table.
 */
export async function waitPastIndex(store: StateStoreView, table: TableName, req: Pick<AclListRequest, 'MinQueryIndex' | 'MaxQueryTimeMs'>, signal?: AbortSignal): Promise<number> {
  if (req.MinQueryIndex > 0 && store.snapshot().tableIndex(table) <= req.MinQueryIndex) {
    const waitMs = Math.min(req.MaxQueryTimeMs ?? DEFAULT_MAX_QUERY_TIME_MS, MAX_QUERY_TIME_LIMIT_MS);
    await store.waitForChange([table], req.MinQueryIndex, waitMs, signal);
  }
  return Math.max(1, store.snapshot().tableIndex(table));
}

/**
 * A replication request as an object; with ACLs on, its AuthToken must be a live management
 * token (the replication token). With ACLs off anyone may copy what is not secret (namespaces).
 */
export function replicationRequest(args: unknown, opts: AclReplicationSourceOptions): Record<string, unknown> {
  const r = requestObject(args);
  if (!opts.aclEnabled) return r;
  const secret = typeof r.AuthToken === 'string' ? r.AuthToken : '';
  if (secret === '') throw permissionDenied();
  if (liveToken(opts, secret).Type !== 'management') throw permissionDenied();
  return r;
}

function requestObject(args: unknown): Record<string, unknown> {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw badRequest('malformed ACL request: want an object', 'body');
  return args as Record<string, unknown>;
}

function stringList(r: Record<string, unknown>, field: string): string[] {
  const list = r[field];
  if (!Array.isArray(list) || !list.every((x): x is string => typeof x === 'string')) throw badRequest(`${field} must be a list of strings`, field);
  return list;
}

/** The stored token of a secret; "ACL token not found" or "ACL token expired" otherwise. */
function liveToken(opts: Pick<AclReplicationSourceOptions, 'store' | 'clock'>, secret: string): AclToken {
  const token = opts.store.snapshot().aclTokenBySecret(secret);
  if (token === null) throw tokenNotFound();
  if (token.ExpirationTime !== null && Date.parse(token.ExpirationTime) <= opts.clock.nowMs()) throw tokenExpired();
  return token;
}

/** MinQueryIndex and MaxQueryTimeMs of a list request, checked. */
export function listBounds(r: Record<string, unknown>): Pick<AclListRequest, 'MinQueryIndex' | 'MaxQueryTimeMs'> {
  const min = r.MinQueryIndex ?? 0;
  if (typeof min !== 'number' || !Number.isInteger(min) || min < 0) throw badRequest('MinQueryIndex must be a whole number', 'MinQueryIndex');
  const max = r.MaxQueryTimeMs;
  if (max !== undefined && (typeof max !== 'number' || !(max >= 0))) throw badRequest('MaxQueryTimeMs must be a number of milliseconds', 'MaxQueryTimeMs');
  return { MinQueryIndex: min, ...(max !== undefined ? { MaxQueryTimeMs: max } : {}) };
}
