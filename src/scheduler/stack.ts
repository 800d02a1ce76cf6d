// Picks a node for one placement. Nodes are visited in a shuffled order that carries on across
// placements (so successive placements look at different nodes), checks stop after a bounded
// number of nodes that fit (about log2 of the cluster for services, 2 for batch), and the best
// scoring of those wins. Nodes that score at or below zero may be skipped a few times first.
import type { AllocMetric, NodeScoreMeta } from '../structs/alloc.js';
import type { Node } from '../structs/node.js';
import { resolveTarget } from './constraints.js';
import type { EvalContext, NodeRecord } from './context.js';
import type { Feasibility } from './feasibility.js';
import {
  PACKED_CAP_CPU,
  PACKED_CAP_DISK,
  PACKED_CAP_MEM,
  PACKED_PORT_COUNT,
  PACKED_PORT_ROOM,
  PACKED_STRIDE,
  PACKED_USED_CPU,
  PACKED_USED_DISK,
  PACKED_USED_MEM,
  type NodeTable,
  type ReadyPositions,
} from './node-table.js';
import type { Rng } from './rng.js';
import type { GroupInfo } from './group-info.js';
import { MAX_RETAINED_NODE_SCORES, exhaustNode, filterNode } from './metrics.js';
import { FitCache, affinityScore, antiAffinityScore, spreadDesired, spreadScore, type SpreadPlan } from './rank.js';
import { buildOffer, checkPorts, pickPorts, type NetworkOffer, type NodeCapacity } from './resources.js';

const SKIP_SCORE_THRESHOLD = 0;
const MAX_SKIP = 3;
const BATCH_NODE_LIMIT = 2;

export interface SelectOptions {
  /** Nodes a rescheduled allocation failed on: scored down. */
  penaltyNodeIds?: Set<string>;
  /** Tried first (sticky ephemeral disk). */
  preferredNodeId?: string;
}

export interface RankedOption {
  node: Node;
  /** The node's position in the eval's node table; -1 for a node outside it. */
  pos: number;
  finalScore: number;
  binpack: number;
  antiAffinity: number;
  reschedulePenalty: number;
  affinity: number;
  /** null when the group has no spread. */
  spread: number | null;
}

export function scoreMeta(o: RankedOption, cache: ScoresCache | null = null): NodeScoreMeta {
  return { NodeID: o.node.ID, Scores: cache ? cache.scoresOf(o) : scoresOf(o), NormScore: o.finalScore };
}

function scoresOf(o: RankedOption): Record<string, number> {
  return o.spread === null
    ? { binpack: o.binpack, 'job-anti-affinity': o.antiAffinity, 'node-reschedule-penalty': o.reschedulePenalty, 'node-affinity': o.affinity }
    : {
        binpack: o.binpack,
        'job-anti-affinity': o.antiAffinity,
        'node-reschedule-penalty': o.reschedulePenalty,
        'node-affinity': o.affinity,
        'allocation-spread': o.spread,
      };
}

const MAX_CACHED_SCORES = 4096;

/**
 * Score records shared by equal scores. Every placement keeps the scores of its five best nodes
 * with its allocation, and many nodes score alike (same usage, no affinity, no penalty): one
 * frozen record per distinct (binpack, anti-affinity) pair instead of one per node per placement
 * leaves far fewer objects for the garbage collector to copy while the allocations live.
 */
export class ScoresCache {
  private readonly byBinpack = new Map<number, Map<number, Record<string, number>>>();
  private size = 0;

  /** The last record handed out and its key: a placement's top nodes often score alike. */
  private lastBinpack = Number.NaN;
  private lastAnti = Number.NaN;
  private lastScores: Record<string, number> | null = null;

  scoresOf(o: RankedOption): Record<string, number> {
    if (o.spread !== null || o.reschedulePenalty !== 0 || o.affinity !== 0) return scoresOf(o);
    if (o.binpack === this.lastBinpack && o.antiAffinity === this.lastAnti && this.lastScores !== null) return this.lastScores;
    const scores = this.lookup(o);
    this.lastBinpack = o.binpack;
    this.lastAnti = o.antiAffinity;
    this.lastScores = scores;
    return scores;
  }

