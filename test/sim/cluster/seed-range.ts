// Runs a seed range as one node:test test: every seed must keep the invariants, and the range as a
// whole must have done real work (writes acknowledged, faults injected, checks run).
import assert from 'node:assert/strict';
import { replayCommand, runSeeds, summaryLine } from './run-seeds.js';

export async function assertSeedsPass(from: number, count: number): Promise<void> {
  const summary = await runSeeds(from, count);
  console.log(summaryLine(from, summary));
  const report = summary.failures
    .map((f) => `seed ${f.seed}: ${f.error ?? ''}\n  replay: ${replayCommand(f.seed)}\n  ${(f.logTail ?? []).slice(-15).join('\n  ')}`)
    .join('\n');
  assert.equal(summary.failures.length, 0, `${summary.failures.length} of ${count} seeds failed:\n${report}`);
  assert.ok(summary.ackedWrites > count * 5, `the workload made progress (${summary.ackedWrites} acknowledged writes)`);
  assert.ok(summary.faults > count * 3, `faults were injected (${summary.faults})`);
}
