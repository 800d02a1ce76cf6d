// The simulated scenarios. Each one is a function of (size, seed) that returns what it measured
// and what went wrong, so tests, the many-seed CLI and the benchmark share them.

import { seededRng, randomInt } from '../../../src/gossip/rng.js';
import { suspicionBounds } from '../../../src/gossip/suspicion.js';
import type { MemberEventType } from '../../../src/gossip/types.js';
import { SimCluster, type SimOptions } from './cluster.js';

export interface ScenarioResult {
  readonly scenario: string;
  readonly size: number;
  readonly seed: number;
  readonly failures: string[];
  readonly figures: Record<string, number>;
}

export type Scenario = (size: number, seed: number, extra?: ScenarioExtra) => ScenarioResult;
export type ScenarioExtra = Partial<SimOptions> & { durationMs?: number };

const WARMUP_MS = 2000;

/** Counts, per subject, the distinct observers that reported an event type. */
class Tally {
  private readonly seen = new Map<string, Set<string>>();
  count(type: MemberEventType, subject: string): number {
    return this.seen.get(`${type}/${subject}`)?.size ?? 0;
  }
  add(type: MemberEventType, subject: string, observer: string): void {
    const k = `${type}/${subject}`;
    let s = this.seen.get(k);
    if (s === undefined) this.seen.set(k, (s = new Set()));
    s.add(observer);
  }
  observers(type: MemberEventType, subject: string): Set<string> {
    return this.seen.get(`${type}/${subject}`) ?? new Set();
  }
}

interface FailedObservation {
  readonly observer: string;
  readonly subject: string;
  readonly incarnation: number;
  readonly atMs: number;
}

function setup(size: number, seed: number, extra: Partial<SimOptions> = {}): { c: SimCluster; tally: Tally; failed: FailedObservation[] } {
  const c = new SimCluster({ seed, ...extra });
  const tally = new Tally();
  const failed: FailedObservation[] = [];
  c.onEvent(({ observer, event }) => {
    if (observer === event.member.name) return;
    tally.add(event.type, event.member.name, observer);
    if (event.type === 'member-failed') failed.push({ observer, subject: event.member.name, incarnation: event.member.incarnation, atMs: event.atMs });
  });
  c.bootstrap(size);
  c.run(WARMUP_MS);
  return { c, tally, failed };
}

function periods(c: SimCluster, ms: number): number {
  return ms / c.timings.probeIntervalMs;
}

/** Every live member learns of a join within O(log N) protocol periods. */
export const joinScenario: Scenario = (size, seed, extra) => {
  const { c, tally } = setup(size, seed, extra);
  const failures: string[] = [];
  const rng = seededRng(seed);
  const joiner = c.addNode('joiner');
  const startMs = c.nowMs;
  c.join(joiner, [`node-${randomInt(rng, size)}`]);
  const done = c.run(startMs + 120_000, () => tally.count('member-join', 'joiner') === size && joiner.core.countOf('alive') === size + 1);
  const tookMs = c.nowMs - startMs;
  const bound = 2 * Math.ceil(Math.log2(size + 1)) + 2;
  if (!done) failures.push(`join not seen by all: ${tally.count('member-join', 'joiner')}/${size} after ${tookMs} ms`);
  else if (periods(c, tookMs) > bound) failures.push(`join took ${periods(c, tookMs).toFixed(2)} periods, bound ${bound}`);
  return { scenario: 'join', size, seed, failures, figures: { convergenceMs: tookMs, convergencePeriods: periods(c, tookMs) } };
};

