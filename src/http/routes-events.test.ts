import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcessApi, type InProcessApi } from '../../test/unit/http-harness.js';
import { LineReader } from '../../test/unit/line-reader.js';
import { mockJob } from '../../test/unit/state-fixtures.js';
import type { StreamEvent } from '../state/stream-events.js';

let live: InProcessApi;
const warnings: string[] = [];
let onWarning: () => void = () => {};

before(async () => {
  const logger = { warn: (msg: string) => (warnings.push(msg), onWarning()) };
  live = await startInProcessApi({ http: { eventHeartbeatMs: 50, logger }, eventBufferSize: 8 });
});

after(async () => {
  await live.close();
});

function jobBody(id: string): unknown {
  return {
    Job: {
      ID: id,
      Name: id,
      Type: 'service',
      Datacenters: ['dc1'],
      TaskGroups: [{ Name: 'cache', Count: 1, Tasks: [{ Name: 'redis', Driver: 'raw_exec', Config: { command: '/bin/sh' }, Resources: { CPU: 100, MemoryMB: 64 } }] }],
    },
  };
}

test('bad topics and indexes are a 400 before anything streams', async () => {
  const cases: Array<[string, RegExp]> = [
    ['/v1/event/stream?topic=Bogus', /^Invalid topic query: unknown topic "Bogus"/],
    ['/v1/event/stream?topic=Job:a:b', /^Invalid topic query: error parsing topics: Invalid key value pair for topic, topic: Job:a:b$/],
    ['/v1/event/stream?topic=Job:', /empty filter key/],
    ['/v1/event/stream?index=abc', /^Unable to parse index: strconv.Atoi: parsing "abc": invalid syntax$/],
  ];
  for (const [path, message] of cases) {
    const r = await live.call('GET', path);
    assert.equal(r.status, 400, path);
    assert.match(r.text, message, path);
  }
});

test('a registered job reaches a Job-topic subscriber as JobRegistered with the job as payload; heartbeats are {}', async () => {
  const res = await live.open('/v1/event/stream?topic=Job:streamed');
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/json');
  const lines = new LineReader(res);
  assert.equal(await lines.next(), '{}');
  const reg = await live.call('PUT', '/v1/jobs', jobBody('streamed'));
  assert.equal(reg.status, 200);
  const frame = await lines.until((f) => Array.isArray(f.Events));
  assert.equal(frame.Events.length, 1);
  const e = frame.Events[0] as StreamEvent & { Payload: { Job: { ID: string; JobModifyIndex: number } } };
  assert.equal(e.Topic, 'Job');
  assert.equal(e.Type, 'JobRegistered');
  assert.equal(e.Key, 'streamed');
  assert.equal(e.Namespace, 'default');
  assert.equal(e.FilterKeys, null);
  assert.equal(e.Index, frame.Index);
  assert.equal(e.Payload.Job.ID, 'streamed');
  assert.equal(e.Payload.Job.JobModifyIndex, reg.json().JobModifyIndex);
  res.destroy();
});

test('?index replays the buffer from there; allocation payloads carry no job; a node loses its secret', async () => {
  const before = live.store.latestIndex();
  await live.call('PUT', '/v1/jobs', jobBody('replayed'));
  const res = await live.open(`/v1/event/stream?index=${before + 1}&topic=Evaluation:replayed`);
  const lines = new LineReader(res);
  const frame = await lines.until((f) => Array.isArray(f.Events));
  assert.ok(frame.Index > before);
  assert.equal(frame.Events[0].Topic, 'Evaluation');
  assert.equal(frame.Events[0].Payload.Evaluation.JobID, 'replayed');
  res.destroy();
  const { encodeEvent } = await import('./routes-events.js');
  const job = mockJob('j');
  const alloc = encodeEvent({ Topic: 'Allocation', Type: 'PlanResult', Key: 'a', Namespace: 'default', FilterKeys: ['j', ''], Index: 1, object: { table: 'allocs', value: { ID: 'a', Job: job } as never } });
  assert.equal((alloc.Payload as { Allocation: { Job: unknown } }).Allocation.Job, null);
  const node = encodeEvent({ Topic: 'Node', Type: 'NodeRegistration', Key: 'n', Namespace: '', FilterKeys: null, Index: 1, object: { table: 'nodes', value: { ID: 'n', SecretID: 's3cret' } as never } });
  assert.equal((node.Payload as { Node: { SecretID: string } }).Node.SecretID, '');
});

test('a reader that stops reading is dropped once the buffer moves past it, and told why; memory stays bounded', async () => {
  const res = await live.open('/v1/event/stream?topic=Job');
  res.pause();
  const broker = live.server.events!;
  const subscribers = broker.subscriberCount;
  assert.ok(subscribers >= 1);
  // Large events fill the socket's buffers while the reader does not read.
  const big = mockJob('big', { Meta: { blob: 'x'.repeat(256 * 1024) } });
  let index = live.store.latestIndex() + 1000;
  const deadline = Date.now() + 20_000;
  while (broker.subscriberCount === subscribers && Date.now() < deadline) {
    broker.publish({ Index: index++, Events: [{ Topic: 'Job', Type: 'JobRegistered', Key: 'big', Namespace: 'default', FilterKeys: null, Index: index, object: { table: 'jobs', value: big } }] });
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(broker.subscriberCount, subscribers - 1, 'the stalled reader was dropped');
  assert.ok(broker.bufferedBatches <= 8);
  // Its writer gives up on the stalled socket without the reader reading anything.
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the writer did not notice the drop')), 10_000);
    onWarning = () => warnings.some((w) => w.startsWith('event stream reader dropped')) && (clearTimeout(t), resolve());
    onWarning();
  });
  const lines = new LineReader(res);
  res.resume();
  for (;;) {
    const line = await lines.next(20_000);
    if (line === null) break;
  }
  assert.match(lines.rest, /^subscription closed by server, client must reset state and resubscribe: the reader fell behind/);
});
