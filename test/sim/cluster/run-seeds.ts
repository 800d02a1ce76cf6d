// Runs a range of seeds and sums what they did; a failure names the command that replays it.
import { runSeed, type SeedOptions, type SeedResult } from './scenario.js';

export interface SeedsSummary {
  readonly seeds: number;
  readonly failures: SeedResult[];
  readonly elapsedMs: number;
  readonly events: number;
  readonly faults: number;
  readonly checks: number;
  readonly ackedWrites: number;
}

export async function runSeeds(from: number, count: number, opts: SeedOptions = {}, onResult?: (r: SeedResult) => void): Promise<SeedsSummary> {
  const started = performance.now();
  const failures: SeedResult[] = [];
  let events = 0;
  let faults = 0;
  let checks = 0;
  let ackedWrites = 0;
  for (let seed = from; seed < from + count; seed++) {
    const r = await runSeed(seed, opts);
    onResult?.(r);
    if (!r.ok) failures.push(r);
    events += r.events;
    faults += Object.values(r.faults).reduce((a, b) => a + b, 0);
    checks += Object.values(r.checks).reduce((a, b) => a + b, 0);
    ackedWrites += r.writes.acked;
  }
  return { seeds: count, failures, elapsedMs: Math.round(performance.now() - started), events, faults, checks, ackedWrites };
}

/** The command that replays one seed with the same options (and prints what happens). */
export function replayCommand(seed: number, opts: SeedOptions = {}): string {
  const extra = `${opts.servers ? ` --servers ${opts.servers}` : ''}${opts.faultWindowMs ? ` --fault-window-ms ${opts.faultWindowMs}` : ''}`;
  return `npm run sim -- --only cluster --seeds 1 --from ${seed}${extra} --trace`;
}

export function summaryLine(from: number, s: SeedsSummary): string {
  return (
    `cluster sim: ${s.seeds} seeds from ${from}, ${s.failures.length} failed, ${s.elapsedMs} ms ` +
    `(events ${s.events}, faults injected ${s.faults}, checks run ${s.checks}, acknowledged job writes ${s.ackedWrites})`
  );
}
