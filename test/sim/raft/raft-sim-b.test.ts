import { test } from 'node:test';
import { assertSeedsPass } from './seed-range.js';

test('raft simulation: seeds 1001..2000 keep the five safety properties, linearizability and liveness', () => {
  assertSeedsPass(1001, 1000);
});
