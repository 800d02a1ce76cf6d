// ACL tokens and policies in the JSON shape of Nomad's API. A token's SecretID is what a caller
// sends (X-Nomad-Token); its AccessorID is the public name by which operators manage it.

export type AclTokenType = 'client' | 'management';

export interface AclPolicy {
  Name: string;
  Description: string;
  /** The rules as written (HCL or JSON); parsed when the policy is stored and when it is used. */
  Rules: string;
  /** Base64 of a digest of Name, Description and Rules: changes whenever they do. */
  Hash: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface AclPolicyListStub {
  Name: string;
  Description: string;
  Hash: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface AclToken {
  AccessorID: string;
  SecretID: string;
  Name: string;
  Type: AclTokenType;
  /** Policy names (client tokens only; null for management tokens). */
  Policies: string[] | null;
  Global: boolean;
  Hash: string;
  /** RFC 3339 with nanoseconds, as Nomad's Go time.Time encodes. */
  CreateTime: string;
  /** When the token stops being accepted; null for tokens that never expire. */
  ExpirationTime: string | null;
  CreateIndex: number;
  ModifyIndex: number;
}

export type AclTokenListStub = Omit<AclToken, 'SecretID'>;

/** The token every request without X-Nomad-Token is made with: its rights are the "anonymous" policy's. */
export const ANONYMOUS_TOKEN: Readonly<AclToken> = Object.freeze({
  AccessorID: 'anonymous',
  SecretID: 'anonymous',
  Name: 'Anonymous Token',
  Type: 'client',
  Policies: Object.freeze(['anonymous']) as unknown as string[],
  Global: false,
  Hash: '',
  CreateTime: '0001-01-01T00:00:00Z',
  ExpirationTime: null,
  CreateIndex: 0,
  ModifyIndex: 0,
});

export const ANONYMOUS_POLICY = 'anonymous';

/** Nomad's limits and name rules for policies and tokens. */
export const POLICY_NAME_RE = /^[a-zA-Z0-9-]{1,128}$/;
export const MAX_POLICY_DESCRIPTION_LENGTH = 256;
export const MAX_TOKEN_NAME_LENGTH = 256;

export function policyStub(p: AclPolicy): AclPolicyListStub {
  return { Name: p.Name, Description: p.Description, Hash: p.Hash, CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex };
}

export function tokenStub(t: AclToken): AclTokenListStub {
  const { SecretID: _secret, ...rest } = t;
  return rest;
}
