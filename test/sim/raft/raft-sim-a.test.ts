import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeed } from './scenario.js';
import { assertSeedsPass } from './seed-range.js';

test('raft simulation: seeds 1..1000 keep the five safety properties, linearizability and liveness', () => {
  assertSeedsPass(1, 1000);
});

test('raft simulation: a seed replays exactly', () => {
  const a = runSeed(4242);
  const b = runSeed(4242);
  assert.deepEqual(a, b);
});
