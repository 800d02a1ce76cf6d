// A server on 127.0.0.1 and a client-only agent on 127.0.0.2, both with ACLs on. The client's
// own API (alloc logs, fs, exec, and every other route it serves or forwards) checks tokens it
// resolves through the servers: anonymous callers are refused, tokens with the capability pass,
// unknown tokens are "ACL token not found", a token deleted on the server stops working within
// token_ttl, and with the server gone the client answers from what it had cached, past the TTL,
// while a token it never saw is refused. A client-only agent with ACLs off in that cluster warns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { HttpServer } from '../../src/http/http-server.js';
import { Cluster, http, waitFor } from './cluster-harness.js';
import { Clients, serviceJob } from './client-harness.js';
import { OPEN_ROUTES, READ_ONLY_RULES, callRoute, isRead, routeCalls } from '../unit/route-walk.js';

const TOKEN_TTL_MS = 2_000;
const CLIENT_ACL = `acl {
  enabled    = true
  token_ttl  = "2s"
  policy_ttl = "2s"
}
`;
const UNKNOWN = '11111111-2222-4333-8444-555555555555';

interface ExecResult {
  /** The HTTP status when the upgrade was refused; 101 when the socket opened. */
  status: number;
  text: string;
  stdout: string;
  closeReason: string;
}

/** Runs a command through the client's exec WebSocket, with a token. */
function wsExec(addr: string, allocId: string, command: string[], token: string): Promise<ExecResult> {
  const query = `task=t&command=${encodeURIComponent(JSON.stringify(command))}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${addr.replace('http', 'ws')}/v1/client/allocation/${allocId}/exec?${query}`, { headers: token ? { 'X-Nomad-Token': token } : {} });
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`exec socket never closed (stdout so far: ${stdout})`)), 20_000);
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text, stdout: '', closeReason: '' });
      });
    });
    ws.on('open', () => ws.send(JSON.stringify({ stdin: { close: true } })));
    ws.on('message', (m) => {
      const f = JSON.parse(m.toString()) as { stdout?: { data?: string } };
      if (f.stdout?.data) stdout += Buffer.from(f.stdout.data, 'base64').toString();
    });
    ws.on('close', (_code, reason) => {
      clearTimeout(timer);
      resolve({ status: 101, text: '', stdout, closeReason: reason.toString() });
    });
    ws.on('error', (e) => {
      if (!/Unexpected server response/.test(e.message)) reject(e);
    });
  });
}

