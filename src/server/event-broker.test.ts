import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBroker } from './event-broker.js';
import type { EventBatch, EventFilter, StreamEvent } from '../state/stream-events.js';
import { mockJob } from '../../test/unit/state-fixtures.js';

const ALL: EventFilter = { topics: new Map([['*', ['*']]]), namespace: '*' };

function batch(index: number, jobId = `job-${index}`): EventBatch {
  const job = mockJob(jobId);
  const e: StreamEvent = { Topic: 'Job', Type: 'JobRegistered', Key: jobId, Namespace: 'default', FilterKeys: null, Index: index, object: { table: 'jobs', value: job } };
  return { Index: index, Events: [e] };
}

test('a subscriber reads the backlog (index 0), then what comes, in order', async () => {
  const broker = new EventBroker(10);
  broker.publish(batch(1));
  broker.publish(batch(2));
  const sub = broker.subscribe(ALL, 0);
  assert.deepEqual(sub.take(100).map((b) => b.Index), [1, 2]);
  assert.deepEqual(sub.take(100), []);
  const woken = sub.wait();
  broker.publish(batch(3));
  await woken;
  assert.deepEqual(sub.take(100).map((b) => b.Index), [3]);
});

test('?index starts at the first buffered batch at or after it; an index the buffer has left starts at its oldest', () => {
  const broker = new EventBroker(3);
  for (let i = 1; i <= 5; i++) broker.publish(batch(i * 10));
  assert.equal(broker.bufferedBatches, 3);
  assert.deepEqual(broker.subscribe(ALL, 35).take(100).map((b) => b.Index), [40, 50]);
  assert.deepEqual(broker.subscribe(ALL, 40).take(100).map((b) => b.Index), [40, 50]);
  assert.deepEqual(broker.subscribe(ALL, 5).take(100).map((b) => b.Index), [30, 40, 50]);
  assert.deepEqual(broker.subscribe(ALL, 99).take(100), []);
});

test('filters drop events and skip batches left empty', () => {
  const broker = new EventBroker(10);
  broker.publish(batch(1, 'web'));
  broker.publish(batch(2, 'db'));
  const sub = broker.subscribe({ topics: new Map([['Job', ['db']]]), namespace: 'default' }, 0);
  assert.deepEqual(sub.take(100).map((b) => b.Events.map((e) => e.Key)), [['db']]);
});

test('a subscriber that falls behind the buffer is closed as slow; the buffer never grows past its size', () => {
  const broker = new EventBroker(4);
  const slow = broker.subscribe(ALL, 0);
  const quick = broker.subscribe(ALL, 0);
  for (let i = 1; i <= 4; i++) broker.publish(batch(i));
  assert.equal(quick.take(100).length, 4);
  broker.publish(batch(5));
  assert.equal(broker.bufferedBatches, 4);
  // The slow one's next batch (index 1) has left the buffer.
  assert.deepEqual(slow.take(100), []);
  assert.equal(slow.closeReason, 'slow');
  assert.equal(quick.take(100).length, 1);
  assert.equal(quick.closeReason, null);
  assert.equal(broker.subscriberCount, 1);
});

test('a restore closes every subscription (they must resubscribe) and empties the buffer; waiters wake', async () => {
  const broker = new EventBroker(4);
  broker.publish(batch(1));
  const sub = broker.subscribe(ALL, 0);
  sub.take(100);
  const woken = sub.wait();
  broker.reset();
  await woken;
  assert.equal(sub.closeReason, 'reset');
  assert.equal(broker.bufferedBatches, 0);
  assert.deepEqual(broker.subscribe(ALL, 0).take(100), []);
});

test('an aborted wait resolves; the buffer size must be positive', async () => {
  const broker = new EventBroker(2);
  const sub = broker.subscribe(ALL, 0);
  const ac = new AbortController();
  const waiting = sub.wait(ac.signal);
  ac.abort();
  await waiting;
  assert.throws(() => new EventBroker(0), /positive integer/);
});
