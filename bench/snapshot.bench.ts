// Benchmark of `nomad operator snapshot save | restore` on a server of one: the cost of capturing
// the state and writing the archive (gzip, tar, checksums), and of verifying an archive and
// replacing the state with it, for a state of BENCH_SNAPSHOT_ALLOCS allocations (100k by
// default) on 1,000 nodes. Each allocation carries the resource blocks the scheduler writes for a
// one-task group, which the FSM shares between the allocations of a plan. The count is in every
// figure's name so runs of different sizes are never mixed up.
import { performance } from 'node:perf_hooks';
import type { Allocation } from '../src/structs/alloc.js';
import { FSM } from '../src/state/fsm.js';
import { StateStore } from '../src/state/store.js';
import { flat, mockAlloc, mockAllocBlocks, mockEval, mockJob, mockNode, mockPlanApply, T0_NS, taskGroup, uuidFrom } from '../test/unit/state-fixtures.js';
import { InMemoryConsensus } from '../src/server/consensus-memory.js';
import { readSnapshotArchive, writeSnapshotArchive } from '../src/structs/snapshot-archive.js';
import { cpuCalibrationMs } from './calibrate.js';

const NODES = 1000;
const PLAN_SIZE = 10_000;
const TOTAL_ALLOCS = Math.max(PLAN_SIZE, Number(process.env['BENCH_SNAPSHOT_ALLOCS'] ?? 100_000));
const AT = TOTAL_ALLOCS % 1_000_000 === 0 ? `${TOTAL_ALLOCS / 1_000_000}M` : `${Math.round(TOTAL_ALLOCS / 1000)}k`;
const ROUNDS = 3;

function report(figure: string, value: number, unit: string): void {
  console.log(`bench snapshot.${figure} ${Number(value.toFixed(3))} ${unit}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A state of TOTAL_ALLOCS allocations, built through the FSM as a server's would be. */
function buildState(): FSM {
  const fsm = new FSM(new StateStore());
  let index = 0;
  const nodeIds = Array.from({ length: NODES }, (_, i) => uuidFrom(i, 7));
  for (const id of nodeIds) fsm.apply(++index, { Type: 'NodeRegister', Node: mockNode(id), TimestampNs: T0_NS });
  for (let j = 0; j < TOTAL_ALLOCS / PLAN_SIZE; j++) {
    fsm.apply(++index, { Type: 'JobRegister', Job: mockJob(`job-${j}`, { TaskGroups: [taskGroup('cache', PLAN_SIZE)] }), Eval: mockEval(`eval-${j}`, `job-${j}`), SubmitTimeNs: T0_NS });
    const job = fsm.store.snapshot().jobByID('default', `job-${j}`)!;
    const allocs: Allocation[] = [];
    for (let i = 0; i < PLAN_SIZE; i++) {
      const n = j * PLAN_SIZE + i;
      allocs.push(mockAlloc(uuidFrom(n, 1), nodeIds[n % NODES]!, { JobID: job.ID, EvalID: flat(`eval-${j}`), Name: flat(`${job.ID}.cache[${i}]`), ...mockAllocBlocks('redis') }));
    }
    fsm.apply(++index, mockPlanApply(job, { EvalID: `eval-${j}`, AllocsUpdated: allocs, TimestampNs: T0_NS + j }));
  }
  return fsm;
}

async function main(): Promise<void> {
  report('cpu_calibration_1e7_loop', cpuCalibrationMs(), 'ms');
  const fsm = buildState();
  const consensus = new InMemoryConsensus(fsm);
  const saveMs: number[] = [];
  const restoreMs: number[] = [];
  let archive: Uint8Array = new Uint8Array();
  let stateBytes = 0;
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = performance.now();
    const captured = await consensus.captureState(true);
    archive = await writeSnapshotArchive({ index: captured.index, term: captured.term, createdMs: Date.now() }, captured.data);
    saveMs.push(performance.now() - t0);
    stateBytes = captured.data.length;

    t0 = performance.now();
    const { meta, state } = await readSnapshotArchive(archive);
    await consensus.restoreState(state, meta.Index);
    restoreMs.push(performance.now() - t0);
  }
  // The restored state is the saved one: a benchmark of a restore that lost data would mislead.
  const allocs = fsm.store.snapshot().allocsByJob('default', 'job-0', true).length;
  if (allocs !== PLAN_SIZE) throw new Error(`after the restore job-0 has ${allocs} allocations, not ${PLAN_SIZE}`);
  report(`state_${AT}_allocs`, stateBytes / (1024 * 1024), 'MiB');
  report(`archive_${AT}_allocs`, archive.length / (1024 * 1024), 'MiB');
  report(`save_${AT}_allocs_median`, median(saveMs), 'ms');
  report(`restore_${AT}_allocs_median`, median(restoreMs), 'ms');
  await consensus.shutdown();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
