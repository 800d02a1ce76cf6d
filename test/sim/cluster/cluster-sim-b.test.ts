import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeed } from './scenario.js';
import { assertSeedsPass } from './seed-range.js';

test('cluster simulation: seeds 101..200 keep every invariant under crashes, partitions and loss, and settle once healed', async () => {
  await assertSeedsPass(101, 100);
});

test('cluster simulation: servers on disks that acknowledge writes before they are synced are caught', async () => {
  // The checkers must be able to fail: a disk that lies about fsync lets a crash take back what
  // a server acknowledged (votes, log entries), which breaks Raft's guarantees in some seeds.
  const safety = /InvariantViolation: (state at index \d+ differs|acknowledged .* is lost|two leaders in term)/;
  const seen: string[] = [];
  for (let seed = 1; seed <= 40 && !seen.some((e) => safety.test(e)); seed++) {
    const r = await runSeed(seed, { lyingDisks: true });
    if (!r.ok) seen.push(`seed ${seed}: ${r.error}`);
  }
  assert.ok(
    seen.some((e) => safety.test(e)),
    `no seed caught the lost writes as a broken invariant${seen.length > 0 ? ` (other failures: ${seen.join('; ')})` : ''}`,
  );
});
