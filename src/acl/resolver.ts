// Resolves a secret to its token and compiled ACL, and checks a need against it. Both lookups
// are cached: a request pays one map lookup when neither the tokens nor the policies changed
// since the last resolution. Any write to either table (seen as a new table index) empties the
// caches, so a deleted token or a changed policy takes effect on the very next request.
import { ANONYMOUS_TOKEN, type AclPolicy, type AclToken } from '../structs/acl.js';
import { NomadError } from '../structs/errors.js';
import { Acl } from './acl.js';
import { permissionDenied, tokenExpired, tokenNotFound } from './errors.js';
import { permits, type Need } from './need.js';
import type { Authorizer } from './authorizer.js';
import { parsePolicy } from './parse-policy.js';
import type { Policy } from './policy.js';

/** What the resolver reads from the replicated state (a state snapshot satisfies it). */
export interface AclStateReader {
  aclTokenBySecret(secret: string): AclToken | null;
  aclPolicyByName(name: string): AclPolicy | null;
  tableIndex(table: 'acl_token' | 'acl_policy'): number;
}

export interface ResolvedToken {
  token: Readonly<AclToken>;
  acl: Acl;
  /** Milliseconds since the epoch after which the token is refused; Infinity when it never expires. */
  expiresAtMs: number;
}

export interface TokenResolverOptions {
  /** The latest state (called per resolution; must be cheap). */
  state: () => AclStateReader;
  nowMs: () => number;
  /** Bound on cached tokens; the cache is emptied when it would grow past this. */
  maxCachedTokens?: number;
  /** Told when a stored policy no longer parses (it then grants nothing). */
  onBadPolicy?: (name: string, problem: string) => void;
}

const DEFAULT_MAX_CACHED_TOKENS = 4096;

export class TokenResolver implements Authorizer {
  private readonly tokens = new Map<string, ResolvedToken>();
  private readonly aclsByPolicies = new Map<string, Acl>();
  private tokenIndex = -1;
  private policyIndex = -1;
  private readonly maxCachedTokens: number;

  constructor(private readonly opts: TokenResolverOptions) {
    this.maxCachedTokens = opts.maxCachedTokens ?? DEFAULT_MAX_CACHED_TOKENS;
  }

  /**
   * The token and ACL of a secret; "" is the anonymous token. Throws "ACL token not found" for an
   * unknown secret and "ACL token expired" for an expired one (both 403 over HTTP).
   */
  resolve(secret: string): ResolvedToken {
    const state = this.opts.state();
    this.invalidateIfChanged(state);
    let resolved = this.tokens.get(secret);
    if (resolved === undefined) {
      resolved = this.load(state, secret);
      if (this.tokens.size >= this.maxCachedTokens) this.tokens.clear();
      this.tokens.set(secret, resolved);
    }
    if (resolved.expiresAtMs !== Infinity && this.opts.nowMs() >= resolved.expiresAtMs) throw tokenExpired();
    return resolved;
  }

  /** Resolves and checks: throws "Permission denied" when the token's ACL does not meet the need. */
  authorize(secret: string, need: Need, namespace: string): ResolvedToken {
    const resolved = this.resolve(secret);
    if (!permits(resolved.acl, need, namespace)) throw permissionDenied();
    return resolved;
  }

  /** How many tokens are cached (tests, metrics). */
  get cachedTokens(): number {
    return this.tokens.size;
  }

  private invalidateIfChanged(state: AclStateReader): void {
    const t = state.tableIndex('acl_token');
    const p = state.tableIndex('acl_policy');
    if (t === this.tokenIndex && p === this.policyIndex) return;
    this.tokens.clear();
    if (p !== this.policyIndex) this.aclsByPolicies.clear();
    this.tokenIndex = t;
    this.policyIndex = p;
  }

  private load(state: AclStateReader, secret: string): ResolvedToken {
    let token: Readonly<AclToken>;
    if (secret === '') token = ANONYMOUS_TOKEN;
    else {
      const found = state.aclTokenBySecret(secret);
      if (found === null) throw tokenNotFound();
      token = found;
    }
    const expiresAtMs = tokenExpiresAtMs(token);
    const acl = token.Type === 'management' ? Acl.MANAGEMENT : this.aclFor(state, token.Policies ?? []);
    return { token, acl, expiresAtMs };
  }

  /** The compiled ACL of a set of policy names; names of policies that do not exist grant nothing. */
  private aclFor(state: AclStateReader, names: readonly string[]): Acl {
    const key = [...names].sort().join('\0');
    let acl = this.aclsByPolicies.get(key);
    if (acl !== undefined) return acl;
    acl = compilePolicies(
      names.map((n) => state.aclPolicyByName(n)),
      this.opts.onBadPolicy,
    );
    this.aclsByPolicies.set(key, acl);
    return acl;
  }
}


/** Milliseconds since the epoch after which the token is refused; Infinity when it never expires. */
export function tokenExpiresAtMs(token: Readonly<AclToken>): number {
  const expiresAtMs = token.ExpirationTime ? Date.parse(token.ExpirationTime) : Infinity;
  if (Number.isNaN(expiresAtMs)) throw new NomadError('internal', `ACL token ${token.AccessorID} has an unreadable expiration time`);
  return expiresAtMs;
}

/** The ACL granted by stored policies; absent ones (null) grant nothing, nor do ones that no longer parse. */
export function compilePolicies(stored: ReadonlyArray<AclPolicy | null>, onBadPolicy?: (name: string, problem: string) => void): Acl {
  const policies: Policy[] = [];
  for (const p of stored) {
    if (p === null) continue;
    const parsed = parsePolicy(p.Rules);
    if (parsed.ok) policies.push(parsed.policy);
    else onBadPolicy?.(p.Name, parsed.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('; '));
  }
  return Acl.compile(policies);
}
