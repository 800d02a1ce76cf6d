// Runs a range of seeds and reports failures with the command that replays them.
import { runSeed } from './scenario.js';
import type { SeedResult, TraceSink } from './scenario.js';

export interface SeedsSummary {
  readonly seeds: number;
  readonly failures: SeedResult[];
  readonly elapsedMs: number;
  readonly totals: { acknowledged: number; crashes: number; elections: number; maxLivenessTicks: number; messages: number; restoresAcknowledged: number; rollbacks: number };
}

export function runSeeds(from: number, count: number, trace: TraceSink | undefined, onResult?: (r: SeedResult) => void): SeedsSummary {
  const started = Date.now();
  const failures: SeedResult[] = [];
  const totals = { acknowledged: 0, crashes: 0, elections: 0, maxLivenessTicks: 0, messages: 0, restoresAcknowledged: 0, rollbacks: 0 };
  for (let seed = from; seed < from + count; seed++) {
    const r = runSeed(seed, trace);
    onResult?.(r);
    if (!r.ok) failures.push(r);
    totals.acknowledged += r.acknowledged;
    totals.crashes += r.crashes;
    totals.elections += r.elections;
    totals.messages += r.messages;
    totals.restoresAcknowledged += r.restoresAcknowledged;
    totals.rollbacks += r.rollbacks;
    totals.maxLivenessTicks = Math.max(totals.maxLivenessTicks, r.livenessTicks);
  }
  return { seeds: count, failures, elapsedMs: Date.now() - started, totals };
}

export function replayCommand(seed: number): string {
  return `npm run sim -- --only raft --seeds 1 --from ${seed}`;
}
