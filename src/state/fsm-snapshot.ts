// The whole state as msgpack bytes (Raft snapshots) and back.
//
// Format 2 is a stream of msgpack messages: a header, then sections of at most CHUNK_ROWS rows
// of one table each, then a trailer with the row count (a cut-off snapshot is refused). Encoding
// chunk by chunk keeps only one chunk's intermediate rows alive at a time, instead of a copy of
// every allocation plus one giant message. Each chunk is packed with msgpackr records: the
// field names of a shape are written once per chunk instead of once per row, which is most of
// the size of an allocation. The record definitions travel inside each message, so any process
// decodes the bytes alike (no shared structures).
//
// Allocations share their job with many others: the encoding stores each distinct job object once
// (a job pool, filled before the first row that refers to a job) and allocations carry the
// job's position in the pool, so restore rebuilds one shared object per job version.
//
// Format 1 (one message holding every table) is still read, for snapshots written before.
import { Packr, Unpackr } from 'msgpackr';
import type { Allocation } from '../structs/alloc.js';
import type { Deployment } from '../structs/deployment.js';
import { badRequest, NomadError } from '../structs/errors.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Job } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import type { JobSummary } from '../structs/summary.js';
import type { JobScalingEvents, ScalingPolicy } from '../structs/scaling.js';
import type { AclPolicy, AclToken } from '../structs/acl.js';
import type { Namespace } from '../structs/namespace.js';
import type { PeriodicLaunch } from '../structs/periodic.js';
import type { AutopilotConfiguration, SchedulerConfiguration, TableName } from './reader.js';
import { WriteTxn } from './store-txn.js';
import { emptyTableIndexes, emptyTables, type Tables } from './tables.js';

const FORMAT = 'nomad-ts-state';
const FORMAT_VERSION = 2;
/** Rows per message: large enough that record definitions cost nothing, small enough to stay cheap in memory. */
const CHUNK_ROWS = 8192;

const packOptions = { useRecords: true, mapsAsObjects: true, moreTypes: false } as const;

type Section = 'JobPool' | 'Jobs' | 'JobVersions' | 'JobSummaries' | 'Nodes' | 'Allocs' | 'Evals' | 'Deployments' | 'ScalingPolicies' | 'ScalingEvents' | 'AclPolicies' | 'AclTokens' | 'Namespaces' | 'PeriodicLaunches';
const SECTIONS: readonly Section[] = ['JobPool', 'Jobs', 'JobVersions', 'JobSummaries', 'Nodes', 'Allocs', 'Evals', 'Deployments', 'ScalingPolicies', 'ScalingEvents', 'AclPolicies', 'AclTokens', 'Namespaces', 'PeriodicLaunches'];

interface Header {
  Format: string;
  FormatVersion: number;
  LatestIndex: number;
  TableIndexes: Record<string, number>;
  SchedulerConfig: SchedulerConfiguration | null;
  /** Absent in snapshots written before ACLs were kept (read as 0). */
  AclBootstrapIndex?: number;
  /** Absent in snapshots written before it existed. */
  AutopilotConfig?: AutopilotConfiguration | null;
}

interface Trailer {
  End: true;
  Rows: number;
}

/** An allocation as stored in a snapshot: its job is a position in the job pool (-1: none). */
type EncodedAlloc = Omit<Allocation, 'Job'> & { Job: number };

/** Allocation fields whose values repeat across many allocations. */
const INTERNED_ALLOC_FIELDS = [
  'Namespace',
  'JobID',
  'EvalID',
  'NodeID',
  'NodeName',
  'TaskGroup',
  'DeploymentID',
  'DesiredStatus',
  'DesiredDescription',
  'ClientStatus',
  'ClientDescription',
] as const satisfies ReadonlyArray<keyof Allocation>;

/** One chunk: the section and its rows. */
type Chunk = [Section, unknown[]];

class ChunkWriter {
  private readonly packr = new Packr(packOptions);
  private readonly parts: Uint8Array[] = [];
  private bytes = 0;
  rows = 0;