test('a client-only agent with ACLs checks tokens on its own API through the servers', { timeout: 240_000 }, async () => {
  // token_ttl on a server changes nothing (it reads its own state): it says so.
  const cluster = await Cluster.create(1, { bootstrapExpect: 1, extraConfig: 'acl {\n  enabled   = true\n  token_ttl = "5s"\n}\n' });
  const clients = new Clients(cluster);
  try {
    await cluster.startAll();
    const server = cluster.specs[0]!;
    const c1 = await clients.create('c1', '127.0.0.2', CLIENT_ACL);
    const client = clients.start('c1');
    await client.waitForOutput(/node registration complete/, 30_000);
    assert.match(cluster.output(server.name), /acl\.token_ttl has no effect: the server resolves tokens from its own state/);
    assert.doesNotMatch(client.output(), /acl\.(token|policy)_ttl has no effect/, 'a client-only agent uses its TTLs');
    // A client-only agent left with ACLs off in this cluster would serve its API to anyone: it says so.
    // (In a datacenter of its own, so that the jobs below are never placed on it once it stops.)
    await clients.create('open', '127.0.0.3', 'datacenter = "dc-open"\n');
    const open = clients.start('open');
    await open.waitForOutput(/the servers enforce ACLs but this agent has ACLs disabled/, 30_000);
    await clients.stop('open');
    assert.doesNotMatch(client.output(), /the servers enforce ACLs but this agent has ACLs disabled/);

    const boot = await http<{ SecretID: string }>(server.addr, 'PUT', '/v1/acl/bootstrap');
    assert.equal(boot.status, 200, boot.text);
    const root = boot.body.SecretID;
    const as = (method: string, path: string, body?: unknown) => http<Record<string, unknown>>(server.addr, method, path, body, 15_000, root);
    const policy = async (name: string, rules: string) => assert.equal((await as('PUT', `/v1/acl/policy/${name}`, { Name: name, Rules: rules })).status, 200);
    const token = async (name: string, policies: string[]) => {
      const t = await as('PUT', '/v1/acl/token', { Name: name, Type: 'client', Policies: policies });
      assert.equal(t.status, 200, t.text);
      return { secret: t.body.SecretID as string, accessor: t.body.AccessorID as string };
    };
    await policy('logs', 'namespace "default" { capabilities = ["read-logs"] }');
    await policy('exec', 'namespace "default" { capabilities = ["alloc-exec", "alloc-node-exec"] }');
    await policy('exec-only', 'namespace "default" { capabilities = ["alloc-exec"] }');
    await policy('readonly', READ_ONLY_RULES);
    const logs = await token('logs', ['logs']);
    const keeper = await token('keeper', ['logs']);
    const exec = await token('exec', ['exec']);
    const execOnly = await token('exec-only', ['exec-only']);
    const reader = await token('reader', ['readonly']);
    const neverSeen = await token('never-seen', ['logs']);

    const marker = `clientacl-${process.pid}`;
    const reg = await as('PUT', '/v1/jobs', serviceJob('acl-logs', 1, marker));
    assert.equal(reg.status, 200, reg.text);
    const alloc = await waitFor(
      'the allocation running on the client',
      async () => {
        const list = await http<Array<{ ID: string; ClientStatus: string }>>(server.addr, 'GET', '/v1/job/acl-logs/allocations', undefined, 15_000, root);
        return Array.isArray(list.body) ? list.body.find((a) => a.ClientStatus === 'running') : undefined;
      },
      60_000,
    );
    const onClient = (path: string, tok = '') => http<string>(c1.addr, 'GET', path, undefined, 15_000, tok);
    const logsPath = `/v1/client/fs/logs/${alloc.ID}?task=t&type=stdout&plain=true`;
    await waitFor('the task wrote its first line', async () => ((await onClient(logsPath, root)).text.includes(`tick ${marker}`) ? true : undefined), 20_000);

    // Anonymous: logs, fs and exec refused by the client itself.
    for (const path of [logsPath, `/v1/client/fs/ls/${alloc.ID}?path=/`, `/v1/client/fs/cat/${alloc.ID}?path=alloc/logs/t.stdout.0`, '/v1/client/stats', '/v1/agent/self']) {
      const r = await onClient(path);
      assert.deepEqual([r.status, r.text], [403, 'Permission denied'], path);
    }
    const anonExec = await wsExec(c1.addr, alloc.ID, ['/bin/echo', 'hi'], '');
    assert.deepEqual([anonExec.status, anonExec.text], [403, 'Permission denied']);

    // With the capability: allowed; without it: refused; an unknown token: not found.
    const allowed = await onClient(logsPath, logs.secret);
    assert.equal(allowed.status, 200, allowed.text);
    assert.match(allowed.text, new RegExp(`tick ${marker}`));
    assert.deepEqual([(await onClient(`/v1/client/fs/ls/${alloc.ID}?path=/`, logs.secret)).status], [403], 'read-logs does not give read-fs');
    const ran = await wsExec(c1.addr, alloc.ID, ['/bin/echo', `hello-${marker}`], exec.secret);
    assert.equal(ran.status, 101, ran.text);
    assert.equal(ran.stdout, `hello-${marker}\n`);
    const noNodeExec = await wsExec(c1.addr, alloc.ID, ['/bin/echo', 'hi'], execOnly.secret);
    assert.equal(noNodeExec.stdout, '', 'a raw_exec task runs on the node: alloc-exec alone is not enough');
    assert.match(noNodeExec.closeReason + noNodeExec.text, /Permission denied/);
    assert.deepEqual([(await wsExec(c1.addr, alloc.ID, ['/bin/echo', 'hi'], logs.secret)).status], [403]);
    const unknown = await onClient(logsPath, UNKNOWN);
    assert.deepEqual([unknown.status, unknown.text], [403, 'ACL token not found']);

    // Every route, anonymously and with a read-only token, against the client-only agent: what it
    // serves is checked here, what it forwards is checked by the server; no write gets through.
    const table = new HttpServer({ server: null, store: null, forward: async () => undefined, client: null, agent: null }).routeTable();
    const host = c1.ip;
    let reads = 0;
    for (const c of routeCalls(table)) {
      const anon = await callRoute(host, c1.http, c.method, c.path, '', c.body);
      const kind = c.entry.route.need.kind;
      if (kind === 'none') assert.ok(OPEN_ROUTES.includes(c.entry.path) && anon.status !== 403, `${c.method} ${c.path} is open: ${anon.status} ${anon.text}`);
      else if (kind !== 'token') assert.deepEqual([anon.status, anon.text], [403, 'Permission denied'], `${c.method} ${c.path} anonymously`);
      const ro = await callRoute(host, c1.http, c.method, c.path, reader.secret, c.body);
      if (!isRead(c) && c.entry.path !== '/v1/acl/bootstrap') assert.equal(ro.status, 403, `${c.method} ${c.path} must refuse a read-only token: ${ro.status} ${ro.text}`);
      if (isRead(c) && ro.status === 200) reads++;
    }
    assert.ok(reads > 20, `a read-only token reads through the client (${reads} reads answered)`);

    // A token deleted on the server stops working on the client within token_ttl.
    assert.equal((await onClient(logsPath, logs.secret)).status, 200);
    const deletedAt = Date.now();
    assert.equal((await as('DELETE', `/v1/acl/token/${logs.accessor}`)).status, 200);
    await waitFor('the deleted token refused by the client', async () => {
      const r = await onClient(logsPath, logs.secret);
      return r.status === 403 && r.text === 'ACL token not found' ? true : undefined;
    }, TOKEN_TTL_MS + 15_000);
    // The TTL itself is checked exactly on an injected clock (remote-resolver.test.ts); here the
    // slack covers the requests' own time on a loaded machine.
    const tookMs = Date.now() - deletedAt;
    assert.ok(tookMs <= TOKEN_TTL_MS + 8_000, `refused ${tookMs} ms after the deletion (token_ttl ${TOKEN_TTL_MS} ms)`);

    // The server goes away: what the client cached is used past its TTL; nothing unknown passes.
    assert.equal((await onClient(logsPath, keeper.secret)).status, 200);
    await cluster.kill(server.name);
    const cachedAt = Date.now();
    // The cached values must have run out for the outage rule to be what answers.
    await new Promise((r) => setTimeout(r, TOKEN_TTL_MS + 200 - (Date.now() - cachedAt)));
    const stale = await onClient(logsPath, keeper.secret);
    assert.equal(stale.status, 200, stale.text);
    assert.match(stale.text, new RegExp(`tick ${marker}`));
    await client.waitForOutput(/failed to resolve token, using expired cached value/, 10_000);
    const never = await onClient(logsPath, neverSeen.secret);
    assert.notEqual(never.status, 200, 'a valid token the client never saw cannot be checked without the servers');
    assert.equal(never.status, 500, never.text);
    assert.match(never.text, /no server answered/);
    assert.deepEqual([(await onClient(logsPath, UNKNOWN)).status], [403], 'known not to exist stays refused');
    assert.deepEqual([(await onClient(logsPath)).status], [403], 'anonymous stays refused');
    assert.deepEqual([(await onClient(`/v1/client/fs/ls/${alloc.ID}?path=/`, keeper.secret)).status], [403], 'the cached ACL still limits');
    assert.notEqual((await onClient(logsPath, randomUUID())).status, 200, 'nor does any secret never seen');
  } finally {
    await clients.shutdown();
    await cluster.shutdown();
  }
});