  private lookup(o: RankedOption): Record<string, number> {
    let byAnti = this.byBinpack.get(o.binpack);
    if (byAnti === undefined) {
      if (this.size >= MAX_CACHED_SCORES) {
        this.byBinpack.clear();
        this.size = 0;
      }
      byAnti = new Map();
      this.byBinpack.set(o.binpack, byAnti);
    }
    let scores = byAnti.get(o.antiAffinity);
    if (scores === undefined) {
      scores = Object.freeze(scoresOf(o));
      byAnti.set(o.antiAffinity, scores);
      this.size++;
    }
    return scores;
  }
}

/** The best few scored nodes, best first, as AllocMetric.ScoreMetaData. */
export function topScoreMeta(scored: RankedOption[]): NodeScoreMeta[] | null {
  if (scored.length === 0) return null;
  const top = new TopScores();
  for (const o of scored) top.offer(o);
  return top.meta();
}

/** Shared by every eval: the records are frozen, and the cache is bounded. */
const sharedScores = new ScoresCache();
/** Shared by every eval (a memo of a pure function): typed arrays per eval cost more than they saved on small evals. */
const fitCaches = { binpack: new FitCache('binpack'), spread: new FitCache('spread') } as const;

/** A mutable RankedOption: the stack's scratch slots, reused for every candidate of an eval. */
function emptyOption(): RankedOption {
  return { node: null as unknown as Node, pos: -1, finalScore: 0, binpack: 0, antiAffinity: 0, reschedulePenalty: 0, affinity: 0, spread: null };
}

/** A plain loop: Array.from with a length object takes a slow generic path, once per eval. */
function optionSlots(n: number): RankedOption[] {
  const slots: RankedOption[] = [];
  for (let i = 0; i < n; i++) slots.push(emptyOption());
  return slots;
}

function freshCopy(o: RankedOption): RankedOption {
  const out = emptyOption();
  copyOption(o, out);
  return out;
}

function copyOption(from: RankedOption, to: RankedOption): void {
  to.node = from.node;
  to.pos = from.pos;
  to.finalScore = from.finalScore;
  to.binpack = from.binpack;
  to.antiAffinity = from.antiAffinity;
  to.reschedulePenalty = from.reschedulePenalty;
  to.affinity = from.affinity;
  to.spread = from.spread;
}

/**
 * The best MAX_RETAINED_NODE_SCORES candidates of a placement, kept in fixed slots. Ranking
 * visits a dozen nodes (all of them with affinities or spreads) per placement; an object per
 * candidate and a list of them were most of what a placement allocated. Replacement and order
 * are those of a list filled in visit order: the first five, then a later one replaces the
 * (first) worst when strictly better, and ties keep slot order when sorted.
 */
class TopScores {
  private readonly slots: RankedOption[] = [];
  private count = 0;
  private readonly order: number[] = [];

  reset(): void {
    this.count = 0;
  }

  offer(o: RankedOption): void {
    if (this.count < MAX_RETAINED_NODE_SCORES) {
      if (this.slots.length === this.count) this.slots.push(emptyOption());
      copyOption(o, this.slots[this.count++]!);
      return;
    }
    const slots = this.slots;
    let worst = 0;
    for (let i = 1; i < this.count; i++) if (slots[i]!.finalScore < slots[worst]!.finalScore) worst = i;
    if (o.finalScore > slots[worst]!.finalScore) copyOption(o, slots[worst]!);
  }

  meta(): NodeScoreMeta[] | null {
    if (this.count === 0) return null;
    const order = this.order;
    const slots = this.slots;
    // Insertion sort of at most five: stable (equal scores keep slot order, as a stable sort of
    // the list would) and without the work arrays Array.prototype.sort allocates per call.
    for (let i = 0; i < this.count; i++) {
      let j = i;
      while (j > 0 && slots[order[j - 1]!]!.finalScore < slots[i]!.finalScore) {
        order[j] = order[j - 1]!;
        j--;
      }
      order[j] = i;
    }
    const out: NodeScoreMeta[] = new Array<NodeScoreMeta>(this.count);
    for (let k = 0; k < this.count; k++) out[k] = scoreMeta(slots[order[k]!]!, sharedScores);
    return out;
  }
}

