// What client agents call to check the tokens their own API receives (they hold no state):
// ACL.ResolveToken answers the token of a secret, or none. Holding the secret is the
// authorization, as it is over HTTP (/v1/acl/token/self); the policies of the token are read
// with ACL.GetPolicies on the same secret. A secret unknown to this server may belong to a token
// written on the leader a moment ago: the read barrier brings this server up to date before it
// answers "none", which the client caches for its token_ttl.
import { aclDisabled } from '../acl/errors.js';
import type { AclToken } from '../structs/acl.js';
import { badRequest } from '../structs/errors.js';
import type { StateStoreView } from '../state/reader.js';

export const ACL_RESOLVE_TOKEN_METHOD = 'ACL.ResolveToken';

export interface AclResolveTokenRequest {
  Region: string;
  SecretID: string;
}

export interface AclResolveTokenReply {
  /** The stored token; null when no token has this secret. */
  Token: AclToken | null;
  Index: number;
}

export interface AclResolveSourceOptions {
  store: StateStoreView;
  aclEnabled: boolean;
  /** Waits until this server has applied everything the leader had committed. */
  readBarrier: (signal?: AbortSignal) => Promise<void>;
}

export class AclResolveSource {
  constructor(private readonly opts: AclResolveSourceOptions) {}

  async resolveToken(args: unknown, signal?: AbortSignal): Promise<AclResolveTokenReply> {
    if (!this.opts.aclEnabled) throw aclDisabled();
    if (args === null || typeof args !== 'object' || Array.isArray(args)) throw badRequest('malformed ACL.ResolveToken request: want an object', 'body');
    const secret = (args as Record<string, unknown>).SecretID;
    if (typeof secret !== 'string' || secret === '') throw badRequest('missing secret id', 'SecretID');
    let token = this.opts.store.snapshot().aclTokenBySecret(secret);
    if (token === null) {
      await this.opts.readBarrier(signal);
      token = this.opts.store.snapshot().aclTokenBySecret(secret);
    }
    return { Token: token, Index: Math.max(1, this.opts.store.snapshot().tableIndex('acl_token')) };
  }
}
