// Requests for another region, between two regions in one process over real sockets: reads,
// writes and plans served by the named region as its own, Nomad's region rule for submitted
// jobs, blocking queries woken by the far region's writes (and ended on both sides when the
// caller goes away), the far region's errors passed on as they are, and the errors for an
// unknown region and for one whose server is gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { InProcessFederation, type TestRegion } from '../../test/unit/federation.js';

const fed = new InProcessFederation();
let east: TestRegion;
let west: TestRegion;

function job(id: string, region?: string): Record<string, unknown> {
  return {
    ID: id,
    Name: id,
    Type: 'batch',
    Datacenters: ['dc1'],
    ...(region === undefined ? {} : { Region: region }),
    TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' }, Resources: { CPU: 20, MemoryMB: 16 } }] }],
  };
}

function jobIn(r: TestRegion, id: string): { Region: string } | null {
  return r.store.snapshot().jobByID('default', id) as { Region: string } | null;
}

before(async () => {
  east = await fed.addRegion('east');
  west = await fed.addRegion('west');
});
after(() => fed.close());

test('every server lists every region with a live server', async () => {
  for (const r of [east, west]) {
    const res = await r.call('GET', '/v1/regions');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text), ['east', 'west']);
  }
});

test('a job for another region is stored there, with that region, by any of Nomad\'s ways of naming it', async () => {
  const byJob = await east.call('PUT', '/v1/jobs', { body: { Job: job('by-job', 'west') } });
  assert.equal(byJob.status, 200, byJob.text);
  assert.equal(jobIn(west, 'by-job')?.Region, 'west');
  assert.equal(jobIn(east, 'by-job'), null, 'nothing is stored in the region that passed it on');
  assert.equal(Number(byJob.headers['x-nomad-index']), JSON.parse(byJob.text).Index, 'the answer is the far region\'s');

  const byQuery = await east.call('PUT', '/v1/jobs?region=west', { body: { Job: job('by-query', 'east') } });
  assert.equal(byQuery.status, 200, byQuery.text);
  assert.equal(jobIn(west, 'by-query')?.Region, 'west', '?region= wins over the job\'s own region');

  const byBody = await east.call('PUT', '/v1/jobs?region=east', { body: { Job: job('by-body'), Region: 'west' } });
  assert.equal(byBody.status, 200, byBody.text);
  assert.equal(jobIn(west, 'by-body')?.Region, 'west', 'the request body\'s Region wins over ?region=');

  const global = await west.call('PUT', '/v1/jobs', { body: { Job: job('global-job', 'global') } });
  assert.equal(global.status, 200, global.text);
  assert.equal(jobIn(west, 'global-job')?.Region, 'west', '"global" means the region of the server asked');

  const plan = await east.call('PUT', '/v1/job/planned/plan', { body: { Job: job('planned', 'west'), Diff: true } });
  assert.equal(plan.status, 200, plan.text);
  assert.equal(JSON.parse(plan.text).Diff.Type, 'Added');
  assert.equal(jobIn(west, 'planned'), null, 'a plan stores nothing');
});

test('reads through another region answer what that region answers', async () => {
  const direct = await west.call('GET', '/v1/job/by-job');
  const forwarded = await east.call('GET', '/v1/job/by-job?region=west');
  assert.equal(forwarded.status, 200);
  assert.deepEqual(JSON.parse(forwarded.text), JSON.parse(direct.text));
  assert.equal(forwarded.headers['x-nomad-index'], direct.headers['x-nomad-index']);
  assert.equal(forwarded.headers['x-nomad-knownleader'], 'true');
  const missing = await east.call('GET', '/v1/job/nope?region=west');
  assert.deepEqual([missing.status, missing.text], [404, 'job not found']);
  const leader = await east.call('GET', '/v1/status/leader?region=west');
  assert.equal(JSON.parse(leader.text), west.rpcAddr);
  const own = await east.call('GET', '/v1/status/leader');
  assert.equal(JSON.parse(own.text), east.rpcAddr);
});