/** Before setNodes/setReady: a typed array per Stack would be an ArrayBuffer per eval for nothing. */
const NO_POSITIONS = new Int32Array(0);

/** A group whose candidates are scored by binpack alone when none of its job's allocations is on them. */
function plainGroup(info: GroupInfo): boolean {
  return !info.distinctHosts && info.distinctProperties.length === 0 && info.affinities.length === 0 && info.spreads.length === 0;
}

export function nodeLimit(nodeCount: number, isBatch: boolean): number {
  if (isBatch) return BATCH_NODE_LIMIT;
  return Math.max(BATCH_NODE_LIMIT, Math.ceil(Math.log2(Math.max(nodeCount, 1))));
}

export class Stack {
  /**
   * Candidates as positions in the context's node table: ranking then reads capacity, class and
   * the per-eval record by index, without touching the (large, scattered) node objects.
   */
  private positions: Int32Array = NO_POSITIONS;
  private table: NodeTable | null = null;
  private cursor = 0;
  /** Positions below this are shuffled: the shuffle is done lazily, only as far as nodes are visited. */
  private shuffledUpTo = 0;
  private rng: Rng | null = null;
  /** Built on first need (sticky placements), so that finding a preferred node is not a scan per placement. */
  private candidateSet: Set<number> | null = null;
  private readonly spreadPlans = new Map<string, SpreadPlan[]>();
  /** Scratch for the candidate being ranked, and slots for the best and the skipped ones. */
  private readonly current = emptyOption();
  private readonly best = emptyOption();
  private readonly skippedSlots: RankedOption[] = optionSlots(MAX_SKIP);
  private readonly top = new TopScores();
  private readonly fit: FitCache;

  constructor(
    private readonly ctx: EvalContext,
    private readonly feasibility: Feasibility,
    private readonly isBatch: boolean,
    algorithm: 'binpack' | 'spread',
  ) {
    this.fit = fitCaches[algorithm];
  }

  /**
   * The candidate nodes. With an rng they are visited in a random order, shuffled as the visit
   * goes (Fisher-Yates one step per node), so an eval that places a few allocations on a large
   * cluster does not pay for shuffling all of it.
   */
  setNodes(nodes: readonly Node[], rng: Rng | null = null): void {
    const table = this.ctx.nodeTable();
    const positions: number[] = [];
    for (const n of nodes) {
      const pos = table.positionOf(n.ID);
      if (pos >= 0 && table.nodes[pos] === n) positions.push(pos);
    }
    this.setPositions(table, Int32Array.from(positions), rng);
  }

  /** The ready nodes of the job's datacenters, from the (shared) node table; they are copied. */
  setReady(ready: ReadyPositions, rng: Rng | null = null): void {
    this.setPositions(this.ctx.nodeTable(), ready.positions.slice(), rng);
  }

  private setPositions(table: NodeTable, positions: Int32Array, rng: Rng | null): void {
    this.table = table;
    this.positions = positions;
    this.cursor = 0;
    this.rng = rng;
    this.candidateSet = null;
    this.shuffledUpTo = rng ? 0 : positions.length;
  }

  private positionAt(i: number): number {
    const positions = this.positions;
    if (i >= this.shuffledUpTo) {
      const j = i + this.rng!.nextInt(positions.length - i);
      const tmp = positions[i]!;
      positions[i] = positions[j]!;
      positions[j] = tmp;
      this.shuffledUpTo = i + 1;
    }
    return positions[i]!;
  }

  nodeCount(): number {
    return this.positions.length;
  }

