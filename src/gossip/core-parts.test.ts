import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Awareness } from './awareness.js';
import { BroadcastQueue, retransmitLimit } from './broadcast-queue.js';
import { Keyring } from './keyring.js';
import { Suspicion, suspicionBounds, suspicionTimeoutMs } from './suspicion.js';
import { resolveTimings } from './timings.js';

test('suspicion timeout shrinks from max to min as confirmations arrive', () => {
  const b = suspicionBounds(4, 6, 1000, 100);
  assert.equal(b.minMs, 8000);
  assert.equal(b.maxMs, 48000);
  assert.equal(b.expectedConfirmations, 2);
  assert.equal(suspicionTimeoutMs(b, 0), 48000);
  assert.ok(suspicionTimeoutMs(b, 1) < 48000 && suspicionTimeoutMs(b, 1) > 8000);
  assert.equal(suspicionTimeoutMs(b, 2), 8000);
  const s = new Suspicion(1, 0, b, 'a');
  assert.equal(s.confirm('a'), false, 'the accuser does not confirm itself');
  assert.equal(s.confirm('b'), true);
  assert.equal(s.confirm('b'), false);
  assert.equal(s.confirm('c'), true);
  assert.equal(s.confirm('d'), false, 'no gain past k');
  assert.equal(s.deadlineMs, 8000);
  // Too small a cluster to gather confirmations: straight to the minimum.
  assert.equal(suspicionBounds(4, 6, 1000, 3).expectedConfirmations, 0);
});

test('broadcast queue: invalidation, fewest-transmits first, retransmit limit, bound', () => {
  const q = new BroadcastQueue(3);
  const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(n);
  q.enqueue('a', bytes(10));
  q.enqueue('a', bytes(11));
  assert.equal(q.size, 1);
  q.enqueue('b', bytes(12));
  let done = false;
  q.enqueue('c', bytes(13), () => (done = true));
  assert.deepEqual(q.take(2, 1000, 2).map((b) => b.length), [13, 12, 11]);
  assert.deepEqual(q.take(2, 16, 2).map((b) => b.length), [13]);
  assert.equal(done, true);
  q.enqueue('d', bytes(1));
  q.enqueue('e', bytes(1));
  assert.equal(q.size, 3);
  assert.equal(retransmitLimit(4, 3), 4);
  assert.equal(retransmitLimit(4, 500), 12);
});

test('awareness scales the probe interval within its bound', () => {
  const a = new Awareness(8);
  a.applyDelta(20);
  assert.equal(a.score, 7);
  assert.equal(a.scaleMs(1000), 8000);
  a.applyDelta(-100);
  assert.equal(a.scaleMs(1000), 1000);
});

test('keyring seals and opens with any installed key, rejects tampering and bad keys', () => {
  const k1 = Buffer.alloc(16, 1).toString('base64');
  const k2 = Buffer.alloc(32, 2).toString('base64');
  const a = new Keyring([k1]);
  const b = new Keyring([k2]);
  b.install(k1);
  const sealed = a.seal(Uint8Array.of(1, 2, 3));
  assert.deepEqual(b.open(sealed), Uint8Array.of(1, 2, 3));
  sealed[sealed.length - 1]! ^= 1;
  assert.equal(b.open(sealed), null);
  assert.equal(new Keyring([k2]).open(a.seal(Uint8Array.of(1))), null);
  assert.throws(() => new Keyring(['abc']), /16, 24 or 32/);
  assert.throws(() => new Keyring(['not base64!']), /base64/);
  assert.throws(() => b.remove(k2), /primary/);
});

test('timings default to the LAN profile and reject nonsense', () => {
  const t = resolveTimings();
  assert.equal(t.probeIntervalMs, 1000);
  assert.equal(t.suspicionMult, 4);
  assert.equal(resolveTimings({}, 'wan').probeIntervalMs, 5000);
  assert.throws(() => resolveTimings({ probeTimeoutMs: 2000 }), /probeTimeoutMs/);
});
