import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeed } from './scenario.js';
import { assertSeedsPass } from './seed-range.js';

test('cluster simulation: seeds 1..100 keep every invariant under crashes, partitions and loss, and settle once healed', async () => {
  await assertSeedsPass(1, 100);
});

test('cluster simulation: a seed replays exactly (same events, same final state)', async () => {
  const a = await runSeed(4242);
  const b = await runSeed(4242);
  assert.ok(a.ok, a.error);
  assert.ok(a.events > 1_000 && a.finalIndex > 10, 'the run did something');
  assert.deepEqual(b, a);
});
