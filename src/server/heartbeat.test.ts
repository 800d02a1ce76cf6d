import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once, EventEmitter } from 'node:events';
import { HeartbeatTimers } from './heartbeat.js';

test('the TTL grows with the node count beyond the minimum, with stagger', () => {
  const t = new HeartbeatTimers(() => {}, { minHeartbeatTtlMs: 10_000, maxHeartbeatsPerSecond: 50, random: () => 0 });
  t.setEnabled(true);
  assert.equal(t.computeTtlMs(), 10_000);
  for (let i = 0; i < 1000; i++) t.reset(`n${i}`);
  assert.equal(t.computeTtlMs(), 20_000, '1000 nodes at 50/s need 20s');
  const staggered = new HeartbeatTimers(() => {}, { minHeartbeatTtlMs: 10_000, random: () => 0.5 });
  assert.equal(staggered.computeTtlMs(), 15_000);
  t.clearAll();
});

test('a node that misses its TTL plus grace expires; a heartbeat pushes the deadline', async () => {
  const events = new EventEmitter();
  const expired: string[] = [];
  const t = new HeartbeatTimers(
    (id) => {
      expired.push(id);
      events.emit('expired', id);
    },
    { minHeartbeatTtlMs: 30, heartbeatGraceMs: 10, random: () => 0 },
  );
  t.setEnabled(true);
  t.reset('quiet');
  t.reset('chatty');
  const [first] = await once(events, 'expired');
  assert.equal(first, 'quiet');
  t.clear('chatty');
  assert.deepEqual(expired, ['quiet']);
  assert.equal(t.count, 0);
});

test('disabled timers never fire', async () => {
  let fired = 0;
  const t = new HeartbeatTimers(() => fired++, { minHeartbeatTtlMs: 1, heartbeatGraceMs: 0 });
  t.setEnabled(true);
  t.reset('n');
  t.setEnabled(false);
  assert.equal(t.count, 0);
  assert.equal(fired, 0);
});
