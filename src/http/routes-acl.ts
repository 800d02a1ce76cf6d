// /v1/acl/...: bootstrap, policies and tokens. Answers as Nomad's: policies and tokens are
// managed with a management token; a client token may read its own token and its own policies.
// With ACLs off every route answers 400 "ACL support disabled".
import { aclDisabled, permissionDenied } from '../acl/errors.js';
import { ANY_TOKEN, MANAGEMENT, OPEN } from '../acl/need.js';
import { policyStub, tokenStub, type AclToken } from '../structs/acl.js';
import { badRequest, notFound, NomadError } from '../structs/errors.js';
import { blockingRead, queryMeta, type ApiContext, type Handler } from './api-context.js';
import { requestToken } from './authorize.js';
import { optBool, optInt, optString, optStringList } from './body-fields.js';
import type { Exchange } from './exchange.js';
import type { RouteTable } from './route-table.js';

/** The resolved caller; the route was authorized, so this is a cache hit. */
async function caller(x: Exchange, api: ApiContext): Promise<AclToken> {
  if (api.acl === null) throw aclDisabled();
  return (await api.acl.resolve(requestToken(x))).token;
}

function aclOn(handler: Handler): Handler {
  return (x, api) => {
    if (api.acl === null) throw aclDisabled();
    return handler(x, api);
  };
}

async function written(x: Exchange, api: ApiContext, index: number, body: unknown): Promise<void> {
  x.setMeta(queryMeta(api, index));
  await x.sendJson(200, body);
}

const bootstrap: Handler = async (x, api) => {
  const body = await x.objectBody(true);
  const token = await api.server.acl.bootstrap(optString(body, 'BootstrapSecret'));
  await written(x, api, token.ModifyIndex, token);
};

const listPolicies: Handler = async (x, api) => {
  const me = await caller(x, api);
  const mine = new Set(me.Policies ?? []);
  return blockingRead(x, api, ['acl_policy'], (snap) => ({
    index: snap.tableIndex('acl_policy'),
    value: snap
      .aclPolicies(x.query.get('prefix') ?? '')
      .filter((p) => me.Type === 'management' || mine.has(p.Name))
      .map(policyStub),
  }));
};

const getPolicy: Handler = async (x, api) => {
  const me = await caller(x, api);
  const name = x.params.name!;
  if (me.Type !== 'management' && !(me.Policies ?? []).includes(name)) throw permissionDenied();
  return blockingRead(x, api, ['acl_policy'], (snap) => {
    const p = snap.aclPolicyByName(name);
    if (p === null) throw notFound('ACL policy not found');
    return { index: p.ModifyIndex, value: p };
  });
};

const putPolicy: Handler = async (x, api) => {
  const body = await x.objectBody();
  const name = optString(body, 'Name') || x.params.name!;
  if (name !== x.params.name) throw badRequest('Policy name does not match request path', 'Name');
  const index = await api.server.acl.upsertPolicy({ Name: name, Description: optString(body, 'Description'), Rules: optString(body, 'Rules') });
  await written(x, api, index, null);
};

const deletePolicy: Handler = async (x, api) => {
  await written(x, api, await api.server.acl.deletePolicy(x.params.name!), null);
};

const listTokens: Handler = (x, api) =>
  blockingRead(x, api, ['acl_token'], (snap) => ({ index: snap.tableIndex('acl_token'), value: snap.aclTokens(x.query.get('prefix') ?? '').map(tokenStub) }));

const selfToken: Handler = async (x, api) => {
  // As Nomad's: the lookup needs a secret; the anonymous token has none to look up.
  if (requestToken(x) === '') throw new NomadError('internal', 'acl token lookup failed: missing secret id');
  const me = await caller(x, api);
  x.setMeta(queryMeta(api, me.ModifyIndex));
  await x.sendJson(200, me);
};

const getToken: Handler = async (x, api) => {
  const me = await caller(x, api);
  const accessor = x.params.accessor!;
  if (me.Type !== 'management' && me.AccessorID !== accessor) throw permissionDenied();
  return blockingRead(x, api, ['acl_token'], (snap) => {
    const t = snap.aclTokenByAccessor(accessor);
    if (t === null) throw notFound('ACL token not found');
    return { index: t.ModifyIndex, value: t };
  });
};

async function upsertToken(x: Exchange, api: ApiContext, accessorInPath: string): Promise<void> {
  const body = await x.objectBody();
  const accessor = optString(body, 'AccessorID');
  if (accessorInPath !== '' && accessor !== '' && accessor !== accessorInPath) throw badRequest('Token accessor ID does not match request path', 'AccessorID');
  if (accessorInPath === '' && accessor !== '') throw badRequest('AccessorID must not be set when creating a token', 'AccessorID');
  const ttl = optInt(body, 'ExpirationTTL') ?? 0;
  if (ttl < 0) throw badRequest('ExpirationTTL: must not be negative', 'ExpirationTTL');
  const token = await api.server.acl.upsertToken({
    AccessorID: accessorInPath,
    Name: optString(body, 'Name'),
    Type: optString(body, 'Type'),
    Policies: optStringList(body, 'Policies'),
    Global: optBool(body, 'Global'),
    ExpirationTTLNs: ttl,
  });
  await written(x, api, token.ModifyIndex, token);
}

const deleteToken: Handler = async (x, api) => {
  await written(x, api, await api.server.acl.deleteToken(x.params.accessor!), null);
};

export function addAclRoutes(r: RouteTable): void {
  const W = ['PUT', 'POST'];
  // Open: there is no token before the first one; it works once (or after an operator's reset).
  r.add(W, '/v1/acl/bootstrap', OPEN, aclOn(bootstrap), 'request', 'authoritative');
  r.add(['GET'], '/v1/acl/policies', ANY_TOKEN, aclOn(listPolicies));
  r.add(['GET'], '/v1/acl/policy/:name', ANY_TOKEN, aclOn(getPolicy));
  r.add(W, '/v1/acl/policy/:name', MANAGEMENT, aclOn(putPolicy), 'request', 'authoritative');
  r.add(['DELETE'], '/v1/acl/policy/:name', MANAGEMENT, aclOn(deletePolicy), 'request', 'authoritative');
  r.add(['GET'], '/v1/acl/tokens', MANAGEMENT, aclOn(listTokens));
  r.add(W, '/v1/acl/token', MANAGEMENT, aclOn((x, api) => upsertToken(x, api, '')), 'request', 'acl-token-body');
  r.add(['GET'], '/v1/acl/token/self', ANY_TOKEN, aclOn(selfToken));
  r.add(['GET'], '/v1/acl/token/:accessor', ANY_TOKEN, aclOn(getToken));
  r.add(W, '/v1/acl/token/:accessor', MANAGEMENT, aclOn((x, api) => upsertToken(x, api, x.params.accessor!)), 'request', 'acl-token-body');
  r.add(['DELETE'], '/v1/acl/token/:accessor', MANAGEMENT, aclOn(deleteToken), 'request', 'acl-token-param');
}