  select(info: GroupInfo, metric: AllocMetric, opts: SelectOptions = {}): RankedOption | null {
    const table = this.table;
    if (!table) return null;
    const top = this.top;
    top.reset();
    const cur = this.current;
    this.plainFeasibleClasses = this.feasibleClassesOf(info, table);
    if (opts.preferredNodeId) {
      this.candidateSet ??= new Set(this.positions);
      const pos = table.positionOf(opts.preferredNodeId);
      if (pos >= 0 && this.candidateSet.has(pos) && this.rankAt(table, pos, info, metric, opts, cur)) {
        top.offer(cur);
        metric.ScoreMetaData = top.meta();
        return freshCopy(cur);
      }
    }
    const n = this.positions.length;
    const unbounded = info.affinities.length > 0 || info.spreads.length > 0;
    const limit = unbounded ? n : nodeLimit(n, this.isBatch);
    const best = this.best;
    let haveBest = false;
    let seen = 0;
    let skipped = 0;
    // Bounded by the limit of fitting nodes (and by the candidate count when few fit): each
    // visit costs O(1) apart from the fixed-size top-scores bookkeeping.
    for (let visited = 0; visited < n && seen < limit; visited++) {
      const pos = this.positionAt(this.cursor);
      this.cursor = this.cursor + 1 === n ? 0 : this.cursor + 1;
      if (!this.rankAt(table, pos, info, metric, opts, cur)) continue;
      top.offer(cur);
      if (cur.finalScore <= SKIP_SCORE_THRESHOLD && skipped < MAX_SKIP && !unbounded) {
        copyOption(cur, this.skippedSlots[skipped++]!);
        continue;
      }
      seen++;
      if (!haveBest || cur.finalScore > best.finalScore) {
        copyOption(cur, best);
        haveBest = true;
      }
    }
    // Too few good nodes: fall back on the skipped ones.
    for (let i = 0; i < skipped && seen < limit; i++) {
      const o = this.skippedSlots[i]!;
      seen++;
      if (!haveBest || o.finalScore > best.finalScore) {
        copyOption(o, best);
        haveBest = true;
      }
    }
    metric.ScoreMetaData = top.meta();
    return haveBest ? freshCopy(best) : null;
  }

  /** Picks the ports on the chosen node and makes its network blocks. */
  offerFor(option: RankedOption, info: GroupInfo): NetworkOffer {
    const cap = this.ctx.nodeCapacity(option.node);
    const dynamic = pickPorts(info.ask.ports, cap, this.ctx.nodeUsage(option.node.ID).ports, this.ctx.rng);
    return buildOffer(info.ask, cap, dynamic);
  }

  /** Checks and scores one node; null (with the reason in the metric) when it cannot take the group. */
  rankNode(node: Node, info: GroupInfo, metric: AllocMetric, opts: SelectOptions, scored: RankedOption[] | null): RankedOption | null {
    const table = this.ctx.nodeTable();
    const pos = table.positionOf(node.ID);
    const out = emptyOption();
    this.plainFeasibleClasses = this.feasibleClassesOf(info, table);
    const ok =
      pos >= 0 && table.nodes[pos] === node
        ? this.rankAt(table, pos, info, metric, opts, out)
        : this.rank(node, node.ComputedClass, this.ctx.nodeCapacity(node), -1, this.ctx.record(node.ID), info, metric, opts, out);
    if (!ok) return null;
    scored?.push(out);
    return out;
  }

  private rankAt(table: NodeTable, pos: number, info: GroupInfo, metric: AllocMetric, opts: SelectOptions, out: RankedOption): boolean {
    if (!this.ctx.hasRecordAt(pos) && opts.penaltyNodeIds === undefined && plainGroup(info)) return this.rankPlain(table, pos, info, metric, out);
    return this.rank(table.nodes[pos]!, table.classAt(pos), table.capacityAt(pos), pos, this.ctx.existingRecordAt(pos), info, metric, opts, out);
  }

  /**
   * Per group, a byte per computed class of the node table: 1 once a node of that class was found
   * feasible (for groups whose feasibility the class decides). Ranking then skips the lookups of
   * the class string in the feasibility maps for every candidate.
   */
  private readonly feasibleClasses = new Map<GroupInfo, Uint8Array>();
  /** feasibleClassesOf the group being placed by select() (null: the class does not decide). */
  private plainFeasibleClasses: Uint8Array | null = null;

