// Serving under load, over real sockets: blocking queries answer only when what they read
// changed, a job without allocations is an empty list that blocks, and a large list is
// streamed in slices while small requests are answered in between.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { mockEval } from '../../test/unit/state-fixtures.js';
import type { Evaluation } from '../structs/evaluation.js';
import { mockNode } from '../../test/unit/scheduler/mock.js';
import { jobInput, startInProcessApi, type InProcessApi, type Reply } from '../../test/unit/http-harness.js';
import { watchKey } from '../state/watch-keys.js';
import { STREAM_MIN_TEXT_CHARS } from './answer-body.js';
import { eventually } from '../../test/unit/in-process-cluster.js';

let api: InProcessApi;

before(async () => {
  // Short turns of read work: the large list below then spans many loop iterations, far more
  // than the few a small request needs to be connected, read and answered, on any machine.
  api = await startInProcessApi({ http: { sliceBudgetMs: 0.25 } });
  // One node for the jobs' allocations.
  await api.server.nodes.nodeRegister({ ...mockNode({ id: 'c9b83144-952d-eea2-2875-b5a843553204', name: 'vm' }), SecretID: 'secret' });
});

after(async () => {
  await api.close();
});

/** Blocking queries on a job's allocations until `check` holds (bounded rounds). */
async function allocsWhen(jobId: string, check: (allocs: any[]) => boolean): Promise<{ allocs: any[]; index: number }> {
  let index = 0;
  for (let round = 0; round < 50; round++) {
    const r = await api.call('GET', `/v1/job/${jobId}/allocations?index=${index}&wait=5s`);
    assert.equal(r.status, 200, r.text);
    index = Number(r.headers['x-nomad-index']);
    if (check(r.json())) return { allocs: r.json(), index };
  }
  throw new Error(`allocations of ${jobId} never met the condition`);
}

async function setClientStatus(allocId: string, status: string): Promise<void> {
  await api.server.nodes.nodeUpdateAllocs([{ ID: allocId, ClientStatus: status, ClientDescription: '', TaskStates: {}, DeploymentStatus: null } as never]);
}

test('a blocking query on one job\'s allocations is not answered by writes to another job\'s', async () => {
  for (const id of ['watch-a', 'watch-b']) assert.equal((await api.call('PUT', '/v1/jobs', { Job: jobInput(id) })).status, 200);
  const a = await allocsWhen('watch-a', (l) => l.length === 1);
  const b = await allocsWhen('watch-b', (l) => l.length === 1);
  const indexA = Number((await api.call('GET', '/v1/job/watch-a/allocations')).headers['x-nomad-index']);

  const watcher = api.call('GET', `/v1/job/watch-a/allocations?index=${indexA}&wait=60s`);
  // Job b's allocation changes, twice; its own watcher sees it.
  await setClientStatus(b.allocs[0].ID, 'running');
  await allocsWhen('watch-b', (l) => l[0].ClientStatus === 'running');
  await setClientStatus(b.allocs[0].ID, 'complete');
  await allocsWhen('watch-b', (l) => l[0].ClientStatus === 'complete');
  // Only now does job a's allocation change: an answer woken by b's writes would still show it pending.
  await setClientStatus(a.allocs[0].ID, 'running');
  const answer = await watcher;
  assert.equal(answer.status, 200);
  assert.equal(answer.json()[0].ClientStatus, 'running');
  assert.ok(Number(answer.headers['x-nomad-index']) > indexA);
});

test('a job that does not exist has an empty allocation list, and a blocking query on it waits for the first', async () => {
  const none = await api.call('GET', '/v1/job/not-yet/allocations');
  assert.equal(none.status, 200);
  assert.deepEqual(none.json(), []);
  const index = Number(none.headers['x-nomad-index']);
  assert.ok(index >= 1);
  const watcher = api.call('GET', `/v1/job/not-yet/allocations?index=${index}&wait=60s`);
  // Another job's placement does not answer it.
  assert.equal((await api.call('PUT', '/v1/jobs', { Job: jobInput('bystander') })).status, 200);
  await allocsWhen('bystander', (l) => l.length === 1);
  assert.equal((await api.call('PUT', '/v1/jobs', { Job: jobInput('not-yet') })).status, 200);
  const answer = await watcher;
  assert.equal(answer.json().length, 1);
  assert.equal(answer.json()[0].JobID, 'not-yet');
});

/** Starts a GET and resolves when its status line and headers are in (the body still coming). */
function startGet(path: string, headers: Record<string, string> = {}): Promise<{ res: IncomingMessage; body: Promise<Buffer>; endedAt: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: api.port, method: 'GET', path, headers }, (res) => {
      const chunks: Buffer[] = [];
      let ended: (ms: number) => void = () => {};
      const endedAt = new Promise<number>((r) => (ended = r));
      const body = new Promise<Buffer>((r) => {
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          ended(performance.now());
          r(Buffer.concat(chunks as unknown as Uint8Array[]));
        });
      });
      resolve({ res, body, endedAt });
    });
    req.on('error', reject);
    req.end();
  });
}

