// The whole state as msgpack bytes (Raft snapshots) and back. Allocations share their job with
// many others; the encoding stores each distinct job once and refers to it by position, so a
// snapshot with 1,000,000 allocations does not carry a million copies of a few jobs.
import type { Allocation } from '../structs/alloc.js';
import type { Deployment } from '../structs/deployment.js';
import { badRequest } from '../structs/errors.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Job } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import type { JobSummary } from '../structs/summary.js';
import { decodeMsgpack, encodeMsgpack } from './codec.js';
import type { SchedulerConfiguration, TableName } from './reader.js';
import { WriteTxn } from './store-txn.js';
import { emptyTableIndexes, emptyTables, type Tables } from './tables.js';

const FORMAT = 'nomad-ts-state';
const FORMAT_VERSION = 1;

interface EncodedState {
  Format: string;
  FormatVersion: number;
  LatestIndex: number;
  TableIndexes: Record<string, number>;
  SchedulerConfig: SchedulerConfiguration | null;
  /** Every distinct job object, referred to by position below. */
  JobPool: Job[];
  Jobs: number[];
  JobVersions: number[][];
  JobSummaries: JobSummary[];
  Nodes: Node[];
  /** Allocations with Job set to null; AllocJobs[i] is the position of allocation i's job (-1: none). */
  Allocs: Allocation[];
  AllocJobs: number[];
  Evals: Evaluation[];
  Deployments: Deployment[];
}

export function encodeTables(t: Tables): Uint8Array {
  const pool: Job[] = [];
  const positions = new Map<Job, number>();
  const ref = (job: Job | null): number => {
    if (job === null) return -1;
    let at = positions.get(job);
    if (at === undefined) {
      at = pool.length;
      pool.push(job);
      positions.set(job, at);
    }
    return at;
  };
  const allocs: Allocation[] = [];
  const allocJobs: number[] = [];
  t.allocs.forEachFrom('', (_k, a) => {
    allocJobs.push(ref(a.Job));
    allocs.push({ ...a, Job: null });
  });
  const state: EncodedState = {
    Format: FORMAT,
    FormatVersion: FORMAT_VERSION,
    LatestIndex: t.latestIndex,
    TableIndexes: { ...t.tableIndexes },
    SchedulerConfig: t.schedulerConfig,
    JobPool: pool,
    Jobs: t.jobs.values().map(ref),
    JobVersions: t.jobVersions.values().map((versions) => versions.map(ref)),
    JobSummaries: t.jobSummaries.values(),
    Nodes: t.nodes.values(),
    Allocs: allocs,
    AllocJobs: allocJobs,
    Evals: t.evals.values(),
    Deployments: t.deployments.values(),
  };
  return encodeMsgpack(state);
}

function list<T>(value: unknown, field: string): T[] {
  if (!Array.isArray(value)) throw badRequest(`state snapshot: field ${field} is not a list`, field);
  return value as T[];
}

export function decodeTables(bytes: Uint8Array, freeze: boolean): Tables {
  let state: EncodedState;
  try {
    state = decodeMsgpack<EncodedState>(bytes);
  } catch (err) {
    throw badRequest(`state snapshot: not valid msgpack (${(err as Error).message})`);
  }
  if (state === null || typeof state !== 'object' || state.Format !== FORMAT) {
    throw badRequest('state snapshot: not a state snapshot of this server');
  }
  if (state.FormatVersion !== FORMAT_VERSION) {
    throw badRequest(`state snapshot: format version ${state.FormatVersion} is not supported (expected ${FORMAT_VERSION})`);
  }
  const pool = list<Job>(state.JobPool, 'JobPool');
  const job = (at: number, field: string): Job => {
    const j = pool[at];
    if (j === undefined) throw badRequest(`state snapshot: ${field} refers to job ${at}, beyond the ${pool.length} stored`, field);
    return j;
  };
  const latest = state.LatestIndex;
  // Indexes do not matter while loading: the stored table indexes are put back afterwards.
  const txn = new WriteTxn(emptyTables(), Math.max(1, latest), freeze);
  list<number>(state.Jobs, 'Jobs').forEach((at) => txn.putJob(job(at, 'Jobs')));
  list<number[]>(state.JobVersions, 'JobVersions').forEach((refs) => {
    const versions = refs.map((at) => job(at, 'JobVersions'));
    if (versions.length > 0) txn.putJobVersions(versions[0]!.Namespace, versions[0]!.ID, versions);
  });
  list<JobSummary>(state.JobSummaries, 'JobSummaries').forEach((s) => txn.putJobSummary(s));
  list<Node>(state.Nodes, 'Nodes').forEach((n) => txn.putNode(n));
  const allocJobs = list<number>(state.AllocJobs, 'AllocJobs');
  list<Allocation>(state.Allocs, 'Allocs').forEach((a, i) => {
    const at = allocJobs[i] ?? -1;
    txn.putAlloc({ ...a, Job: at < 0 ? null : job(at, 'AllocJobs') });
  });
  list<Evaluation>(state.Evals, 'Evals').forEach((e) => txn.putEval(e));
  list<Deployment>(state.Deployments, 'Deployments').forEach((d) => txn.putDeployment(d));
  if (state.SchedulerConfig !== null) txn.putSchedulerConfig(state.SchedulerConfig);
  const tables = txn.result(false);
  const indexes = emptyTableIndexes();
  for (const k of Object.keys(indexes) as TableName[]) {
    const v = state.TableIndexes?.[k];
    if (typeof v === 'number') indexes[k] = v;
  }
  return { ...tables, tableIndexes: indexes, latestIndex: latest };
}
