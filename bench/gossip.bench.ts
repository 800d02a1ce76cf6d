// Gossip figures from the deterministic simulation with default (LAN) timings:
//   convergence after a join and after a failure (50 and 500 members), false failures per hour
//   under 30% packet loss, and bytes sent per member per second.
// Each figure is the median over a few seeds. Prints `bench gossip.FIGURE VALUE UNIT`.

import { LAN_TIMINGS } from '../src/gossip/timings.js';
import { SCENARIOS, type ScenarioExtra, type ScenarioResult } from '../test/sim/gossip/scenarios.js';

const HOUR_MS = 3_600_000;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function runMany(scenario: string, size: number, seeds: number, extra?: ScenarioExtra): ScenarioResult[] {
  const fn = SCENARIOS[scenario];
  if (fn === undefined) throw new Error(`unknown scenario ${scenario}`);
  const out: ScenarioResult[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const r = fn(size, seed, extra);
    if (r.failures.length > 0) console.error(`# ${scenario} size=${size} seed=${seed}: ${r.failures.join('; ')}`);
    out.push(r);
  }
  return out;
}

function print(figure: string, value: number, unit: string): void {
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1);
  console.log(`bench gossip.${figure} ${shown} ${unit}`);
}

function fig(results: ScenarioResult[], name: string): number {
  return median(results.map((r) => r.figures[name] ?? NaN));
}

for (const size of [50, 500]) {
  const seeds = size >= 500 ? 3 : 7;
  const joins = runMany('join', size, seeds);
  print(`join_convergence_${size}.periods`, fig(joins, 'convergencePeriods'), 'periods');
  print(`join_convergence_${size}.seconds`, fig(joins, 'convergenceMs') / 1000, 's');
  const kills = runMany('kill', size, seeds);
  print(`failure_convergence_${size}.periods`, fig(kills, 'convergencePeriods'), 'periods');
  print(`failure_convergence_${size}.seconds`, fig(kills, 'convergenceMs') / 1000, 's');
}

// One member behind 30% loss in a 50-member cluster, and the harsher case of 30% loss on every
// packet of the cluster (an incident is one member incarnation declared failed).
const oneLossy = runMany('loss', 50, 3, { durationMs: HOUR_MS / 3 });
const oneFalse = oneLossy.reduce((n, r) => n + (r.figures['falseFailures'] ?? 0), 0);
const oneHours = oneLossy.reduce((n, r) => n + (r.figures['simulatedMs'] ?? 0), 0) / HOUR_MS;
print('false_failures_per_hour.one_member_loss30', oneFalse / oneHours, 'per_hour');
const allLossy = runMany('loss-all', 50, 3, { durationMs: HOUR_MS / 6 });
const allFalse = allLossy.reduce((n, r) => n + (r.figures['falseFailures'] ?? 0), 0);
const allHours = allLossy.reduce((n, r) => n + (r.figures['simulatedMs'] ?? 0), 0) / HOUR_MS;
print('false_failures_per_hour.all_packets_loss30', allFalse / allHours, 'per_hour');

for (const size of [50, 500]) {
  const steady = runMany('steady', size, size >= 500 ? 1 : 3, { durationMs: 3 * LAN_TIMINGS.pushPullIntervalMs * (size >= 500 ? 5 : 2) });
  print(`bytes_per_member_per_second_${size}`, fig(steady, 'bytesPerMemberPerSec'), 'B/s');
}