/** A killed member is marked failed by all within the suspicion bound; nobody else is. */
export const killScenario: Scenario = (size, seed, extra) => {
  const { c, tally, failed } = setup(size, seed, extra);
  const failures: string[] = [];
  const rng = seededRng(seed);
  const victim = `node-${randomInt(rng, size)}`;
  const startMs = c.nowMs;
  c.kill(victim);
  const done = c.run(startMs + 600_000, () => tally.count('member-failed', victim) === size - 1);
  const tookMs = c.nowMs - startMs;
  const b = suspicionBounds(c.timings.suspicionMult, c.timings.suspicionMaxTimeoutMult, c.timings.probeIntervalMs, size);
  const boundMs = b.maxMs + 10 * c.timings.probeIntervalMs;
  if (!done) failures.push(`failure seen by ${tally.count('member-failed', victim)}/${size - 1} after ${tookMs} ms`);
  else if (tookMs > boundMs) failures.push(`failure detection took ${tookMs} ms, bound ${boundMs} ms`);
  const wrong = failed.filter((f) => f.subject !== victim);
  if (wrong.length > 0) failures.push(`false failures: ${wrong.map((f) => `${f.observer} saw ${f.subject} at ${f.atMs}`).slice(0, 5).join(', ')}`);
  return { scenario: 'kill', size, seed, failures, figures: { convergenceMs: tookMs, convergencePeriods: periods(c, tookMs), falseFailures: wrong.length } };
};

/** A member behind 30% packet loss must not be declared dead. Counts false failures. */
export const lossScenario: Scenario = (size, seed, extra) => {
  const { c, failed } = setup(size, seed, extra);
  const durationMs = extra?.durationMs ?? 120_000;
  const lossy = c.mustGet('node-1');
  lossy.lossRate = 0.3;
  const startMs = c.nowMs;
  const bytesBefore = c.udpBytes + c.tcpBytes;
  c.run(startMs + durationMs);
  const falseFailures = failed.length;
  const failures = falseFailures > 0 ? [`false failures: ${failed.slice(0, 5).map((f) => `${f.observer} saw ${f.subject} at ${f.atMs}`).join(', ')}`] : [];
  const bytesPerMemberPerSec = (c.udpBytes + c.tcpBytes - bytesBefore) / size / (durationMs / 1000);
  return { scenario: 'loss', size, seed, failures, figures: { falseFailures, simulatedMs: durationMs, bytesPerMemberPerSec } };
};

/**
 * Every UDP packet in the cluster has a 30% chance of loss: a harsh network, to count false
 * failures per hour. An incident is one member's incarnation declared failed, however many
 * members heard of it.
 */
export const lossAllScenario: Scenario = (size, seed, extra) => {
  const { c, failed } = setup(size, seed, extra);
  const durationMs = extra?.durationMs ?? 120_000;
  c.linkLossRate = 0.3;
  c.run(c.nowMs + durationMs);
  const incidents = new Set(failed.map((f) => `${f.subject}/${f.incarnation}`)).size;
  return { scenario: 'loss-all', size, seed, failures: [], figures: { falseFailures: incidents, falseFailureEvents: failed.length, simulatedMs: durationMs } };
};

/** Steady state traffic with no loss, for the byte figures. */
export const steadyScenario: Scenario = (size, seed, extra) => {
  const { c, failed } = setup(size, seed, extra);
  const durationMs = extra?.durationMs ?? 120_000;
  const startMs = c.nowMs;
  const bytesBefore = c.udpBytes + c.tcpBytes;
  c.run(startMs + durationMs);
  const failures = failed.length > 0 ? [`false failures in a healthy cluster: ${failed.length}`] : [];
  const bytesPerMemberPerSec = (c.udpBytes + c.tcpBytes - bytesBefore) / size / (durationMs / 1000);
  return { scenario: 'steady', size, seed, failures, figures: { bytesPerMemberPerSec } };
};

/** Two halves cut off long enough to fail each other, then healed: views converge again. */
export const partitionScenario: Scenario = (size, seed, extra) => {
  const { c, tally } = setup(size, seed, extra);
  const failures: string[] = [];
  const half = Math.floor(size / 2);
  const nodes = [...c.nodes.values()];
  nodes.forEach((n, i) => (n.group = i < half ? 1 : 0));
  const splitMs = c.nowMs;
  const expectFailed = 2 * half * (size - half);
  let failedPairs = 0;
  c.onEvent(({ observer, event }) => {
    if (event.type === 'member-failed' && observer !== event.member.name) failedPairs++;
  });
  const split = c.run(splitMs + 600_000, () => failedPairs >= expectFailed);
  if (!split) failures.push(`partition not detected: ${failedPairs}/${expectFailed} failure observations`);
  for (const n of nodes) n.group = 0;
  const healMs = c.nowMs;
  let nextCheckMs = healMs;
  const converged = (): boolean => {
    if (c.nowMs < nextCheckMs) return false;
    nextCheckMs = c.nowMs + 250;
    return nodes.every((n) => n.core.countOf('alive') === size);
  };
  const healed = c.run(healMs + 900_000, converged);
  const tookMs = c.nowMs - healMs;
  if (!healed) {
    const worst = nodes.map((n) => n.core.countOf('alive')).sort((a, b) => a - b)[0];
    failures.push(`views did not converge within 900 s of healing (worst view: ${worst}/${size} alive)`);
  }
  void tally;
  return { scenario: 'partition', size, seed, failures, figures: { detectMs: healMs - splitMs, healMs: tookMs } };
};