  message(value: unknown): void {
    // msgpackr reuses its buffer for later messages: keep a copy of each.
    const part = new Uint8Array(this.packr.pack(value));
    this.parts.push(part);
    this.bytes += part.byteLength;
  }

  chunk(section: Section, rows: unknown[]): void {
    if (rows.length === 0) return;
    this.message([section, rows] satisfies Chunk);
    this.rows += rows.length;
  }

  /** Rows of one table, chunk by chunk; beforeChunk runs before each chunk is written. */
  table<T>(section: Section, each: (fn: (row: T) => void) => void, beforeChunk?: () => void): void {
    let rows: T[] = [];
    each((row) => {
      rows.push(row);
      if (rows.length >= CHUNK_ROWS) {
        beforeChunk?.();
        this.chunk(section, rows);
        rows = [];
      }
    });
    beforeChunk?.();
    this.chunk(section, rows);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.bytes);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    this.parts.length = 0;
    return out;
  }
}

export function encodeTables(t: Tables): Uint8Array {
  const w = new ChunkWriter();
  w.message({
    Format: FORMAT,
    FormatVersion: FORMAT_VERSION,
    LatestIndex: t.latestIndex,
    TableIndexes: { ...t.tableIndexes },
    SchedulerConfig: t.schedulerConfig,
    AclBootstrapIndex: t.aclBootstrapIndex,
    AutopilotConfig: t.autopilotConfig,
  } satisfies Header);

  const positions = new Map<Job, number>();
  let pending: Job[] = [];
  const ref = (job: Job | null): number => {
    if (job === null) return -1;
    let at = positions.get(job);
    if (at === undefined) {
      at = positions.size;
      positions.set(job, at);
      pending.push(job);
    }
    return at;
  };
  // Jobs found while collecting a chunk go out just before it, so a decoder always knows them.
  const flushPool = (): void => {
    for (let i = 0; i < pending.length; i += CHUNK_ROWS) w.chunk('JobPool', pending.slice(i, i + CHUNK_ROWS));
    pending = [];
  };

  w.table<number>('Jobs', (fn) => t.jobs.forEachFrom('', (_k, j) => fn(ref(j))), flushPool);
  w.table<number[]>('JobVersions', (fn) => t.jobVersions.forEachFrom('', (_k, vs) => fn(vs.map(ref))), flushPool);
  w.table<JobSummary>('JobSummaries', (fn) => t.jobSummaries.forEachFrom('', (_k, s) => fn(s)));
  w.table<Node>('Nodes', (fn) => t.nodes.forEachFrom('', (_k, n) => fn(n)));
  w.table<EncodedAlloc>('Allocs', (fn) => t.allocs.forEachFrom('', (_k, a) => fn({ ...a, Job: ref(a.Job) })), flushPool);
  w.table<Evaluation>('Evals', (fn) => t.evals.forEachFrom('', (_k, e) => fn(e)));
  w.table<Deployment>('Deployments', (fn) => t.deployments.forEachFrom('', (_k, d) => fn(d)));
  w.table<ScalingPolicy>('ScalingPolicies', (fn) => t.scalingPolicies.forEachFrom('', (_k, p) => fn(p)));
  w.table<JobScalingEvents>('ScalingEvents', (fn) => t.scalingEvents.forEachFrom('', (_k, e) => fn(e)));
  w.table<AclPolicy>('AclPolicies', (fn) => t.aclPolicies.forEachFrom('', (_k, p) => fn(p)));
  w.table<AclToken>('AclTokens', (fn) => t.aclTokens.forEachFrom('', (_k, tok) => fn(tok)));
  w.table<Namespace>('Namespaces', (fn) => t.namespaces.forEachFrom('', (_k, n) => fn(n)));
  w.table<PeriodicLaunch>('PeriodicLaunches', (fn) => t.periodicLaunches.forEachFrom('', (_k, l) => fn(l)));
  w.message({ End: true, Rows: w.rows } satisfies Trailer);
  return w.finish();
}

