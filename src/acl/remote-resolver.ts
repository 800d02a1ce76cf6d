// Token resolution on an agent that holds no state (a client-only agent): tokens and policies
// are asked of the servers and cached, tokens for token_ttl and policies for policy_ttl, as
// Nomad's client does. A request whose token and policies are fresh in the cache is checked at
// once, without a promise. When the servers cannot be asked (none answers, or none leads), what
// is cached is used past its TTL, as Nomad documents; a secret never seen before is refused
// with the failure: nothing unknown gets through. A server's own answer (not found, denied)
// always replaces the cache, so a deleted token stops working within token_ttl.
import { ANONYMOUS_TOKEN, type AclPolicy, type AclToken } from '../structs/acl.js';
import { NomadError } from '../structs/errors.js';
import { Acl } from './acl.js';
import type { Authorizer } from './authorizer.js';
import { permissionDenied, tokenExpired, tokenNotFound } from './errors.js';
import { permits, type Need } from './need.js';
import { compilePolicies, tokenExpiresAtMs, type ResolvedToken } from './resolver.js';

/** How the servers are asked. Both reject with a NomadError when a server answered with one. */
export interface AclSource {
  /** The token holding `secret` (never ''); null when the servers know none. */
  resolveToken(secret: string): Promise<AclToken | null>;
  /** The named policies that exist, read on behalf of the token holding `secret` ('' for anonymous). */
  policies(secret: string, names: readonly string[]): Promise<AclPolicy[]>;
}

export interface RemoteTokenResolverOptions {
  source: AclSource;
  nowMs: () => number;
  /** acl.token_ttl: how long a token (or the knowledge that a secret has none) is trusted. */
  tokenTtlMs: number;
  /** acl.policy_ttl: how long a policy (or its absence) is trusted. */
  policyTtlMs: number;
  /** Bound on each cache; a cache is emptied when it would grow past this. */
  maxCachedEntries?: number;
  /** Told when a value past its TTL is used because the servers could not be asked. */
  onStale?: (what: 'token' | 'policies', problem: string) => void;
  /** Told when a policy from the servers does not parse (it then grants nothing). */
  onBadPolicy?: (name: string, problem: string) => void;
}

interface Cached<T> {
  value: T;
  fetchedAtMs: number;
}

const DEFAULT_MAX_CACHED_ENTRIES = 4096;

/** A failure of asking, not an answer: the servers are down, unreachable or without a leader. */
function isOutage(e: unknown): boolean {
  if (!(e instanceof NomadError)) return true;
  return e.kind === 'no_leader' || e.kind === 'unavailable' || e.kind === 'internal';
}

export class RemoteTokenResolver implements Authorizer {
  private readonly tokens = new Map<string, Cached<AclToken | null>>();
  private readonly policies = new Map<string, Cached<AclPolicy | null>>();
  /** Compiled ACLs by the names and hashes of their policies. */
  private readonly acls = new Map<string, Acl>();
  /** One resolution per secret at a time: a burst of requests with a new token asks the servers once. */
  private readonly inFlight = new Map<string, Promise<ResolvedToken>>();
  private readonly maxEntries: number;

  constructor(private readonly opts: RemoteTokenResolverOptions) {
    this.maxEntries = opts.maxCachedEntries ?? DEFAULT_MAX_CACHED_ENTRIES;
  }

  resolve(secret: string): ResolvedToken | Promise<ResolvedToken> {
    const fresh = this.fromCache(secret);
    if (fresh !== null) return fresh;
    let pending = this.inFlight.get(secret);
    if (pending === undefined) {
      pending = this.load(secret).finally(() => this.inFlight.delete(secret));
      this.inFlight.set(secret, pending);
    }
    return pending;
  }

  authorize(secret: string, need: Need, namespace: string): ResolvedToken | Promise<ResolvedToken> {
    const resolved = this.resolve(secret);
    if (resolved instanceof Promise) return resolved.then((r) => checked(r, need, namespace));
    return checked(resolved, need, namespace);
  }

