// ACL bootstrap, policies and tokens: validated here, written through the log like every other
// write. Secret IDs are generated here and never logged.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatPolicyErrors, parsePolicy } from '../acl/parse-policy.js';
import {
  MAX_POLICY_DESCRIPTION_LENGTH,
  MAX_TOKEN_NAME_LENGTH,
  POLICY_NAME_RE,
  type AclPolicy,
  type AclToken,
  type AclTokenType,
} from '../structs/acl.js';
import { badRequest, MultiError, NomadError, notFound } from '../structs/errors.js';
import { isUuidLike } from '../structs/ids.js';
import { rfc3339Nano } from '../structs/time.js';
import { writeChecked, type ServerContext } from './context.js';

/** The file an operator writes the reset index into to bootstrap again (in the server's data dir). */
export const ACL_BOOTSTRAP_RESET_FILE = 'acl-bootstrap-reset';

/** Nomad's bounds on a token's time to live. */
export const MIN_TOKEN_TTL_NS = 60 * 1e9;
export const MAX_TOKEN_TTL_NS = 24 * 3600 * 1e9;

export interface AclEndpointsOptions {
  /** Where the reset index file is read from; null when the server keeps no data dir (dev mode). */
  bootstrapResetPath: string | null;
}

export interface PolicyInput {
  Name: string;
  Description: string;
  Rules: string;
}

export interface TokenInput {
  AccessorID: string;
  Name: string;
  Type: string;
  Policies: string[];
  Global: boolean;
  /** Nanoseconds from creation until the token expires (create only; 0: never). */
  ExpirationTTLNs: number;
}

export class AclEndpoints {
  constructor(
    private readonly ctx: ServerContext,
    private readonly opts: AclEndpointsOptions,
  ) {}

  /** The first management token; again only when the reset file names the current bootstrap's index. */
  async bootstrap(secret: string): Promise<AclToken> {
    if (secret !== '' && !isUuidLike(secret)) throw badRequest('BootstrapSecret must be a UUID', 'BootstrapSecret');
    const done = this.ctx.store.snapshot().aclBootstrapIndex();
    let resetIndex = 0;
    if (done > 0) {
      resetIndex = this.resetIndexFromFile();
      if (resetIndex === 0) throw badRequest(`ACL bootstrap already done (reset index: ${done})`);
      if (resetIndex !== done) throw badRequest(`Invalid bootstrap reset index (specified ${resetIndex}, reset index: ${done})`);
    }
    const token = this.newToken({ AccessorID: '', Name: 'Bootstrap Token', Type: 'management', Policies: [], Global: true, ExpirationTTLNs: 0 }, secret || this.ctx.random.uuid());
    const res = await this.ctx.write({ Type: 'AclBootstrap', Token: token, ResetIndex: resetIndex });
    if (res.result instanceof Error) throw res.result;
    const stored = res.result as AclToken;
    this.ctx.logger.info(resetIndex > 0 ? 'acl: bootstrapped again after a reset' : 'acl: bootstrapped', { accessor_id: stored.AccessorID });
    if (resetIndex > 0) this.ctx.logger.warn(`acl: remove ${this.opts.bootstrapResetPath}: it would allow another reset of the bootstrap at index ${res.index}`);
    return stored;
  }

  async upsertPolicy(input: PolicyInput): Promise<number> {
    const errors: string[] = [];
    if (!POLICY_NAME_RE.test(input.Name)) errors.push(`invalid name '${input.Name}'`);
    if (input.Description.length > MAX_POLICY_DESCRIPTION_LENGTH) errors.push(`description longer than ${MAX_POLICY_DESCRIPTION_LENGTH}`);
    const parsed = parsePolicy(input.Rules);
    if (!parsed.ok) errors.push(`failed to parse rules: ${formatPolicyErrors(parsed.errors)}`);
    if (errors.length > 0) throw new MultiError(errors);
    const policy: AclPolicy = { ...input, Hash: digest([input.Name, input.Description, input.Rules]), CreateIndex: 0, ModifyIndex: 0 };
    return writeChecked(this.ctx, { Type: 'AclPolicyUpsert', Policies: [policy] });
  }

  async deletePolicy(name: string): Promise<number> {
    if (this.ctx.store.snapshot().aclPolicyByName(name) === null) throw notFound(`ACL policy not found: ${name}`);
    return writeChecked(this.ctx, { Type: 'AclPolicyDelete', Names: [name] });
  }

