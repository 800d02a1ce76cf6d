import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once, EventEmitter } from 'node:events';
import { HeartbeatTimers } from './heartbeat.js';
import { ManualClock } from '../../test/unit/manual-clock.js';

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

test('on the injected clock: a node expires exactly after TTL plus grace, not before', () => {
  const clock = new ManualClock(1_000_000);
  const expired: string[] = [];
  const t = new HeartbeatTimers((id) => expired.push(id), { minHeartbeatTtlMs: 2_000, heartbeatGraceMs: 1_000, random: () => 0, clock });
  t.setEnabled(true);
  assert.equal(t.reset('n1'), 2_000, 'the TTL handed to the client');
  clock.advanceBy(2_999);
  assert.deepEqual(expired, []);
  // A heartbeat just in time pushes the deadline a whole TTL plus grace further.
  t.reset('n1');
  clock.advanceBy(2_999);
  assert.deepEqual(expired, []);
  clock.advanceBy(1);
  assert.deepEqual(expired, ['n1']);
  assert.equal(t.count, 0);
});

test('on the injected clock: a new leader gives every known node the failover TTL before marking any down', () => {
  const clock = new ManualClock(1_000_000);
  const expired: string[] = [];
  const t = new HeartbeatTimers((id) => expired.push(id), { minHeartbeatTtlMs: 2_000, heartbeatGraceMs: 1_000, failoverHeartbeatTtlMs: 300_000, random: () => 0, clock });
  t.setEnabled(true);
  t.initialize(['a', 'b']);
  assert.equal(t.count, 2);
  // Far past a normal TTL, nothing expires: the clients may still be looking for the new leader.
  clock.advanceBy(299_999);
  assert.deepEqual(expired, []);
  // 'a' found the leader: from now on it is on the normal TTL; 'b' never does.
  t.reset('a');
  clock.advanceBy(1);
  assert.deepEqual(expired, ['b']);
  clock.advanceBy(3_000);
  assert.deepEqual(expired.sort(), ['a', 'b']);
});