  /** The resolution when the token and every policy it names are within their TTLs; null otherwise. */
  private fromCache(secret: string): ResolvedToken | null {
    const now = this.opts.nowMs();
    let token: AclToken | null = ANONYMOUS_TOKEN;
    if (secret !== '') {
      const cached = this.tokens.get(secret);
      if (cached === undefined || now - cached.fetchedAtMs > this.opts.tokenTtlMs) return null;
      token = cached.value;
    }
    if (token === null) throw tokenNotFound();
    if (token.Type === 'management') return resolved(token, Acl.MANAGEMENT, now);
    const found: Array<AclPolicy | null> = [];
    for (const name of token.Policies ?? []) {
      const cached = this.policies.get(name);
      if (cached === undefined || now - cached.fetchedAtMs > this.opts.policyTtlMs) return null;
      found.push(cached.value);
    }
    return resolved(token, this.aclOf(found), now);
  }

  private async load(secret: string): Promise<ResolvedToken> {
    const token = secret === '' ? ANONYMOUS_TOKEN : await this.loadToken(secret);
    if (token === null) throw tokenNotFound();
    if (token.Type === 'management') return resolved(token, Acl.MANAGEMENT, this.opts.nowMs());
    const found = await this.loadPolicies(secret, token.Policies ?? []);
    return resolved(token, this.aclOf(found), this.opts.nowMs());
  }

  private async loadToken(secret: string): Promise<AclToken | null> {
    const cached = this.tokens.get(secret);
    if (cached !== undefined && this.opts.nowMs() - cached.fetchedAtMs <= this.opts.tokenTtlMs) return cached.value;
    try {
      const token = await this.opts.source.resolveToken(secret);
      remember(this.tokens, secret, { value: token, fetchedAtMs: this.opts.nowMs() }, this.maxEntries);
      return token;
    } catch (e) {
      if (cached === undefined || !isOutage(e)) throw e;
      this.opts.onStale?.('token', problemOf(e));
      // Trusted for another TTL: during an outage each token asks once per TTL, not on every request.
      cached.fetchedAtMs = this.opts.nowMs();
      return cached.value;
    }
  }

  /** The policies of `names` (null for one that does not exist), fetching those past their TTL. */
  private async loadPolicies(secret: string, names: readonly string[]): Promise<Array<AclPolicy | null>> {
    const now = this.opts.nowMs();
    const due = names.filter((n) => {
      const cached = this.policies.get(n);
      return cached === undefined || now - cached.fetchedAtMs > this.opts.policyTtlMs;
    });
    if (due.length > 0) {
      try {
        const got = await this.opts.source.policies(secret, due);
        const fetchedAtMs = this.opts.nowMs();
        for (const name of due) remember(this.policies, name, { value: got.find((p) => p.Name === name) ?? null, fetchedAtMs }, this.maxEntries);
      } catch (e) {
        // Stale policies may stand in for fresh ones; a policy never fetched cannot.
        if (!isOutage(e) || due.some((n) => !this.policies.has(n))) throw e;
        this.opts.onStale?.('policies', problemOf(e));
        const now = this.opts.nowMs();
        for (const name of due) this.policies.get(name)!.fetchedAtMs = now;
      }
    }
    return names.map((n) => this.policies.get(n)?.value ?? null);
  }

  private aclOf(found: ReadonlyArray<AclPolicy | null>): Acl {
    const key = found
      .filter((p): p is AclPolicy => p !== null)
      .map((p) => `${p.Name}@${p.Hash}`)
      .sort()
      .join('\0');
    let acl = this.acls.get(key);
    if (acl !== undefined) return acl;
    acl = compilePolicies(found, this.opts.onBadPolicy);
    if (this.acls.size >= this.maxEntries) this.acls.clear();
    this.acls.set(key, acl);
    return acl;
  }
}

function remember<T>(cache: Map<string, Cached<T>>, key: string, entry: Cached<T>, max: number): void {
  if (cache.size >= max && !cache.has(key)) cache.clear();
  cache.set(key, entry);
}

function problemOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The resolution of a live token; an expired one is refused whatever the cache holds. */
function resolved(token: Readonly<AclToken>, acl: Acl, nowMs: number): ResolvedToken {
  const expiresAtMs = tokenExpiresAtMs(token);
  if (nowMs >= expiresAtMs) throw tokenExpired();
  return { token, acl, expiresAtMs };
}

function checked(r: ResolvedToken, need: Need, namespace: string): ResolvedToken {
  if (!permits(r.acl, need, namespace)) throw permissionDenied();
  return r;
}