  private feasibleClassesOf(info: GroupInfo, table: NodeTable): Uint8Array | null {
    if (!this.feasibility.classDecides(info)) return null;
    let marks = this.feasibleClasses.get(info);
    if (marks === undefined || marks.length !== table.classNames.length) {
      marks = new Uint8Array(table.classNames.length);
      this.feasibleClasses.set(info, marks);
    }
    return marks;
  }

  /**
   * rank() for the common candidate: a node the plan has not touched and that holds none of the
   * job's allocations, for a group without affinities, spreads or distinct constraints, and no
   * reschedule penalty. The score is the binpack fit alone; capacity and usage come from the
   * node table's packed arrays.
   */
  private rankPlain(table: NodeTable, pos: number, info: GroupInfo, metric: AllocMetric, out: RankedOption): boolean {
    const node = table.nodes[pos]!;
    metric.NodesEvaluated++;
    const classes = this.plainFeasibleClasses;
    const classId = table.classIds[pos]!;
    if (classes === null || classes[classId] !== 1) {
      const cls = table.classAt(pos);
      if (!this.feasibility.feasible(node, info, metric, cls)) return false;
      // '' is no class at all: each such node is checked on its own.
      if (classes !== null && cls !== '') classes[classId] = 1;
    }
    const p = table.packed;
    const at = pos * PACKED_STRIDE;
    if (p[at + PACKED_CAP_CPU] !== p[at + PACKED_CAP_CPU]) table.capacityAt(pos); // NaN: not computed yet
    this.ctx.baseUsageAt(pos); // leaves this snapshot's usage in the packed numbers
    const ask = info.ask;
    const capCpu = p[at + PACKED_CAP_CPU]!;
    const capMem = p[at + PACKED_CAP_MEM]!;
    const cpu = p[at + PACKED_USED_CPU]! + ask.cpu;
    const mem = p[at + PACKED_USED_MEM]! + ask.memMB;
    if (cpu > capCpu) {
      exhaustNode(metric, node, 'cpu');
      return false;
    }
    if (mem > capMem) {
      exhaustNode(metric, node, 'memory');
      return false;
    }
    if (p[at + PACKED_USED_DISK]! + ask.diskMB > p[at + PACKED_CAP_DISK]!) {
      exhaustNode(metric, node, 'disk');
      return false;
    }
    if (ask.hasNetworks && !(ask.ports.staticPorts.length === 0 && p[at + PACKED_PORT_COUNT]! + ask.ports.dynamicCount <= p[at + PACKED_PORT_ROOM]!)) {
      const portProblem = checkPorts(ask.ports, table.capacityAt(pos), this.ctx.baseUsageAt(pos).ports);
      if (portProblem) {
        exhaustNode(metric, node, portProblem);
        return false;
      }
    }
    const binpack = this.fit.score(cpu, capCpu, mem, capMem);
    out.node = node;
    out.pos = pos;
    out.finalScore = binpack;
    out.binpack = binpack;
    out.antiAffinity = 0;
    out.reschedulePenalty = 0;
    out.affinity = 0;
    out.spread = null;
    return true;
  }

