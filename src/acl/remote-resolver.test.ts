// The client-only agent's token resolution against a real server's ACL endpoints (in process):
// tokens and policies come from the server's state, are trusted for their TTLs, outlive an
// outage of the servers, and nothing the servers never vouched for gets through.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startAclApiServer, type AclApiServer } from '../../test/unit/acl-api-server.js';
import { RpcError } from '../rpc/errors.js';
import type { RpcCaller } from '../rpc/types.js';
import { serverAclSource } from '../agent/remote-acl.js';
import { RemoteTokenResolver } from './remote-resolver.js';
import { coarseNeed, namespaceNeed } from './need.js';
import { PERMISSION_DENIED, TOKEN_EXPIRED, TOKEN_NOT_FOUND } from './errors.js';
import { NomadError } from '../structs/errors.js';

const TTL_MS = 30_000;
const UNKNOWN = '11111111-2222-4333-8444-555555555555';

let api: AclApiServer;
let root = '';

/** The server's RPC handlers called as a client's RPC would, with a switch that takes the servers away. */
class ServerLink implements RpcCaller {
  down = false;
  calls: string[] = [];
  async call<T>(method: string, args: unknown): Promise<T> {
    this.calls.push(method);
    if (this.down) throw new RpcError('connect', `no server answered ${method}`);
    const handler = api.server.rpcHandlers()[method];
    assert.ok(handler, `the server serves ${method}`);
    return (await handler(args)) as T;
  }
}

interface Setup {
  link: ServerLink;
  resolver: RemoteTokenResolver;
  clock: { nowMs: number };
  stale: string[];
}

function setup(): Setup {
  const link = new ServerLink();
  const clock = { nowMs: Date.now() };
  const stale: string[] = [];
  const resolver = new RemoteTokenResolver({
    source: serverAclSource(link, 'global'),
    nowMs: () => clock.nowMs,
    tokenTtlMs: TTL_MS,
    policyTtlMs: TTL_MS,
    onStale: (what) => stale.push(what),
  });
  return { link, resolver, clock, stale };
}

async function put(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await api.call('PUT', path, root, body);
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text) as Record<string, unknown>;
}

async function newToken(policies: string[], extra: Record<string, unknown> = {}): Promise<{ secret: string; accessor: string }> {
  const t = await put('/v1/acl/token', { Name: 't', Type: 'client', Policies: policies, ...extra });
  return { secret: t.SecretID as string, accessor: t.AccessorID as string };
}

function refusal(message: string): (e: unknown) => boolean {
  return (e) => e instanceof NomadError && e.kind === 'forbidden' && e.message === message;
}

before(async () => {
  api = await startAclApiServer({ serverAcl: true });
  const boot = await api.call('PUT', '/v1/acl/bootstrap');
  assert.equal(boot.status, 200, boot.text);
  root = (JSON.parse(boot.text) as { SecretID: string }).SecretID;
  await put('/v1/acl/policy/logs', { Name: 'logs', Rules: 'namespace "default" { capabilities = ["read-logs"] }' });
  await put('/v1/acl/policy/nodes', { Name: 'nodes', Rules: 'node { policy = "read" }' });
});

after(() => api.close());

test('tokens and policies come from the servers; unknown secrets and missing capabilities are refused', async () => {
  const { resolver } = setup();
  const logs = await newToken(['logs']);
  const r = await resolver.authorize(logs.secret, namespaceNeed('read-logs'), 'default');
  assert.equal(r.token.AccessorID, logs.accessor);
  await assert.rejects(async () => resolver.authorize(logs.secret, namespaceNeed('alloc-exec'), 'default'), refusal(PERMISSION_DENIED));
  await assert.rejects(async () => resolver.authorize(logs.secret, coarseNeed('node', 'read'), 'default'), refusal(PERMISSION_DENIED));
  await assert.rejects(async () => resolver.resolve(UNKNOWN), refusal(TOKEN_NOT_FOUND));
  assert.ok((await resolver.resolve(root)).acl.management);
  // No anonymous policy yet: the anonymous token may do nothing.
  await assert.rejects(async () => resolver.authorize('', namespaceNeed('read-logs'), 'default'), refusal(PERMISSION_DENIED));
});

test('within its TTL a resolution is answered from the cache, at once; past it the server decides again', async () => {
  const { resolver, clock, link } = setup();
  const logs = await newToken(['logs']);
  await resolver.resolve(logs.secret);
  const asked = link.calls.length;
  const again = resolver.authorize(logs.secret, namespaceNeed('read-logs'), 'default');
  assert.ok(!(again instanceof Promise), 'a cached token with cached policies is checked without waiting');
  assert.equal(link.calls.length, asked, 'nothing asked of the servers');

  const del = await api.call('DELETE', `/v1/acl/token/${logs.accessor}`, root);
  assert.equal(del.status, 200, del.text);
  clock.nowMs += TTL_MS - 1;
  assert.equal((await resolver.resolve(logs.secret)).token.AccessorID, logs.accessor, 'still trusted within token_ttl');
  clock.nowMs += 2;
  await assert.rejects(async () => resolver.resolve(logs.secret), refusal(TOKEN_NOT_FOUND), 'deleted on the server: refused once the TTL ran out');
});

