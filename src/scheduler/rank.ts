// Scores for a candidate node: bin-packing (or spreading) fit, anti-affinity with the job's own
// allocations, the reschedule penalty, affinities and spread. The final score is the mean of
// the scores that apply, as in Nomad.
import type { Affinity, Spread } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import { ConstraintMatcher, resolveTarget } from './constraints.js';
import type { PropertyCounts } from './context.js';

export const MAX_FIT_SCORE = 18;

/** Nomad's ScoreFitBinPack (or ScoreFitSpread), normalized to [0, 1]. */
export function fitScore(cpuUsed: number, cpuTotal: number, memUsed: number, memTotal: number, algorithm: 'binpack' | 'spread'): number {
  const freeCpu = cpuTotal > 0 ? 1 - cpuUsed / cpuTotal : 0;
  const freeMem = memTotal > 0 ? 1 - memUsed / memTotal : 0;
  const total = Math.pow(10, freeCpu) + Math.pow(10, freeMem);
  let score = algorithm === 'spread' ? total - 2 : 20 - total;
  if (score > MAX_FIT_SCORE) score = MAX_FIT_SCORE;
  else if (score < 0) score = 0;
  return score / MAX_FIT_SCORE;
}

const FIT_CACHE_SLOTS = 256;

/**
 * fitScore, remembered for recent inputs. Two powers per candidate node showed in profiles,
 * while the candidates of a placement mostly share a capacity and a handful of usage levels.
 * Direct-mapped: a slot holds the last inputs that hashed to it and their exact score, so a hit
 * returns the very number fitScore would.
 */
export class FitCache {
  private readonly inputs = new Float64Array(FIT_CACHE_SLOTS * 4);
  private readonly scores = new Float64Array(FIT_CACHE_SLOTS);
  private readonly filled = new Uint8Array(FIT_CACHE_SLOTS);

  constructor(private readonly algorithm: 'binpack' | 'spread') {}

  score(cpuUsed: number, cpuTotal: number, memUsed: number, memTotal: number): number {
    const slot = (Math.imul(cpuUsed | 0, 0x9e3779b1) ^ Math.imul(memUsed | 0, 0x85ebca6b) ^ (cpuTotal | 0) ^ Math.imul(memTotal | 0, 31)) >>> 24;
    const at = slot * 4;
    const inputs = this.inputs;
    if (this.filled[slot] === 1 && inputs[at] === cpuUsed && inputs[at + 1] === cpuTotal && inputs[at + 2] === memUsed && inputs[at + 3] === memTotal) {
      return this.scores[slot]!;
    }
    const score = fitScore(cpuUsed, cpuTotal, memUsed, memTotal, this.algorithm);
    inputs[at] = cpuUsed;
    inputs[at + 1] = cpuTotal;
    inputs[at + 2] = memUsed;
    inputs[at + 3] = memTotal;
    this.scores[slot] = score;
    this.filled[slot] = 1;
    return score;
  }
}

/** -(collisions + 1) / desired count, for allocations of the same job and group already on the node. */
export function antiAffinityScore(collisions: number, desiredCount: number): number {
  if (collisions <= 0) return 0;
  return -(collisions + 1) / Math.max(desiredCount, 1);
}

/** Sum of matching affinity weights over the sum of absolute weights, in [-1, 1]. */
export function affinityScore(affinities: Affinity[], node: Node, matcher: ConstraintMatcher): number {
  let total = 0;
  let sumWeight = 0;
  for (const a of affinities) {
    sumWeight += Math.abs(a.Weight);
    if (matcher.matches(a, node)) total += a.Weight;
  }
  return sumWeight === 0 ? 0 : total / sumWeight;
}

const IMPLICIT_TARGET = '*';

export interface SpreadPlan {
  spread: Spread;
  counts: PropertyCounts;
  /** Desired allocations per value; empty for an even spread. */
  desired: Map<string, number>;
}

export function spreadDesired(spread: Spread, groupCount: number): Map<string, number> {
  const desired = new Map<string, number>();
  let sumPercent = 0;
  for (const t of spread.SpreadTarget ?? []) {
    desired.set(t.Value, (t.Percent / 100) * groupCount);
    sumPercent += t.Percent;
  }
  if (desired.size > 0 && sumPercent < 100) desired.set(IMPLICIT_TARGET, ((100 - sumPercent) / 100) * groupCount);
  return desired;
}

function evenSpreadBoost(counts: Map<string, number>, value: string | null): number {
  if (counts.size === 0) return 0;
  if (value === null) return -1;
  const current = counts.get(value) ?? 0;
  let min = 0;
  let max = 0;
  for (const c of counts.values()) {
    if (min === 0 || c < min) min = c;
    if (max === 0 || c > max) max = c;
  }
  if (current !== min) return min === 0 ? -1 : (min - current) / min;
  if (min === max) return -1;
  return (max - min) / min;
}

/** The spread score for placing one more allocation on the node. */
export function spreadScore(plans: SpreadPlan[], node: Node): number {
  let sumWeight = 0;
  for (const p of plans) sumWeight += p.spread.Weight;
  let total = 0;
  for (const p of plans) {
    const r = resolveTarget(p.spread.Attribute, node);
    if (p.desired.size === 0) {
      total += evenSpreadBoost(p.counts.counts, r.found ? r.value : null);
      continue;
    }
    if (!r.found) {
      total -= 1;
      continue;
    }
    const used = (p.counts.counts.get(r.value) ?? 0) + 1;
    const desired = p.desired.get(r.value) ?? p.desired.get(IMPLICIT_TARGET);
    if (desired === undefined || desired <= 0) {
      total -= 1;
      continue;
    }
    const weight = sumWeight > 0 ? p.spread.Weight / sumWeight : 0;
    total += ((desired - used) / desired) * weight;
  }
  return total;
}
