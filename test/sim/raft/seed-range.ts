// Runs a seed range as one node:test test; the suite is split in halves so
// that the runner's two workers share the seeds.
import assert from 'node:assert/strict';
import { replayCommand, runSeeds } from './run-seeds.js';

export function assertSeedsPass(from: number, count: number): void {
  const summary = runSeeds(from, count, undefined);
  const report = summary.failures.map((f) => `seed ${f.seed}: ${f.error ?? ''}\n  replay: ${replayCommand(f.seed)}`).join('\n');
  assert.equal(summary.failures.length, 0, `${summary.failures.length} of ${count} seeds failed:\n${report}`);
  assert.ok(summary.totals.acknowledged > count * 20, 'the workload made progress');
  assert.ok(summary.totals.restoresAcknowledged > count / 20, `restores through the leader were acknowledged (${summary.totals.restoresAcknowledged})`);
}