test('a changed policy takes effect once policy_ttl has passed', async () => {
  const { resolver, clock } = setup();
  await put('/v1/acl/policy/changing', { Name: 'changing', Rules: 'namespace "default" { capabilities = ["read-logs"] }' });
  const t = await newToken(['changing']);
  await resolver.authorize(t.secret, namespaceNeed('read-logs'), 'default');
  await put('/v1/acl/policy/changing', { Name: 'changing', Rules: 'namespace "default" { capabilities = ["alloc-exec"] }' });
  clock.nowMs += TTL_MS + 1;
  await assert.rejects(async () => resolver.authorize(t.secret, namespaceNeed('read-logs'), 'default'), refusal(PERMISSION_DENIED));
  await resolver.authorize(t.secret, namespaceNeed('alloc-exec'), 'default');
});

test('with the servers unreachable cached values are used past their TTL; a secret never resolved is refused', async () => {
  const { resolver, clock, link, stale } = setup();
  const logs = await newToken(['logs']);
  await resolver.resolve(logs.secret);
  await assert.rejects(async () => resolver.resolve(UNKNOWN), refusal(TOKEN_NOT_FOUND));
  const other = await newToken(['logs']);

  link.down = true;
  clock.nowMs += 10 * TTL_MS;
  const r = await resolver.authorize(logs.secret, namespaceNeed('read-logs'), 'default');
  assert.equal(r.token.AccessorID, logs.accessor);
  assert.deepEqual(stale, ['token', 'policies'], 'the use of expired values is reported');
  const asked = link.calls.length;
  await resolver.resolve(logs.secret);
  assert.equal(link.calls.length, asked, 'an expired value used in an outage is trusted for another TTL before the servers are asked again');
  clock.nowMs += TTL_MS + 1;
  await resolver.resolve(logs.secret);
  assert.ok(link.calls.length > asked, 'then asked again');
  await assert.rejects(async () => resolver.resolve(UNKNOWN), refusal(TOKEN_NOT_FOUND), 'known not to exist stays refused');
  await assert.rejects(
    async () => resolver.resolve(other.secret),
    (e: unknown) => e instanceof RpcError && e.code === 'connect',
    'a valid token never seen here cannot be checked: refused with why',
  );
  await assert.rejects(async () => resolver.authorize(logs.secret, namespaceNeed('alloc-exec'), 'default'), refusal(PERMISSION_DENIED), 'the cached ACL still limits');

  link.down = false;
  assert.equal((await resolver.resolve(other.secret)).token.AccessorID, other.accessor, 'back once the servers answer');
});

test('an expired token is refused even from the cache', async () => {
  const { resolver, clock } = setup();
  const t = await newToken(['logs'], { ExpirationTTL: 60_000_000_000 });
  await resolver.resolve(t.secret);
  clock.nowMs += 61_000;
  await assert.rejects(async () => resolver.resolve(t.secret), refusal(TOKEN_EXPIRED));
});

test('a burst of requests with a new token asks the servers once', async () => {
  const { resolver, link } = setup();
  const t = await newToken(['logs', 'nodes']);
  const all = await Promise.all(Array.from({ length: 20 }, () => resolver.authorize(t.secret, coarseNeed('node', 'read'), 'default')));
  assert.equal(new Set(all.map((r) => r.token.AccessorID)).size, 1);
  assert.deepEqual(link.calls, ['ACL.ResolveToken', 'ACL.GetPolicies']);
});

test("ACL.GetPolicies gives a client token its own policies only; ACL.ResolveToken needs a secret", async () => {
  const link = new ServerLink();
  const t = await newToken(['logs']);
  const mine = await link.call<{ Policies: Array<{ Name: string }> }>('ACL.GetPolicies', { Region: 'global', AuthToken: t.secret, Names: ['logs'] });
  assert.deepEqual(mine.Policies.map((p) => p.Name), ['logs']);
  await assert.rejects(link.call('ACL.GetPolicies', { Region: 'global', AuthToken: t.secret, Names: ['nodes'] }), refusal(PERMISSION_DENIED));
  await assert.rejects(link.call('ACL.GetPolicies', { Region: 'global', AuthToken: UNKNOWN, Names: ['logs'] }), refusal(TOKEN_NOT_FOUND));
  await assert.rejects(link.call('ACL.GetPolicies', { Region: 'global', AuthToken: '', Names: ['logs'] }), refusal(PERMISSION_DENIED));
  await assert.rejects(link.call('ACL.ResolveToken', { Region: 'global', SecretID: '' }), (e: unknown) => e instanceof NomadError && e.message === 'missing secret id');
  const none = await link.call<{ Token: unknown }>('ACL.ResolveToken', { Region: 'global', SecretID: UNKNOWN });
  assert.equal(none.Token, null);
});
