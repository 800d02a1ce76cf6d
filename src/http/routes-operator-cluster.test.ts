// The operator routes on three real Raft servers in one process, each with its own HTTP API:
// the configuration and status as any server tells them, a snapshot saved and restored through
// followers (every server ends with the saved state, and writes go on from there), health that
// turns 429 when a server dies, and the dead server removed by ID.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { jobInput } from '../../test/unit/http-harness.js';
import { eventually, InProcessCluster, type TestServer } from '../../test/unit/in-process-cluster.js';
import { HttpServer } from './http-server.js';

const cluster = new InProcessCluster();
const apis = new Map<string, { http: HttpServer; base: string }>();

async function call(s: TestServer, method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method };
  if (body instanceof Uint8Array) init.body = body;
  else if (body !== undefined) init.body = JSON.stringify(body);
  return fetch(apis.get(s.name)!.base + path, init);
}

async function json(r: Response | Promise<Response>): Promise<any> {
  return (await r).json();
}

function followers(): TestServer[] {
  return [...cluster.servers.values()].filter((s) => s.up && s !== cluster.leader());
}

async function jobIds(s: TestServer): Promise<string[]> {
  await s.server.readBarrier(false);
  return s.store.snapshot().jobs('default').map((j) => j.ID).sort();
}

before(async () => {
  for (const n of ['a', 'b', 'c']) {
    const s = await cluster.add(n, { bootstrapExpect: 3 });
    const http = new HttpServer({ server: s.server, store: s.store, client: null, agent: null, port: 0 });
    apis.set(n, { http, base: `http://127.0.0.1:${(await http.listen()).port}` });
  }
  const leader = await eventually('a leader', () => cluster.leader());
  await leader.server.whenSettled();
});

after(async () => {
  for (const a of apis.values()) await a.http.close();
  await cluster.shutdown();
});

test('every server tells the same Raft configuration, leader and voters', async () => {
  const leader = cluster.leader()!;
  for (const s of cluster.servers.values()) {
    const cfg = await json(call(s, 'GET', '/v1/operator/raft/configuration'));
    assert.ok(cfg.Index > 0, 'the index of the configuration entry');
    const servers = cfg.Servers.map((x: { ID: string; Node: string; Address: string; Leader: boolean; Voter: boolean; RaftProtocol: string }) => ({ ...x })).sort((x: { Node: string }, y: { Node: string }) => x.Node.localeCompare(y.Node));
    assert.deepEqual(
      servers,
      ['a', 'b', 'c'].map((n) => {
        const t = cluster.servers.get(n)!;
        return { ID: t.id, Node: `${n}.global`, Address: t.addr, Leader: t === leader, Voter: true, RaftProtocol: '3' };
      }),
      `as ${s.name} tells it`,
    );
    const stale = await json(call(s, 'GET', '/v1/operator/raft/configuration?stale'));
    assert.equal(stale.Servers.length, 3);
    assert.equal(await json(call(s, 'GET', '/v1/status/leader')), leader.addr);
    assert.deepEqual((await json(call(s, 'GET', '/v1/status/peers'))).sort(), ['a:4647', 'b:4647', 'c:4647']);
  }
});

test('a snapshot saved through one follower and restored through another: every server ends with it', async () => {
  const [f1, f2] = followers();
  assert.equal((await call(f1!, 'PUT', '/v1/jobs', { Job: jobInput('saved') })).status, 200);
  const saved = await call(f1!, 'GET', '/v1/operator/snapshot');
  assert.equal(saved.status, 200);
  const archive = new Uint8Array(await saved.arrayBuffer());
  for (const id of ['after1', 'after2']) assert.equal((await call(cluster.leader()!, 'PUT', '/v1/jobs', { Job: jobInput(id) })).status, 200);
  for (const s of cluster.servers.values()) assert.deepEqual(await jobIds(s), ['after1', 'after2', 'saved']);

  // A follower's blocking queries on the job list (woken by any change meanwhile, such as the
  // scheduler's) come to the restored list without any write after the restore.
  const watching = (async () => {
    let index = (await call(f1!, 'GET', '/v1/jobs')).headers.get('x-nomad-index');
    for (let round = 0; round < 50; round++) {
      const r = await call(f1!, 'GET', `/v1/jobs?index=${index}&wait=60s`);
      const ids = (await json(r)).map((j: { ID: string }) => j.ID);
      if (ids.length === 1 && ids[0] === 'saved') return r;
      index = r.headers.get('x-nomad-index');
    }
    throw new Error('the blocking queries never saw the restored list');
  })();
  const restored = await call(f2!, 'PUT', '/v1/operator/snapshot', archive);
  assert.equal(restored.status, 200, await restored.clone().text());
  const restoreIndex = Number(restored.headers.get('x-nomad-index'));
  for (const s of cluster.servers.values()) {
    await eventually(`${s.name} holds the restored state`, () => (s.consensus.stats().appliedIndex >= restoreIndex ? true : undefined));
    assert.deepEqual(await jobIds(s), ['saved'], `${s.name} after the restore`);
  }
  const woke = await watching;
  assert.ok(Number(woke.headers.get('x-nomad-index')) >= restoreIndex);
  const next = await call(f2!, 'PUT', '/v1/jobs', { Job: jobInput('next') });
  assert.equal(next.status, 200);
  assert.ok((await json(next)).JobModifyIndex > restoreIndex);
  for (const s of cluster.servers.values()) assert.deepEqual(await jobIds(s), ['next', 'saved'], `${s.name} after a write that followed`);
});