  /** A new token (AccessorID empty) or a changed one (AccessorID of an existing token). */
  async upsertToken(input: TokenInput): Promise<AclToken> {
    let token: AclToken;
    if (input.AccessorID === '') {
      token = this.newToken(input, this.ctx.random.uuid());
    } else {
      const existing = this.ctx.store.snapshot().aclTokenByAccessor(input.AccessorID);
      if (existing === null) throw badRequest(`cannot find token ${input.AccessorID}`, 'AccessorID');
      if (existing.Global !== input.Global) throw badRequest('cannot toggle global mode', 'Global');
      if (input.ExpirationTTLNs !== 0) throw badRequest('cannot change the expiration of an existing token', 'ExpirationTTL');
      const type = checkType(input.Type);
      token = { ...existing, Name: input.Name, Type: type, Policies: policiesFor(type, input.Policies) };
      checkToken(token);
      token.Hash = tokenHash(token);
    }
    const res = await this.ctx.write({ Type: 'AclTokenUpsert', Tokens: [token] });
    if (res.result instanceof Error) throw res.result;
    return (res.result as AclToken[])[0]!;
  }

  async deleteToken(accessorId: string): Promise<number> {
    if (this.ctx.store.snapshot().aclTokenByAccessor(accessorId) === null) throw notFound(`Cannot delete nonexistent tokens: ${accessorId}`);
    return writeChecked(this.ctx, { Type: 'AclTokenDelete', AccessorIDs: [accessorId] });
  }

  private newToken(input: TokenInput, secret: string): AclToken {
    const type = checkType(input.Type);
    const now = this.ctx.clock.nowNs();
    const ttl = input.ExpirationTTLNs;
    if (ttl !== 0 && ttl < MIN_TOKEN_TTL_NS) throw badRequest('expiration time cannot be less than 1m0s in the future', 'ExpirationTTL');
    if (ttl > MAX_TOKEN_TTL_NS) throw badRequest('expiration time cannot be more than 24h0m0s in the future', 'ExpirationTTL');
    const token: AclToken = {
      AccessorID: this.ctx.random.uuid(),
      SecretID: secret,
      Name: input.Name,
      Type: type,
      Policies: policiesFor(type, input.Policies),
      Global: input.Global,
      Hash: '',
      CreateTime: rfc3339Nano(now),
      ExpirationTime: ttl > 0 ? rfc3339Nano(now + ttl) : null,
      CreateIndex: 0,
      ModifyIndex: 0,
    };
    checkToken(token);
    token.Hash = tokenHash(token);
    return token;
  }

  /** The index in the reset file; 0 when there is none or it cannot be read (logged). */
  private resetIndexFromFile(): number {
    const path = this.opts.bootstrapResetPath;
    if (path === null) return 0;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.ctx.logger.error('acl: failed to read the bootstrap reset file', { path, error: (e as Error).message });
      return 0;
    }
    const trimmed = text.trim();
    if (!/^\d+$/.test(trimmed)) {
      this.ctx.logger.error('acl: the bootstrap reset file does not hold an index', { path });
      return 0;
    }
    return Number(trimmed);
  }
}

function checkType(type: string): AclTokenType {
  if (type !== 'client' && type !== 'management') throw badRequest('token type must be client or management', 'Type');
  return type;
}

/** Management tokens may do anything: policies on one would mislead, so they are refused. */
function policiesFor(type: AclTokenType, policies: readonly string[]): string[] | null {
  if (type === 'management') {
    if (policies.length > 0) throw badRequest('management token cannot be associated with policies', 'Policies');
    return null;
  }
  return [...policies];
}

function checkToken(t: AclToken): void {
  const errors: string[] = [];
  if (t.Name.length > MAX_TOKEN_NAME_LENGTH) errors.push('token name too long');
  if (t.Type === 'client' && (t.Policies ?? []).length === 0) errors.push('client token missing policies');
  for (const p of t.Policies ?? []) if (!POLICY_NAME_RE.test(p)) errors.push(`invalid policy name '${p}'`);
  if (errors.length > 0) throw new NomadError('bad_request', errors.join('; '));
}

export function tokenHash(t: Pick<AclToken, 'Name' | 'Type' | 'Policies' | 'Global'>): string {
  return digest([t.Name, t.Type, ...(t.Policies ?? []), t.Global ? 'global' : 'local']);
}

function digest(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('base64');
}
