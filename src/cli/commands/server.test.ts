// `nomad server members | join | force-leave` against a local HTTP server: several members and
// regions, the leader column, Nomad's wording and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../main.js';
import { startServer, testIo, type Handler } from '../../../test/unit/cli-harness.js';

async function run(handler: Handler, argv: string[]) {
  const server = await startServer(handler);
  try {
    const io = testIo(server.address, '2026-11-21T17:39:30Z');
    const code = await runCli(argv, io);
    return { code, out: io.stdout, err: io.stderr, requests: server.requests };
  } finally {
    await server.close();
  }
}

function member(name: string, addr: string, status: string, region = 'global', dc = 'dc1') {
  return {
    Name: name,
    Addr: addr,
    Port: 4648,
    Tags: { role: 'nomad', region, dc, build: '1.1.2', port: '4647', rpc_addr: addr, id: `id-${name}` },
    Status: status,
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}

const pool = [
  member('s3.global', '127.0.0.3', 'failed'),
  member('s1.global', '127.0.0.1', 'alive'),
  member('e1.europe', '10.0.0.9', 'left', 'europe'),
  member('s2.global', '127.0.0.2', 'alive', 'global', 'dc0'),
];

const members: Handler = (method, url) => {
  if (url.pathname === '/v1/agent/members') return { body: { ServerName: 's1', ServerRegion: 'global', ServerDC: 'dc1', Members: pool } };
  if (url.pathname === '/v1/status/leader') return url.searchParams.get('region') === 'global' ? { body: JSON.stringify('127.0.0.2:4647') } : { status: 500, body: 'no path to region' };
  return undefined;
};

test('server members sorts by region, datacenter and name and marks the leader by RPC address', async () => {
  const r = await run(members, ['server', 'members']);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(r.out, [
    'Name       Address    Port  Status  Leader  Protocol  Build  Datacenter  Region',
    'e1.europe  10.0.0.9   4648  left    false   2         1.1.2  dc1         europe',
    's2.global  127.0.0.2  4648  alive   true    2         1.1.2  dc0         global',
    's1.global  127.0.0.1  4648  alive   false   2         1.1.2  dc1         global',
    's3.global  127.0.0.3  4648  failed  false   2         1.1.2  dc1         global',
  ]);
  // A region whose members all left is not asked for a leader.
  assert.deepEqual(r.requests.filter((q) => q.path === '/v1/status/leader').map((q) => q.query), ['?region=global']);
});

test('server members warns and exits 1 when a region has no reachable leader', async () => {
  const handler: Handler = (m, u) => (u.pathname === '/v1/status/leader' ? { status: 500, body: 'No cluster leader' } : members(m, u, ''));
  const r = await run(handler, ['server', 'members']);
  assert.equal(r.code, 1);
  assert.equal(r.out.at(-1), '');
  assert.deepEqual(r.err, ['Error determining leaders: 1 error occurred:', '\t* Region "global": Unexpected response code: 500 (No cluster leader)', '']);
});

test('server members -detailed lists every tag', async () => {
  const r = await run(members, ['server', 'members', '-detailed']);
  assert.equal(r.code, 0);
  const lines = r.out;
  assert.match(lines[0]!, /^Name +Address +Port +Tags$/);
  assert.match(lines[2]!, /^s2\.global +127\.0\.0\.2 +4648 +build=1\.1\.2,dc=dc0,id=id-s2\.global,port=4647,region=global,role=nomad,rpc_addr=127\.0\.0\.2$/);
});

test('server join reports how many joined; errors carry Nomad wording and exit 1', async () => {
  const handler: Handler = (method, url) => {
    if (method !== 'PUT' || url.pathname !== '/v1/agent/join') return undefined;
    const addrs = url.searchParams.getAll('address');
    return { body: addrs.includes('bad') ? { num_joined: 0, error: 'failed to join any member: bad: refused' } : { num_joined: addrs.length, error: '' } };
  };
  let r = await run(handler, ['server', 'join', '127.0.0.2', '127.0.0.3:4648']);
  assert.deepEqual([r.code, r.out], [0, ['Joined 2 servers successfully']]);
  assert.equal(r.requests[0]!.query, '?address=127.0.0.2&address=127.0.0.3%3A4648');
  r = await run(handler, ['server', 'join', 'bad']);
  assert.deepEqual([r.code, r.err], [1, ['Error joining: failed joining: failed to join any member: bad: refused']]);
  r = await run(handler, ['server', 'join']);
  assert.deepEqual([r.code, r.err[0]], [1, 'One or more node addresses must be given as arguments']);
  assert.equal(r.requests.length, 0);
});

test('server force-leave sends the node (and prune) and exits as Nomad', async () => {
  const handler: Handler = (method, url) => {
    if (method !== 'PUT' || url.pathname !== '/v1/agent/force-leave') return undefined;
    return url.searchParams.get('node') === 'boom' ? { status: 500, body: 'gossip stopped' } : { body: '' };
  };
  let r = await run(handler, ['server', 'force-leave', 's3.global']);
  assert.deepEqual([r.code, r.out, r.err], [0, [], []]);
  assert.equal(r.requests[0]!.query, '?node=s3.global');
  r = await run(handler, ['server', 'force-leave', '-prune', 's3.global']);
  assert.equal(r.code, 0);
  assert.equal(r.requests[0]!.query, '?node=s3.global&prune=true');
  r = await run(handler, ['server', 'force-leave', 'boom']);
  assert.deepEqual([r.code, r.err], [1, ['Error force-leaving server boom: Unexpected response code: 500 (gossip stopped)']]);
  r = await run(handler, ['server', 'force-leave']);
  assert.deepEqual([r.code, r.err[0]], [1, 'This command takes one argument: <node>']);
});
