// Every route declares what its caller needs, and the declarations hold against real requests:
// the route table is walked, and each route is called anonymously, with a read-only token and
// with a management token on a real server with ACLs on. No write gets through without rights.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeNeed } from '../acl/need.js';
import type { StateStore } from '../state/store.js';
import type { HttpServer } from './http-server.js';
import { OPEN_ROUTES, READ_ONLY_RULES, WALK_JOB, callRoute, isRead, routeCalls } from '../../test/unit/route-walk.js';
import { startAclApiServer, type AclApiServer } from '../../test/unit/acl-api-server.js';

let api: AclApiServer;
let store: StateStore;
let http: HttpServer;
let rootSecret = '';
let readSecret = '';

function call(method: string, path: string, token = '', body?: unknown): Promise<{ status: number; text: string }> {
  return callRoute('127.0.0.1', api.port, method, path, token, body);
}

before(async () => {
  api = await startAclApiServer();
  store = api.store;
  http = api.http;
  const boot = await call('PUT', '/v1/acl/bootstrap');
  assert.equal(boot.status, 200, boot.text);
  rootSecret = (JSON.parse(boot.text) as { SecretID: string }).SecretID;
  assert.equal((await call('PUT', '/v1/acl/policy/readonly', rootSecret, { Name: 'readonly', Rules: READ_ONLY_RULES })).status, 200);
  const tok = await call('PUT', '/v1/acl/token', rootSecret, { Name: 'reader', Type: 'client', Policies: ['readonly'] });
  assert.equal(tok.status, 200, tok.text);
  readSecret = (JSON.parse(tok.text) as { SecretID: string }).SecretID;
  assert.equal((await call('PUT', '/v1/jobs', rootSecret, { Job: WALK_JOB })).status, 200);
  // Let the scheduler finish with the job's evaluation, so that nothing else writes during the sweeps.
  const deadline = Date.now() + 20_000;
  while (store.snapshot().evals('*').some((e) => e.Status === 'pending')) {
    assert.ok(Date.now() < deadline, 'the evaluation was processed');
    await store.waitForChange(['evals'], store.snapshot().tableIndex('evals'), 1_000);
  }
});

after(() => api.close());

test('every route declares its need; only the routes Nomad leaves open are open', () => {
  const entries = http.routeTable().entries();
  assert.ok(entries.length > 60, `the table has the whole API (${entries.length} routes)`);
  for (const e of entries) assert.ok(describeNeed(e.route.need).length > 0, `${e.path} declares a need`);
  const open = [...new Set(entries.filter((e) => e.route.need.kind === 'none').map((e) => e.path))].sort();
  assert.deepEqual(open, [...OPEN_ROUTES].sort());
});

test('anonymous callers (no anonymous policy) are refused everywhere but the open routes, and write nothing', async () => {
  const before = store.snapshot().latestIndex();
  for (const { method, entry, path, body } of routeCalls(http.routeTable())) {
    const res = await call(method, path, '', body);
    const kind = entry.route.need.kind;
    if (kind === 'none') {
      assert.notEqual(res.status, 403, `${method} ${path} is open`);
    } else if (kind === 'token') {
      assert.ok(res.status === 200 || res.status === 403 || res.status === 500, `${method} ${path}: ${res.status} ${res.text}`);
    } else {
      assert.equal(res.status, 403, `${method} ${path}: ${res.text}`);
      assert.equal(res.text, 'Permission denied');
    }
  }
  assert.equal(store.snapshot().latestIndex(), before, 'no anonymous request wrote to the state');
});

test('a read-only token reads but never writes; unknown tokens are "ACL token not found"', async () => {
  const before = store.snapshot().latestIndex();
  let reads = 0;
  for (const c of routeCalls(http.routeTable())) {
    const { method, entry, path } = c;
    const res = await call(method, path, readSecret, c.body);
    const read = isRead(c);
    if (!read && entry.path !== '/v1/acl/bootstrap') {
      assert.equal(res.status, 403, `${method} ${path} must refuse a read-only token: ${res.status} ${res.text}`);
    }
    if (read && res.status === 200) reads++;
  }
  assert.ok(reads > 20, `a read-only token reads (${reads} reads answered)`);
  assert.equal(store.snapshot().latestIndex(), before, 'no read-only request wrote to the state');
  const unknown = await call('GET', '/v1/jobs', '11111111-2222-4333-8444-555555555555');
  assert.deepEqual([unknown.status, unknown.text], [403, 'ACL token not found']);
  const denied = await call('GET', '/v1/client/fs/logs/00000000-0000-4000-8000-000000000000?task=t', readSecret);
  assert.deepEqual([denied.status, denied.text], [403, 'Permission denied'], 'alloc logs need read-logs');
});

test('a management token passes authorization on every route', async () => {
  for (const { method, entry, path } of routeCalls(http.routeTable())) {
    if (method !== 'GET') continue;
    const res = await call(method, path, rootSecret);
    assert.ok(res.status !== 403, `${method} ${entry.path}: ${res.text}`);
  }
});
