// Scheduler throughput on a 5,000-node cluster: one service job of 10,000 allocations, and 100
// jobs of 100 allocations, each placed by one evaluation. The in-memory harness is the state and
// planner of the first two figures; the third runs the 100x100 case against the real state
// store: snapshots from the StateStore, plans checked as the leader's applier checks them and
// committed through the FSM.
//
// The machine may be shared, so each figure is the median of several timed runs, after a
// warm-up run of each case (so that compilation is not measured). Cluster building is not timed.
// Wall time only: process CPU time counts the GC's helper threads too, so it is no steadier.
import { performance } from 'node:perf_hooks';
import type { Evaluation } from '../src/structs/evaluation.js';
import type { Job } from '../src/structs/job.js';
import type { Plan, PlanResult } from '../src/structs/plan.js';
import type { Planner } from '../src/scheduler/planner.js';
import { newScheduler } from '../src/scheduler/index.js';
import { Harness } from '../test/unit/scheduler/harness.js';
import { mockEval, mockJob, mockNode, sequentialIds } from '../test/unit/scheduler/mock.js';
import type { StateReader } from '../src/state/reader.js';
import { StateStore } from '../src/state/store.js';
import { FSM } from '../src/state/fsm.js';
import { evaluatePlan } from '../src/server/plan-evaluate.js';
import { cpuCalibrationMs } from './calibrate.js';

const NODE_COUNT = 5000;
const NOW_MS = 1_795_282_745_000;
const RUNS = Number(process.env['SCHEDULER_BENCH_RUNS'] ?? 5);

const gc = (globalThis as { gc?: () => void }).gc;

function clusterNodes() {
  const nodes = [];
  for (let i = 0; i < NODE_COUNT; i++) {
    nodes.push(
      mockNode({
        id: `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
        datacenter: i % 2 === 0 ? 'dc1' : 'dc2',
        nodeClass: i % 10 === 0 ? 'large' : '',
        cpuShares: 16000,
        memoryMB: 32768,
      }),
    );
  }
  return nodes;
}

function harnessCluster(): Harness {
  const h = new Harness();
  for (const n of clusterNodes()) h.upsertNode(n);
  return h;
}

function serviceJob(id: string, count: number): Job {
  return mockJob({ ID: id, Name: id, Datacenters: ['dc1', 'dc2'] }, count);
}

interface Run {
  ms: number;
  placed: number;
  evals: number;
}

/** Settles the heap before the timed part, so a collection of the set-up's garbage is not timed. */
function settle(): void {
  gc?.();
}

async function oneBigJob(): Promise<Run> {
  const h = harnessCluster();
  const job = h.registerJob(serviceJob('big', 10_000));
  const ev = mockEval(job);
  settle();
  const t0 = performance.now();
  await h.process(ev, { nowMs: () => NOW_MS, generateId: sequentialIds() });
  const ms = performance.now() - t0;
  return { ms, placed: h.allocs().length, evals: 1 };
}

async function hundredJobs(): Promise<Run> {
  const h = harnessCluster();
  const jobs: Job[] = [];
  for (let i = 0; i < 100; i++) jobs.push(h.registerJob(serviceJob(`job-${i}`, 100)));
  const evals = jobs.map((j) => mockEval(j));
  settle();
  const t0 = performance.now();
  for (let i = 0; i < jobs.length; i++) await h.process(evals[i]!, { nowMs: () => NOW_MS, generateId: sequentialIds(i) });
  const ms = performance.now() - t0;
  return { ms, placed: h.allocs().length, evals: jobs.length };
}

/** The leader's side of a plan, without consensus: check against the latest state, commit by the FSM. */
class StorePlanner implements Planner {
  constructor(
    private readonly store: StateStore,
    private readonly fsm: FSM,
  ) {}

  private nextIndex(): number {
    return this.store.latestIndex() + 1;
  }

  async submitPlan(plan: Plan): Promise<{ result: PlanResult; newState: StateReader | null }> {
    const snap = this.store.snapshot();
    const { result, entry } = evaluatePlan(snap, plan, NOW_MS * 1_000_000);
    if (entry) {
      const index = this.nextIndex();
      this.fsm.apply(index, entry);
      result.AllocIndex = index;
    }
    return { result, newState: result.RejectedNodes.length > 0 ? this.store.snapshot() : null };
  }

  async updateEval(ev: Evaluation): Promise<void> {
    this.fsm.apply(this.nextIndex(), { Type: 'EvalUpsert', Evals: [ev] });
  }

  async createEval(ev: Evaluation): Promise<void> {
    await this.updateEval(ev);
  }

  async reblockEval(ev: Evaluation): Promise<void> {
    await this.updateEval(ev);
  }
}

async function hundredJobsStore(): Promise<Run> {
  const store = new StateStore();
  const fsm = new FSM(store);
  let index = 1;
  for (const n of clusterNodes()) fsm.apply(++index, { Type: 'NodeRegister', Node: n, TimestampNs: NOW_MS * 1_000_000 });
  const evals: Evaluation[] = [];
  for (let i = 0; i < 100; i++) {
    const job = serviceJob(`job-${i}`, 100);
    const ev = mockEval(job);
    fsm.apply(++index, { Type: 'JobRegister', Job: job, Eval: ev, SubmitTimeNs: NOW_MS * 1_000_000 });
    evals.push(store.snapshot().evalByID(ev.ID)!);
  }
  const planner = new StorePlanner(store, fsm);
  settle();
  const t0 = performance.now();
  for (let i = 0; i < evals.length; i++) {
    // A worker takes a fresh snapshot for each evaluation.
    const snap = store.snapshot();
    await newScheduler('service', snap, planner, { nowMs: () => NOW_MS, generateId: sequentialIds(i) }).process(evals[i]!);
  }
  const ms = performance.now() - t0;
  return { ms, placed: store.snapshot().allocs().length, evals: evals.length };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function measure(name: string, run: () => Promise<Run>): Promise<{ perS: number; evalMs: number }> {
  const check = (r: Run): Run => {
    if (r.placed !== 10_000) throw new Error(`${name}: expected 10000 placements, got ${r.placed}`);
    return r;
  };
  check(await run()); // warm-up
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(check(await run()));
  return {
    perS: median(runs.map((r) => (r.placed / r.ms) * 1000)),
    evalMs: median(runs.map((r) => r.ms / r.evals)),
  };
}

const calibrationMs = cpuCalibrationMs();
const big = await measure('one job of 10000', oneBigJob);
const many = await measure('100 jobs of 100', hundredJobs);
const manyStore = await measure('100 jobs of 100 on the store', hundredJobsStore);
console.log(`bench scheduler.cpu_calibration_1e7_loop ${calibrationMs.toFixed(1)} ms`);
console.log(`bench scheduler.placements_per_s ${Math.round(big.perS)} per_s`);
console.log(`bench scheduler.placements_per_s_100x100 ${Math.round(many.perS)} per_s`);
console.log(`bench scheduler.placements_per_s_100x100_store ${Math.round(manyStore.perS)} per_s`);
console.log(`bench scheduler.eval_ms_10000_allocs ${big.evalMs.toFixed(1)} ms`);
console.log(`bench scheduler.eval_ms_100_allocs ${many.evalMs.toFixed(2)} ms`);
console.log(`bench scheduler.eval_ms_100_allocs_store ${manyStore.evalMs.toFixed(2)} ms`);