/** A graceful leave is seen as `left` by all and never turns into a failure. */
export const leaveScenario: Scenario = (size, seed, extra) => {
  const { c, tally, failed } = setup(size, seed, extra);
  const failures: string[] = [];
  const rng = seededRng(seed);
  const victim = `node-${randomInt(rng, size)}`;
  const startMs = c.nowMs;
  c.leave(victim);
  const done = c.run(startMs + 120_000, () => tally.count('member-leave', victim) === size - 1);
  const tookMs = c.nowMs - startMs;
  if (!done) failures.push(`leave seen by ${tally.count('member-leave', victim)}/${size - 1}`);
  // Long enough for any stray suspicion to run out.
  const b = suspicionBounds(c.timings.suspicionMult, c.timings.suspicionMaxTimeoutMult, c.timings.probeIntervalMs, size);
  c.run(c.nowMs + b.maxMs + 10_000);
  if (failed.length > 0) failures.push(`leave turned into failure: ${failed.slice(0, 5).map((f) => `${f.observer} saw ${f.subject}`).join(', ')}`);
  return { scenario: 'leave', size, seed, failures, figures: { convergenceMs: tookMs, convergencePeriods: periods(c, tookMs) } };
};

/** Crash, failed everywhere, force-left everywhere, restart: alive everywhere again. */
export const restartScenario: Scenario = (size, seed, extra) => {
  const { c, tally } = setup(size, seed, extra);
  const failures: string[] = [];
  const victim = `node-${size - 1}`;
  const others = [...c.nodes.keys()].filter((n) => n !== victim);
  c.kill(victim);
  if (!c.run(c.nowMs + 600_000, () => tally.count('member-failed', victim) === size - 1)) failures.push('crash not detected by all');
  if (!c.forceLeave('node-0', victim)) failures.push('force-leave refused');
  if (!c.run(c.nowMs + 60_000, () => tally.count('member-leave', victim) === size - 1)) failures.push(`force-leave seen by ${tally.count('member-leave', victim)}/${size - 1}`);
  const joinsBefore = tally.observers('member-join', victim).size;
  if (joinsBefore !== 0) failures.push('join of the victim seen before restart');
  c.restart(victim, ['node-0']);
  const back = c.run(c.nowMs + 60_000, () => tally.count('member-join', victim) === size - 1 && c.mustGet(victim).core.countOf('alive') === size);
  if (!back) failures.push(`restart seen by ${tally.count('member-join', victim)}/${size - 1}`);
  const statuses = others.map((o) => c.mustGet(o).core.member(victim)?.status);
  if (statuses.some((s) => s !== 'alive')) failures.push(`after restart: ${statuses.join(',')}`);
  return { scenario: 'restart', size, seed, failures, figures: {} };
};

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  join: joinScenario,
  kill: killScenario,
  loss: lossScenario,
  partition: partitionScenario,
  leave: leaveScenario,
  restart: restartScenario,
  steady: steadyScenario,
  'loss-all': lossAllScenario,
};

export function describe(r: ScenarioResult): string {
  const figs = Object.entries(r.figures).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(2)}`).join(' ');
  return `${r.scenario} size=${r.size} seed=${r.seed} ${r.failures.length === 0 ? 'ok' : 'FAILED'} ${figs}`;
}

export function replayCommand(r: ScenarioResult): string {
  return `node dist/test/sim/gossip/cli.js --scenario ${r.scenario} --size ${r.size} --seed ${r.seed}`;
}
