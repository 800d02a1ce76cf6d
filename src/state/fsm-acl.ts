// ACL policies and tokens in the FSM. The endpoints validate what they write; the checks here
// are the ones that depend on the state at the entry's index (bootstrap once, unique secrets),
// so that every server decides them alike.
import type { AclPolicy, AclToken } from '../structs/acl.js';
import { badRequest } from '../structs/errors.js';
import type { ApplyContext } from './fsm-context.js';
import type { AclBootstrapEntry } from './log-entries.js';

export function bootstrapAcl(ctx: ApplyContext, entry: AclBootstrapEntry): AclToken {
  const { txn, index } = ctx;
  const done = txn.aclBootstrapIndex();
  if (done > 0 && entry.ResetIndex === 0) throw badRequest(`ACL bootstrap already done (reset index: ${done})`);
  if (done > 0 && entry.ResetIndex !== done) throw badRequest(`Invalid bootstrap reset index (specified ${entry.ResetIndex}, reset index: ${done})`);
  assertToken(entry.Token, 'Token');
  if (entry.Token.Type !== 'management') throw badRequest('Token: a bootstrap token must be a management token', 'Token.Type');
  const token = putToken(ctx, entry.Token, 'Token');
  txn.setAclBootstrapIndex(index);
  return token;
}

export function upsertAclPolicies(ctx: ApplyContext, policies: readonly AclPolicy[]): AclPolicy[] {
  if (!Array.isArray(policies)) throw badRequest('Policies: expected a list of policies', 'Policies');
  return policies.map((p, i) => {
    if (p === null || typeof p !== 'object' || typeof p.Name !== 'string' || p.Name === '') throw badRequest(`Policies[${i}]: policy has no name`, `Policies[${i}].Name`);
    const existing = ctx.txn.aclPolicy(p.Name);
    const stored: AclPolicy = { ...p, CreateIndex: existing?.CreateIndex ?? ctx.index, ModifyIndex: ctx.index };
    ctx.txn.putAclPolicy(stored);
    return stored;
  });
}

export function deleteAclPolicies(ctx: ApplyContext, names: readonly string[]): void {
  for (const n of names ?? []) ctx.txn.deleteAclPolicy(n);
}

export function upsertAclTokens(ctx: ApplyContext, tokens: readonly AclToken[]): AclToken[] {
  if (!Array.isArray(tokens)) throw badRequest('Tokens: expected a list of tokens', 'Tokens');
  return tokens.map((t, i) => {
    assertToken(t, `Tokens[${i}]`);
    return putToken(ctx, t, `Tokens[${i}]`);
  });
}

export function deleteAclTokens(ctx: ApplyContext, accessorIds: readonly string[]): void {
  for (const id of accessorIds ?? []) ctx.txn.deleteAclToken(id);
}

function assertToken(t: AclToken, where: string): void {
  if (t === null || typeof t !== 'object') throw badRequest(`${where}: expected a token`, where);
  if (typeof t.AccessorID !== 'string' || t.AccessorID === '') throw badRequest(`${where}: token has no AccessorID`, `${where}.AccessorID`);
  if (typeof t.SecretID !== 'string' || t.SecretID === '') throw badRequest(`${where}: token has no SecretID`, `${where}.SecretID`);
  if (t.Type !== 'client' && t.Type !== 'management') throw badRequest(`${where}: token type must be client or management`, `${where}.Type`);
}

function putToken(ctx: ApplyContext, t: AclToken, where: string): AclToken {
  const holder = ctx.txn.aclTokenBySecret(t.SecretID);
  // Never say whose: the message is the same whatever token holds the secret.
  if (holder !== undefined && holder.AccessorID !== t.AccessorID) throw badRequest(`${where}: the SecretID is already in use`, `${where}.SecretID`);
  const existing = ctx.txn.aclToken(t.AccessorID);
  const stored: AclToken = { ...t, CreateIndex: existing?.CreateIndex ?? ctx.index, ModifyIndex: ctx.index };
  ctx.txn.putAclToken(stored);
  return stored;
}
