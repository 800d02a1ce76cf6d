// The region forwarder over the real RPC transport on loopback: which regions exist, a call and
// a stream served by a live server of the named region, failing over past servers that cannot
// be reached (and only those), and the errors for an unknown region and for one whose servers
// are all gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { NomadError } from '../structs/errors.js';
import { systemClock, systemRandom } from '../structs/clock.js';
import { RpcPool, RpcServer, silentRpcLogger } from '../rpc/index.js';
import { RecordingMetrics } from '../../test/unit/recording-metrics.js';
import { ScriptedMembership } from '../../test/unit/in-process-cluster.js';
import { silentLogger } from './logger.js';
import { NO_REGION_PATH, REGION_FAILOVER_BUDGET_MS, RegionForwarder } from './region-forwarder.js';
import type { ServerMember } from './server-members.js';

interface Listener {
  server: RpcServer;
  addr: string;
  calls: number;
}

const listeners: Listener[] = [];
let pool: RpcPool;
/** An address where nothing listens (a server that was killed). */
let deadAddr = '';

async function listen(name: string, host: string): Promise<Listener> {
  const server = new RpcServer({ bindHost: host, port: 0, logger: silentRpcLogger });
  const { port } = await server.listen();
  const l: Listener = { server, addr: `${host}:${port}`, calls: 0 };
  server.handle('Test.Where', async (args) => {
    l.calls++;
    if ((args as { fail?: boolean }).fail) throw new NomadError('bad_request', `refused by ${name}`);
    return { served: name, args };
  });
  server.handleStream('Test.Count', async (args, _ctx, out) => {
    l.calls++;
    for (let i = 0; i < (args as { n: number }).n; i++) await out.write(`${name}:${i}`);
  });
  listeners.push(l);
  return l;
}

function member(name: string, region: string, rpcAddr: string, status: ServerMember['status'] = 'alive'): ServerMember {
  return { name: `${name}.${region}`, id: name, region, datacenter: 'dc1', rpcAddr, status, bootstrapExpect: 1, build: 'test' };
}

function forwarder(membership: ScriptedMembership, region = 'east'): RegionForwarder {
  return new RegionForwarder({ region, membership, rpc: pool, clock: systemClock, random: systemRandom, logger: silentLogger });
}

before(async () => {
  pool = new RpcPool({ logger: silentRpcLogger });
  const gone = new RpcServer({ bindHost: '127.0.0.1', port: 0, logger: silentRpcLogger });
  deadAddr = `127.0.0.1:${(await gone.listen()).port}`;
  await gone.close();
});

after(async () => {
  await pool.close();
  for (const l of listeners) await l.server.close();
});

test('regions are those with a live server, this one always among them, sorted', async () => {
  const m = new ScriptedMembership();
  const f = forwarder(m, 'east');
  assert.deepEqual(f.regions(), ['east']);
  m.set(member('w1', 'west', '127.0.0.1:1'));
  m.set(member('a1', 'asia', '127.0.0.1:2'));
  m.set(member('e1', 'east', '127.0.0.1:3'));
  assert.deepEqual(f.regions(), ['asia', 'east', 'west']);
  m.status('a1.asia', 'failed');
  assert.deepEqual(f.regions(), ['east', 'west'], 'a region whose servers all failed is no longer known');
  m.status('w1.west', 'left');
  assert.deepEqual(f.regions(), ['east']);
  const dev = new RegionForwarder({ region: 'east', membership: m, rpc: null, clock: systemClock, random: systemRandom, logger: silentLogger });
  m.status('w1.west', 'alive');
  assert.deepEqual(dev.regions(), ['east'], 'a server without RPC reaches no other region');
});

test('a call runs on a server of the named region, failing over past one that cannot be reached', async () => {
  const w1 = await listen('w1', '127.0.0.1');
  const m = new ScriptedMembership();
  m.set(member('w0', 'west', deadAddr));
  m.set(member('w1', 'west', w1.addr));
  m.set(member('e1', 'east', '127.0.0.1:9'));
  const metrics = new RecordingMetrics();
  const f = new RegionForwarder({ region: 'east', membership: m, rpc: pool, clock: systemClock, random: systemRandom, logger: silentLogger, metrics });
  // Whatever order the shuffle picks, the dead server never answers and the live one always does.
  for (let i = 0; i < 6; i++) {
    const r = await f.call<{ served: string; args: unknown }>('west', 'Test.Where', { i });
    assert.deepEqual(r, { served: 'w1', args: { i } });
  }
  assert.equal(w1.calls, 6);
  const counted = metrics.seen.filter((x) => x.name === 'nomad.rpc.cross-region');
  assert.equal(counted.length, 6, 'each request counts once, however many servers were tried');
  assert.ok(counted.every((x) => x.kind === 'counter' && x.labels?.region === 'west'));
});

test('an answer of the server (an error it raised) is not sent to another server', async () => {
  const a = await listen('a', '127.0.0.1');
  const b = await listen('b', '127.0.0.1');
  const m = new ScriptedMembership();
  m.set(member('a', 'west', a.addr));
  m.set(member('b', 'west', b.addr));
  const f = forwarder(m);
  await assert.rejects(f.call('west', 'Test.Where', { fail: true }), (e: unknown) => e instanceof NomadError && /^refused by [ab]$/.test(e.message));
  assert.equal(a.calls + b.calls, 1, 'exactly one server was asked');
});

test('an unknown region is "No path to region"; one whose servers are all gone says so, in seconds', async () => {
  const m = new ScriptedMembership();
  m.set(member('w0', 'west', deadAddr));
  const f = forwarder(m);
  await assert.rejects(f.call('nowhere', 'Test.Where', {}), (e: unknown) => e instanceof NomadError && e.message === NO_REGION_PATH);
  const started = Date.now();
  await assert.rejects(f.call('west', 'Test.Where', {}), (e: unknown) => {
    assert.ok(e instanceof NomadError);
    assert.match(e.message, /^Failed to reach region "west": no server of the region answered \(w0\.west at 127\.0\.0\.1:\d+: .+\)$/);
    return true;
  });
  assert.ok(Date.now() - started < REGION_FAILOVER_BUDGET_MS, 'a refused connection fails at once');
});

test('a stream is served by a live server of the region, failing over before its first item', async () => {
  const s = await listen('s', '127.0.0.1');
  const m = new ScriptedMembership();
  m.set(member('dead', 'west', deadAddr));
  m.set(member('s', 'west', s.addr));
  const f = forwarder(m);
  for (let round = 0; round < 4; round++) {
    const got: unknown[] = [];
    for await (const item of f.stream('west', 'Test.Count', { n: 3 })) got.push(item);
    assert.deepEqual(got, ['s:0', 's:1', 's:2']);
  }
  const none: unknown[] = [];
  for await (const item of f.stream('west', 'Test.Count', { n: 0 })) none.push(item);
  assert.deepEqual(none, [], 'a stream without items ends cleanly');
  await assert.rejects(async () => {
    for await (const _ of f.stream('nowhere', 'Test.Count', { n: 1 })) assert.fail('no item from an unknown region');
  }, new RegExp(NO_REGION_PATH));
});
