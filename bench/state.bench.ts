// Benchmarks of the state store and FSM: plan apply of 10k allocations, single upserts per
// second, snapshot cost and index lookups with 1,000,000 allocations on 5,000 nodes, memory.
// BENCH_STATE_ALLOCS changes the allocation count; every figure that depends on it carries the
// count in its name (…_1M, …_200k), so figures of different runs are never mixed up.
import { performance } from 'node:perf_hooks';
import type { Allocation } from '../src/structs/alloc.js';
import { FSM } from '../src/state/fsm.js';
import type { PlanApplyEntry } from '../src/state/log-entries.js';
import { StateStore } from '../src/state/store.js';
import { flat, mockAlloc, mockEval, mockJob, mockPlanApply, mockNode, T0_NS, taskGroup, uuidFrom } from '../test/unit/state-fixtures.js';
import { InMemoryConsensus } from '../src/server/consensus-memory.js';
import { cpuCalibrationMs } from './calibrate.js';

const NODES = 5000;
const TOTAL_ALLOCS = Number(process.env['BENCH_STATE_ALLOCS'] ?? 1_000_000);
const PLAN_SIZE = 10_000;
/** The allocation count as it appears in figure names. */
const AT = TOTAL_ALLOCS % 1_000_000 === 0 ? `${TOTAL_ALLOCS / 1_000_000}M` : `${Math.round(TOTAL_ALLOCS / 1000)}k`;
const PER_NODE = Math.floor(TOTAL_ALLOCS / NODES);