  /**
   * Checks and scores one node into `out`; false (with the reason in the metric) when it cannot
   * take the group. `rec` is undefined for a node in the table that the eval has no record of:
   * the plan has not touched it and none of the job's allocations are on it.
   */
  private rank(
    node: Node,
    cls: string,
    cap: NodeCapacity,
    pos: number,
    rec: NodeRecord | undefined,
    info: GroupInfo,
    metric: AllocMetric,
    opts: SelectOptions,
    out: RankedOption,
  ): boolean {
    metric.NodesEvaluated++;
    if (!this.feasibility.feasible(node, info, metric, cls)) return false;
    if ((info.distinctHosts || info.distinctProperties.length > 0) && !this.distinctOk(node, info, metric)) return false;

    // The node object (large, scattered in memory) is not read here: the table has what is needed.
    const used = rec === undefined ? this.ctx.baseUsageAt(pos) : rec.usageReady ? rec : this.ctx.nodeUsage(node.ID, rec);
    const ask = info.ask;
    const cpu = used.cpu + ask.cpu;
    const mem = used.memMB + ask.memMB;
    if (cpu > cap.cpu) {
      exhaustNode(metric, node, 'cpu');
      return false;
    }
    if (mem > cap.memMB) {
      exhaustNode(metric, node, 'memory');
      return false;
    }
    if (used.diskMB + ask.diskMB > cap.diskMB) {
      exhaustNode(metric, node, 'disk');
      return false;
    }
    // Dynamic ports only, with room to spare (the common ask): checkPorts' first bound, from the
    // counts alone, so that the port Set (another object per node) is not read for every candidate.
    if (ask.hasNetworks && !(ask.ports.staticPorts.length === 0 && used.portCount + ask.ports.dynamicCount <= cap.portRoom)) {
      const portProblem = checkPorts(ask.ports, cap, used.ports);
      if (portProblem) {
        exhaustNode(metric, node, portProblem);
        return false;
      }
    }

    // The final score is the mean of the scores that apply (zeros of absent factors do not dilute it).
    const binpack = this.fit.score(cpu, cap.cpu, mem, cap.memMB);
    let sum = binpack;
    let count = 1;
    const collisions = rec === undefined || rec.jobTotal === 0 ? 0 : this.ctx.jobAllocsOnNode(node.ID, info.tg.Name, rec);
    const antiAffinity = antiAffinityScore(collisions, info.tg.Count);
    if (collisions > 0) {
      sum += antiAffinity;
      count++;
    }
    const penalized = opts.penaltyNodeIds !== undefined && opts.penaltyNodeIds.has(node.ID);
    if (penalized) {
      sum -= 1;
      count++;
    }
    const affinity = info.affinities.length > 0 ? affinityScore(info.affinities, node, this.feasibility.matcher) : 0;
    if (affinity !== 0) {
      sum += affinity;
      count++;
    }
    let spread: number | null = null;
    if (info.spreads.length > 0) {
      spread = spreadScore(this.spreadPlansFor(info), node);
      if (spread !== 0) {
        sum += spread;
        count++;
      }
    }
    out.node = node;
    out.pos = rec === undefined ? pos : rec.pos;
    out.finalScore = sum / count;
    out.binpack = binpack;
    out.antiAffinity = antiAffinity;
    out.reschedulePenalty = penalized ? -1 : 0;
    out.affinity = affinity;
    out.spread = spread;
    return true;
  }

  private distinctOk(node: Node, info: GroupInfo, metric: AllocMetric): boolean {
    if (info.distinctHosts) {
      const scope = info.distinctHosts === 'job' ? null : info.tg.Name;
      if (this.ctx.jobAllocsOnNode(node.ID, scope) > 0) {
        filterNode(metric, node, 'distinct_hosts');
        return false;
      }
    }
    for (const dp of info.distinctProperties) {
      const r = resolveTarget(dp.target, node);
      if (!r.found) {
        filterNode(metric, node, `distinct_property: missing property ${dp.target}`);
        return false;
      }
      const used = this.ctx.properties(dp.target, dp.group).counts.get(r.value) ?? 0;
      if (used >= dp.limit) {
        filterNode(metric, node, `distinct_property: ${dp.target}=${r.value} used by ${used} allocs`);
        return false;
      }
    }
    return true;
  }

  private spreadPlansFor(info: GroupInfo): SpreadPlan[] {
    let plans = this.spreadPlans.get(info.tg.Name);
    if (!plans) {
      plans = info.spreads.map((s) => ({
        spread: s,
        counts: this.ctx.properties(s.Attribute, info.tg.Name),
        desired: spreadDesired(s, info.tg.Count),
      }));
      this.spreadPlans.set(info.tg.Name, plans);
    }
    return plans;
  }
}