test('a large answer keeps its compression, and its length when sent whole, through another region', async () => {
  for (let i = 0; i < 40; i++) {
    const r = await west.call('PUT', '/v1/jobs', { body: { Job: job(`bulk-${String(i).padStart(2, '0')}`) } });
    assert.equal(r.status, 200, r.text);
  }
  const body = await new Promise<{ encoding: string | undefined; length: number | null; chunked: boolean; data: Buffer }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: east.httpPort, path: '/v1/jobs?region=west&prefix=bulk-', headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on('data', (c: Buffer) => chunks.push(new Uint8Array(c)));
      const length = res.headers['content-length'];
      res.on('end', () => resolve({ encoding: res.headers['content-encoding'], length: length === undefined ? null : Number(length), chunked: res.headers['transfer-encoding'] === 'chunked', data: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(body.encoding, 'gzip');
  // A list encoded within one turn goes out whole with its length; one encoded over several
  // turns (a loaded machine) is streamed in chunks. Either way the far region's framing holds.
  if (body.length === null) assert.ok(body.chunked, 'no length: the answer must be chunked');
  else assert.equal(body.length, body.data.length);
  const jobs = JSON.parse(gunzipSync(new Uint8Array(body.data)).toString('utf8')) as Array<{ ID: string }>;
  assert.equal(jobs.length, 40);
  assert.equal(jobs[0]!.ID, 'bulk-00');
});

test('a blocking query through another region wakes on that region\'s write', async () => {
  const first = await east.call('GET', '/v1/jobs?region=west');
  const index = Number(first.headers['x-nomad-index']);
  const started = Date.now();
  const blocked = east.call('GET', `/v1/jobs?region=west&index=${index}&wait=20s`);
  // The write happens only once the query waits in the far region.
  await waitFor(() => west.http.regionRequestsInFlight() === 1);
  const w = await west.call('PUT', '/v1/jobs', { body: { Job: job('wakes-it') } });
  assert.equal(w.status, 200);
  const res = await blocked;
  assert.equal(res.status, 200);
  assert.ok(Number(res.headers['x-nomad-index']) > index);
  assert.ok((JSON.parse(res.text) as Array<{ ID: string }>).some((j) => j.ID === 'wakes-it'));
  assert.ok(Date.now() - started < 10_000, 'answered at the write, not at the end of the wait');
  await waitFor(() => west.http.regionRequestsInFlight() === 0);
});

test('a caller that goes away ends its blocking query in the far region too', async () => {
  const index = Number((await east.call('GET', '/v1/jobs?region=west')).headers['x-nomad-index']);
  const req = request({ host: '127.0.0.1', port: east.httpPort, path: `/v1/jobs?region=west&index=${index}&wait=60s` });
  req.on('error', () => undefined);
  req.end();
  await waitFor(() => west.http.regionRequestsInFlight() === 1);
  req.destroy();
  await waitFor(() => west.http.regionRequestsInFlight() === 0);
});

test('an unknown region is "No path to region"; a region whose server is gone fails at once, then is unknown', async () => {
  const unknown = await east.call('GET', '/v1/jobs?region=nowhere');
  assert.deepEqual([unknown.status, unknown.text], [500, 'No path to region']);
  const south = await fed.addRegion('south');
  assert.equal((await east.call('GET', '/v1/jobs?region=south')).status, 200);
  await south.rpc.close();
  const started = Date.now();
  const down = await east.call('GET', '/v1/jobs?region=south');
  assert.equal(down.status, 500);
  assert.match(down.text, /^Failed to reach region "south": no server of the region answered \(south-s1\.south at 127\.0\.0\.1:\d+: .+\)$/);
  assert.ok(Date.now() - started < 5_000);
  fed.membership.status('south-s1.south', 'failed');
  assert.deepEqual(await east.call('GET', '/v1/jobs?region=south').then((r) => [r.status, r.text]), [500, 'No path to region']);
  assert.deepEqual(JSON.parse((await east.call('GET', '/v1/regions')).text), ['east', 'west']);
  // The regions that remain work as before.
  assert.equal((await east.call('GET', '/v1/jobs?region=west')).status, 200);
  assert.equal((await east.call('GET', '/v1/jobs')).status, 200);
});

test('alloc exec into another region is served there: its upgrade is relayed both ways, its errors come back', async () => {
  const command = encodeURIComponent('["true"]');
  // West's answer comes after the upgrade, as a close frame with its reason.
  const ws = new WebSocket(`ws://127.0.0.1:${east.httpPort}/v1/client/allocation/any/exec?region=west&task=t&command=${command}`);
  const closed = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', reject);
  });
  assert.deepEqual(closed, { code: 1008, reason: 'Unknown allocation "any"' });
  // A refusal before the upgrade (no task named) is west's plain answer.
  const noTask = await upgradeAnswer(`/v1/client/allocation/any/exec?region=west&command=${command}`);
  assert.deepEqual(noTask, { status: 400, text: 'missing task name' });
  const nowhere = await upgradeAnswer(`/v1/client/allocation/any/exec?region=nowhere&task=t&command=${command}`);
  assert.deepEqual(nowhere, { status: 500, text: 'No path to region' });
  await waitFor(() => west.http.regionRequestsInFlight() === 0);
});

function upgradeAnswer(path: string): Promise<{ status: number; text: string }> {
  const headers = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: east.httpPort, path, headers });
    req.on('upgrade', () => reject(new Error('the socket was upgraded')));
    req.on('response', (r) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (text += c));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(cond: () => boolean, boundMs = 5_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
