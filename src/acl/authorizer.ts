// What the HTTP layer asks of token resolution, whether the tokens are in this agent's own state
// (a server: TokenResolver, always at once) or on the servers (a client-only agent:
// RemoteTokenResolver, at once from its cache, otherwise after asking a server).
import type { Need } from './need.js';
import type { ResolvedToken } from './resolver.js';

export interface Authorizer {
  /** The token and ACL of a secret ('' is the anonymous token); throws the refusals of errors.ts. */
  resolve(secret: string): ResolvedToken | Promise<ResolvedToken>;
  /** Resolves and checks the need in `namespace`: "Permission denied" when it is not met. */
  authorize(secret: string, need: Need, namespace: string): ResolvedToken | Promise<ResolvedToken>;
}
