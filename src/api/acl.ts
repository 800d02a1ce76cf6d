// /v1/acl/...: bootstrap, policies and tokens (Nomad's api.ACLPolicies and api.ACLTokens).
import type { AclPolicy, AclPolicyListStub, AclToken, AclTokenListStub } from '../structs/acl.js';
import { esc, type HttpTransport } from './http.js';
import type { Answer, QueryOptions, WriteMeta, WriteOptions } from './query.js';

export interface AclTokenRequest {
  AccessorID?: string;
  Name: string;
  Type: string;
  Policies: string[];
  Global: boolean;
  /** Nanoseconds until the token expires (create only). */
  ExpirationTTL?: number;
}

type Written<T> = Promise<{ body: T; meta: WriteMeta }>;

export class AclPolicies {
  constructor(private readonly http: HttpTransport) {}
  list(q?: QueryOptions): Promise<Answer<AclPolicyListStub[]>> {
    return this.http.query('/v1/acl/policies', q);
  }
  info(name: string, q?: QueryOptions): Promise<Answer<AclPolicy>> {
    return this.http.query(`/v1/acl/policy/${esc(name)}`, q);
  }
  upsert(policy: { Name: string; Description: string; Rules: string }, w?: WriteOptions): Written<unknown> {
    return this.http.write('PUT', `/v1/acl/policy/${esc(policy.Name)}`, policy, w);
  }
  delete(name: string, w?: WriteOptions): Written<unknown> {
    return this.http.write('DELETE', `/v1/acl/policy/${esc(name)}`, undefined, w);
  }
}

export class AclTokens {
  constructor(private readonly http: HttpTransport) {}
  /** The first management token; `secret` chooses its SecretID (a UUID), '' lets the server pick. */
  bootstrap(secret = '', w?: WriteOptions): Written<AclToken> {
    return this.http.write('PUT', '/v1/acl/bootstrap', secret ? { BootstrapSecret: secret } : undefined, w);
  }
  list(q?: QueryOptions): Promise<Answer<AclTokenListStub[]>> {
    return this.http.query('/v1/acl/tokens', q);
  }
  info(accessorId: string, q?: QueryOptions): Promise<Answer<AclToken>> {
    return this.http.query(`/v1/acl/token/${esc(accessorId)}`, q);
  }
  self(q?: QueryOptions): Promise<Answer<AclToken>> {
    return this.http.query('/v1/acl/token/self', q);
  }
  create(token: AclTokenRequest, w?: WriteOptions): Written<AclToken> {
    return this.http.write('PUT', '/v1/acl/token', token, w);
  }
  update(token: AclTokenRequest & { AccessorID: string }, w?: WriteOptions): Written<AclToken> {
    return this.http.write('PUT', `/v1/acl/token/${esc(token.AccessorID)}`, token, w);
  }
  delete(accessorId: string, w?: WriteOptions): Written<unknown> {
    return this.http.write('DELETE', `/v1/acl/token/${esc(accessorId)}`, undefined, w);
  }
}