function report(figure: string, value: number, unit: string): void {
  console.log(`bench state.${figure} ${Number(value.toFixed(3))} ${unit}`);
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const nodeIds = Array.from({ length: NODES }, (_, i) => uuidFrom(i, 7));

function planOf(jobIndex: number, job: ReturnType<typeof mockJob>, start: number, count: number): PlanApplyEntry {
  const allocs: Allocation[] = [];
  for (let i = 0; i < count; i++) {
    const n = start + i;
    // Flat strings, as a decoded log entry has (template literals would build concatenation trees).
    allocs.push(mockAlloc(uuidFrom(n, 1), nodeIds[n % NODES]!, { JobID: job.ID, EvalID: flat(`eval-${jobIndex}`), Name: flat(`${job.ID}.cache[${i}]`) }));
  }
  return mockPlanApply(job, { EvalID: `eval-${jobIndex}`, AllocsUpdated: allocs, TimestampNs: T0_NS + n(jobIndex) });
}

function n(x: number): number {
  return x * 1000;
}

async function main(): Promise<void> {
  report('cpu_calibration_1e7_loop', cpuCalibrationMs(), 'ms');
  const store = new StateStore();
  const fsm = new FSM(store);
  let index = 0;
  for (const id of nodeIds) fsm.apply(++index, { Type: 'NodeRegister', Node: mockNode(id), TimestampNs: T0_NS });
  const jobs = TOTAL_ALLOCS / PLAN_SIZE;
  const registered = [];
  for (let j = 0; j < jobs; j++) {
    fsm.apply(++index, { Type: 'JobRegister', Job: mockJob(`job-${j}`, { TaskGroups: [taskGroup('cache', PLAN_SIZE)] }), Eval: mockEval(`eval-${j}`, `job-${j}`), SubmitTimeNs: T0_NS });
    registered.push(store.snapshot().jobByID('default', `job-${j}`)!);
  }

  gc();
  const heapBeforeAllocs = process.memoryUsage().heapUsed;

  // Plan apply of 10k new allocations (the first plans, on an empty alloc table, then later ones).
  const planTimesMs: number[] = [];
  for (let j = 0; j < jobs; j++) {
    const plan = planOf(j, registered[j]!, j * PLAN_SIZE, PLAN_SIZE);
    const t0 = performance.now();
    fsm.apply(++index, plan);
    planTimesMs.push(performance.now() - t0);
  }
  planTimesMs.sort((a, b) => a - b);
  // Over the plans that fill the store from empty up to the full count.
  report(`plan_apply_10k_allocs_median_to_${AT}`, planTimesMs[Math.floor(planTimesMs.length / 2)]!, 'ms');
  report(`plan_apply_10k_allocs_p99_to_${AT}`, planTimesMs[Math.floor(planTimesMs.length * 0.99)]!, 'ms');
  report(`plan_apply_10k_allocs_max_to_${AT}`, planTimesMs.length > 0 ? planTimesMs[planTimesMs.length - 1]! : 0, 'ms');

  gc();
  const mem = process.memoryUsage();
  report(`rss_${AT}_allocs`, mem.rss / (1024 * 1024), 'MB');
  report(`heap_${AT}_allocs`, mem.heapUsed / (1024 * 1024), 'MB');
  report('heap_per_alloc', (mem.heapUsed - heapBeforeAllocs) / TOTAL_ALLOCS, 'bytes');

  // snapshot() with 1M allocations: a reference to the roots.
  const snapRounds = 100_000;
  let t0 = performance.now();
  let snap = store.snapshot();
  for (let i = 0; i < snapRounds; i++) snap = store.snapshot();
  report(`snapshot_${AT}_allocs`, ((performance.now() - t0) * 1000) / snapRounds, 'us');

  // Index lookups: TOTAL_ALLOCS / NODES allocations per node (200 at 1M), 10,000 per job.
  t0 = performance.now();
  let found = 0;
  for (let i = 0; i < 1000; i++) found += snap.allocsByNode(nodeIds[i]!).length;
  report(`allocs_by_node_${PER_NODE}_at_${AT}`, ((performance.now() - t0) * 1000) / 1000, 'us');
  if (found !== 1000 * (TOTAL_ALLOCS / NODES)) throw new Error(`allocsByNode found ${found}`);
  t0 = performance.now();
  for (let j = 0; j < 10; j++) found = snap.allocsByJob('default', `job-${j}`, true).length;
  report(`allocs_by_job_10k_at_${AT}`, (performance.now() - t0) / 10, 'ms');
  t0 = performance.now();
  for (let i = 0; i < 10_000; i++) snap.allocsByIDPrefix('default', uuidFrom(i * 97, 1).slice(0, 8));
  report(`alloc_prefix_lookup_at_${AT}`, ((performance.now() - t0) * 1000) / 10_000, 'us');

  // Single-allocation client updates through the FSM: upserts per second at 1M allocations.
  const updates = 20_000;
  t0 = performance.now();
  for (let i = 0; i < updates; i++) {
    fsm.apply(++index, {
      Type: 'AllocClientUpdate',
      Updates: [{ ID: uuidFrom(i * 37, 1), ClientStatus: 'running', ClientDescription: 'Tasks are running', TaskStates: {}, DeploymentStatus: null }],
      Evals: [],
      TimestampNs: T0_NS + i,
    });
  }
  report(`alloc_client_upserts_at_${AT}`, updates / ((performance.now() - t0) / 1000), 'per_s');
  if (snap.allocByID(uuidFrom(0, 1))!.ClientStatus !== 'pending') throw new Error('a snapshot saw a later write');

  // The same 10k plan through the single-node log (msgpack encode + decode + apply).
  const logStore = new StateStore();
  const consensus = new InMemoryConsensus(new FSM(logStore));
  for (const id of nodeIds.slice(0, 100)) await consensus.apply({ Type: 'NodeRegister', Node: mockNode(id), TimestampNs: T0_NS });
  await consensus.apply({ Type: 'JobRegister', Job: registered[0]!, Eval: null, SubmitTimeNs: T0_NS });
  t0 = performance.now();
  await consensus.apply(planOf(0, logStore.snapshot().jobByID('default', 'job-0')!, 0, PLAN_SIZE));
  report('plan_apply_10k_via_log', performance.now() - t0, 'ms');
  await consensus.shutdown();

  // FSM snapshot encoding of the whole state.
  t0 = performance.now();
  const bytes = fsm.snapshot();
  report(`fsm_snapshot_encode_${AT}`, performance.now() - t0, 'ms');
  report(`fsm_snapshot_size_${AT}`, bytes.byteLength / (1024 * 1024), 'MB');
  t0 = performance.now();
  const restored = new StateStore();
  new FSM(restored).restore(bytes);
  report(`fsm_snapshot_restore_${AT}`, performance.now() - t0, 'ms');
  if (restored.snapshot().allocsByNode(nodeIds[0]!).length !== PER_NODE) throw new Error('restore lost allocations');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