test('health turns 429 when a server dies; removing it by ID leaves two voters', async () => {
  const leader = cluster.leader()!;
  const healthy = await call(leader, 'GET', '/v1/operator/autopilot/health');
  assert.equal(healthy.status, 200);
  const h = await json(healthy);
  assert.equal(h.Healthy, true);
  assert.equal(h.FailureTolerance, 1);
  assert.equal(h.Servers.length, 3);

  // Autopilot must leave the dead server to the operator: no cleanup of its own.
  const current = await json(call(leader, 'GET', '/v1/operator/autopilot/configuration'));
  assert.equal(await json(call(leader, 'PUT', `/v1/operator/autopilot/configuration?cas=${current.ModifyIndex}`, { CleanupDeadServers: false })), true);
  const victim = followers()[0]!;
  await apis.get(victim.name)!.http.close();
  apis.delete(victim.name);
  await cluster.crash(victim.name);
  const survivor = followers()[0]!;
  // The dead server turns unhealthy once the leader has not heard from it for the threshold.
  const deadline = Date.now() + 10_000;
  let r = await call(survivor, 'GET', '/v1/operator/autopilot/health');
  while (r.status !== 429 && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 25));
    r = await call(survivor, 'GET', '/v1/operator/autopilot/health');
  }
  assert.equal(r.status, 429, 'an unhealthy cluster answers 429');
  const body = await json(r);
  assert.equal(body.Healthy, false);
  assert.equal(body.Servers.find((s: { ID: string }) => s.ID === victim.id).Healthy, false);

  // Gossip now says failed too (else the leader would add an alive member back).
  cluster.membership.status(`${victim.name}.global`, 'failed');
  const removed = await call(survivor, 'DELETE', `/v1/operator/raft/peer?id=${victim.id}`);
  assert.equal(removed.status, 200, await removed.clone().text());
  const cfg = await json(call(survivor, 'GET', '/v1/operator/raft/configuration'));
  assert.deepEqual(cfg.Servers.map((s: { ID: string }) => s.ID).sort(), [leader.id, survivor.id].sort());
  const again = await call(survivor, 'DELETE', `/v1/operator/raft/peer?id=${victim.id}`);
  assert.equal(again.status, 500);
  assert.equal(await again.text(), `id "${victim.id}" was not found in the Raft configuration`);
});

test('a server left without a quorum tells no leader, and its own voters', async () => {
  const leader = cluster.leader()!;
  const survivor = followers()[0]!;
  assert.equal(await json(call(survivor, 'GET', '/v1/status/leader')), leader.addr);
  await apis.get(leader.name)!.http.close();
  apis.delete(leader.name);
  await cluster.crash(leader.name);
  // One voter of two cannot elect: once its election timeout passes it knows no leader.
  const deadline = Date.now() + 10_000;
  let known = await json(call(survivor, 'GET', '/v1/status/leader'));
  while (known !== '' && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 25));
    known = await json(call(survivor, 'GET', '/v1/status/leader'));
  }
  assert.equal(known, '', 'no leader within 10 s of losing the quorum');
  assert.deepEqual((await json(call(survivor, 'GET', '/v1/status/peers'))).sort(), [leader.addr, survivor.addr].sort());
  const stale = await json(call(survivor, 'GET', '/v1/operator/raft/configuration?stale'));
  assert.deepEqual(stale.Servers.map((s: { Leader: boolean }) => s.Leader), [false, false]);
});