function list<T>(value: unknown, field: string): T[] {
  if (!Array.isArray(value)) throw badRequest(`state snapshot: field ${field} is not a list`, field);
  return value as T[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Loads rows into a fresh set of tables; indexes do not matter while loading. */
class Loader {
  readonly txn: WriteTxn;
  readonly pool: Job[] = [];
  /** Every decoded row has its own copy of each string: keep one per value instead. */
  private readonly strings = new Map<string, string>();

  private intern(value: string): string {
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    this.strings.set(value, value);
    return value;
  }

  constructor(latestIndex: number, freeze: boolean) {
    this.txn = new WriteTxn(emptyTables(), Math.max(1, latestIndex), freeze);
  }

  job(at: unknown, field: string): Job {
    const j = typeof at === 'number' ? this.pool[at] : undefined;
    if (j === undefined) throw badRequest(`state snapshot: ${field} refers to job ${String(at)}, beyond the ${this.pool.length} stored`, field);
    return j;
  }

  rows(section: Section, rows: unknown[]): void {
    const { txn } = this;
    switch (section) {
      case 'JobPool':
        for (const j of rows) this.pool.push(j as Job);
        return;
      case 'Jobs':
        for (const at of rows) txn.putJob(this.job(at, 'Jobs'));
        return;
      case 'JobVersions':
        for (const refs of rows) {
          const versions = list<number>(refs, 'JobVersions').map((at) => this.job(at, 'JobVersions'));
          if (versions.length > 0) txn.putJobVersions(versions[0]!.Namespace, versions[0]!.ID, versions);
        }
        return;
      case 'JobSummaries':
        for (const s of rows) txn.putJobSummary(s as JobSummary);
        return;
      case 'Nodes':
        for (const n of rows) txn.putNode(n as Node);
        return;
      case 'Allocs':
        for (const row of rows) {
          // The decoded row is a fresh object: its job reference becomes the shared job in place.
          const at = (row as { Job: unknown }).Job;
          const a = row as Allocation;
          a.Job = at === -1 || at === null ? null : this.job(at, 'Allocs.Job');
          for (const f of INTERNED_ALLOC_FIELDS) {
            const v = a[f];
            if (typeof v === 'string') (a as unknown as Record<string, string>)[f] = this.intern(v);
          }
          txn.putAlloc(a, null);
        }
        return;
      case 'Evals':
        for (const e of rows) txn.putEval(e as Evaluation);
        return;
      case 'Deployments':
        for (const d of rows) txn.putDeployment(d as Deployment);
        return;
      case 'ScalingPolicies':
        for (const p of rows) txn.putScalingPolicy(p as ScalingPolicy);
        return;
      case 'ScalingEvents':
        for (const e of rows) txn.putScalingEvents(e as JobScalingEvents);
        return;
      case 'AclPolicies':
        for (const p of rows) txn.putAclPolicy(p as AclPolicy);
        return;
      case 'AclTokens':
        for (const tok of rows) txn.putAclToken(tok as AclToken);
        return;
      case 'Namespaces':
        for (const n of rows) txn.putNamespace(n as Namespace);
        return;
      case 'PeriodicLaunches':
        for (const l of rows) txn.putPeriodicLaunch(l as PeriodicLaunch);
        return;
    }
  }

  finish(header: Header): Tables {
    if (header.SchedulerConfig !== null) this.txn.putSchedulerConfig(header.SchedulerConfig);
    if (typeof header.AclBootstrapIndex === 'number' && header.AclBootstrapIndex > 0) this.txn.setAclBootstrapIndex(header.AclBootstrapIndex);
    if (header.AutopilotConfig) this.txn.putAutopilotConfig(header.AutopilotConfig);
    const tables = this.txn.result(false);
    const indexes = emptyTableIndexes();
    for (const k of Object.keys(indexes) as TableName[]) {
      const v = header.TableIndexes?.[k];
      if (typeof v === 'number') indexes[k] = v;
    }
    return { ...tables, tableIndexes: indexes, latestIndex: header.LatestIndex };
  }
}

function checkHeader(value: unknown): Header {
  if (!isObject(value) || value['Format'] !== FORMAT) throw badRequest('state snapshot: not a state snapshot of this server');
  const version = value['FormatVersion'];
  if (version !== FORMAT_VERSION && version !== 1) {
    throw badRequest(`state snapshot: format version ${String(version)} is not supported (expected ${FORMAT_VERSION})`);
  }
  return value as unknown as Header;
}

export function decodeTables(bytes: Uint8Array, freeze: boolean): Tables {
  const messages: unknown[] = [];
  let header: Header | null = null;
  let loader: Loader | null = null;
  let trailer: Trailer | null = null;
  let rows = 0;
  const unpackr = new Unpackr(packOptions);
  const onMessage = (value: unknown): void => {
    if (header === null) {
      header = checkHeader(value);
      if (header.FormatVersion === 1) {
        messages.push(value);
        return;
      }
      loader = new Loader(header.LatestIndex, freeze);
      return;
    }
    if (header.FormatVersion === 1) throw badRequest('state snapshot: data after a format 1 snapshot');
    if (trailer !== null) throw badRequest('state snapshot: data after the end marker');
    if (isObject(value) && value['End'] === true) {
      trailer = value as unknown as Trailer;
      return;
    }
    if (!Array.isArray(value) || value.length !== 2 || !SECTIONS.includes(value[0] as Section)) {
      throw badRequest('state snapshot: a chunk is not a [section, rows] pair');
    }
    const chunkRows = list<unknown>(value[1], String(value[0]));
    rows += chunkRows.length;
    loader!.rows(value[0] as Section, chunkRows);
  };
  try {
    unpackr.unpackMultiple(bytes as Buffer, (value: unknown) => {
      onMessage(value);
    });
  } catch (err) {
    if (err instanceof NomadError) throw err;
    throw badRequest(`state snapshot: not valid msgpack (${(err as Error).message})`);
  }
  const h = header as Header | null;
  if (h === null) throw badRequest('state snapshot: empty');
  if (h.FormatVersion === 1) return decodeV1(messages[0], freeze);
  const t = trailer as Trailer | null;
  if (t === null) throw badRequest('state snapshot: cut off before its end marker');
  if (t.Rows !== rows) throw badRequest(`state snapshot: ${rows} rows read, the end marker says ${t.Rows}`);
  return (loader as unknown as Loader).finish(h);
}

interface EncodedStateV1 extends Header {
  JobPool: Job[];
  Jobs: number[];
  JobVersions: number[][];
  JobSummaries: JobSummary[];
  Nodes: Node[];
  Allocs: Allocation[];
  AllocJobs: number[];
  Evals: Evaluation[];
  Deployments: Deployment[];
}

function decodeV1(value: unknown, freeze: boolean): Tables {
  const state = value as EncodedStateV1;
  const loader = new Loader(state.LatestIndex, freeze);
  loader.rows('JobPool', list(state.JobPool, 'JobPool'));
  loader.rows('Jobs', list(state.Jobs, 'Jobs'));
  loader.rows('JobVersions', list(state.JobVersions, 'JobVersions'));
  loader.rows('JobSummaries', list(state.JobSummaries, 'JobSummaries'));
  loader.rows('Nodes', list(state.Nodes, 'Nodes'));
  const allocJobs = list<number>(state.AllocJobs, 'AllocJobs');
  loader.rows(
    'Allocs',
    list<Allocation>(state.Allocs, 'Allocs').map((a, i) => ({ ...a, Job: allocJobs[i] ?? -1 })),
  );
  loader.rows('Evals', list(state.Evals, 'Evals'));
  loader.rows('Deployments', list(state.Deployments, 'Deployments'));
  return loader.finish(state);
}