test('a large list is streamed in slices while small requests are answered in between', async () => {
  // Several times the text an answer is held back for before it streams (STREAM_MIN_TEXT_CHARS),
  // so that most of the list is still to be made when its headers arrive.
  const EVALS = 40_000;
  const batch = 4_000;
  for (let i = 0; i < EVALS; i += batch) {
    const evals: Evaluation[] = Array.from({ length: batch }, (_, j) => mockEval(`bulk-${String(i + j).padStart(6, '0')}`, 'bulk-job', { Status: 'complete' }));
    const res = await api.consensus.apply({ Type: 'EvalUpsert', Evals: evals });
    assert.ok(!(res.result instanceof Error));
  }

  for (const gzip of [false, true]) {
    const big = await startGet('/v1/evaluations?prefix=bulk-', gzip ? { 'accept-encoding': 'gzip' } : {});
    assert.equal(big.res.statusCode, 200);
    assert.equal(big.res.headers['content-length'], undefined, 'streamed without a length');
    assert.equal(big.res.headers['transfer-encoding'], 'chunked');
    assert.equal(big.res.headers['content-encoding'], gzip ? 'gzip' : undefined);
    assert.ok(Number(big.res.headers['x-nomad-index']) > 0);

    // While the big answer is being made, a small one comes back.
    let small: Reply | null = null;
    const smallDone = api.call('GET', '/v1/status/leader').then((r) => {
      small = r;
      return performance.now();
    });
    const [smallAt, bigAt] = await Promise.all([smallDone, big.endedAt]);
    assert.equal(small!.status, 200);
    assert.ok(smallAt < bigAt, `the small answer came before the large one was complete (gzip: ${gzip})`);

    const raw = await big.body;
    const text = (gzip ? gunzipSync(raw as unknown as Uint8Array) : raw).toString('utf8');
    assert.ok(text.length >= 3 * STREAM_MIN_TEXT_CHARS, `the list is ${text.length} characters, too short to test streaming`);
    const list = JSON.parse(text) as Evaluation[];
    assert.equal(list.length, EVALS);
    assert.equal(list[0]!.ID, 'bulk-000000');
    assert.equal(list[EVALS - 1]!.ID, `bulk-${String(EVALS - 1).padStart(6, '0')}`);
    assert.equal(list[7]!.Status, 'complete');
  }

  // Small answers keep their length; HEAD sends the headers alone.
  const leader = await startGet('/v1/status/leader');
  assert.ok(Number(leader.res.headers['content-length']) > 0);
  await leader.body;
  const head = await api.call('HEAD', '/v1/evaluations?prefix=bulk-00000');
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
});

test('many watchers of the same list are all answered by one write', async () => {
  const first = await api.call('GET', '/v1/jobs');
  const index = Number(first.headers['x-nomad-index']);
  const watchers = Array.from({ length: 20 }, () => api.call('GET', `/v1/jobs?index=${index}&wait=60s`));
  assert.equal((await api.call('PUT', '/v1/jobs', { Job: jobInput('shared-answer') })).status, 200);
  const answers = await Promise.all(watchers);
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.ok(a.json().some((j: any) => j.ID === 'shared-answer'));
    assert.ok(Number(a.headers['x-nomad-index']) > index);
  }
});

/** Sends a raw request, shuts down the sending side, and resolves with everything answered. */
function halfClosedRequest(port: number, path: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, () => socket.end());
  });
}

test('a client that half-closes after its request still gets the answer', async () => {
  assert.equal((await api.call('PUT', '/v1/jobs', { Job: jobInput('half-closed') })).status, 200);
  // Answered from the slice queue a turn later: the FIN has arrived by then.
  const plain = await halfClosedRequest(api.port, '/v1/jobs');
  assert.match(plain, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(plain, /"ID":"half-closed"/);
  // A blocking query whose client shut down its side is answered with the state as of now,
  // instead of holding a watcher for a client that may be gone.
  // At least 1: ?index=0 never blocks, and the table may not have been written yet.
  const index = Math.max(1, Number((await api.call('GET', '/v1/job/half-closed/allocations')).headers['x-nomad-index']));
  const startedMs = Date.now();
  const blocking = await halfClosedRequest(api.port, `/v1/job/half-closed/allocations?index=${index}&wait=60s`);
  assert.match(blocking, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(blocking, new RegExp(`\r\nX-Nomad-Index: ${index}\r\n`, 'i'));
  assert.ok(Date.now() - startedMs < 30_000, 'the wait ended at the FIN, not at ?wait');
});

test('a client that leaves a blocking query frees its watcher', async () => {
  const index = Math.max(1, Number((await api.call('GET', '/v1/job/left/allocations')).headers['x-nomad-index']));
  const watching = (): number => api.store.waiterCountOn(watchKey.jobAllocs('default', 'left'));
  const socket = connect(api.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.write(`GET /v1/job/left/allocations?index=${index}&wait=60s HTTP/1.1\r\nHost: x\r\n\r\n`, () => resolve()));
  await eventually('the blocking query registered its watcher', () => (watching() === 1 ? true : undefined));
  socket.destroy();
  await eventually('the watcher was released when the client left', () => (watching() === 0 ? true : undefined));
});
