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
// job's position in the pool, so restore rebuilds one shared object per job version. Format 3 does
// the same for an allocation's resource blocks (Resources, SharedResources, TaskResources,
// AllocatedResources), which the allocations of one plan share (see shareBlocks in
// fsm-allocs.ts): a block pool, and the block's position in the allocation. With a one-task
// group's blocks, a snapshot encodes and restores in half the time, a third smaller, and the
// restored state shares the blocks as the live one did instead of holding a copy of each per
// allocation (800 bytes of heap each). Blocks that no other allocation shares (dynamic ports)
// cost a pool entry each, about as many bytes as inline, and one entry of the encoder's map.
//
// Formats 1 (one message holding every table) and 2 (blocks inside each allocation) are still
// read, for snapshots written before.
import { Packr, Unpackr } from 'msgpackr';
import type { Allocation } from '../structs/alloc.js';
import type { Deployment } from '../structs/deployment.js';
import { badRequest } from '../structs/errors.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Job } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import type { JobSummary } from '../structs/summary.js';
import type { JobScalingEvents, ScalingPolicy } from '../structs/scaling.js';
import type { AclPolicy, AclToken } from '../structs/acl.js';
import type { Namespace } from '../structs/namespace.js';
import type { PeriodicLaunch } from '../structs/periodic.js';
import type { AutopilotConfiguration, SchedulerConfiguration, TableName } from './reader.js';
import { bulkAllocTableSteps, withBulkAllocs } from './bulk-load.js';
import { deepFreeze } from './freeze.js';
import { WriteTxn } from './store-txn.js';
import type { PMap } from './pmap.js';
import { emptyTableIndexes, emptyTables, type Tables } from './tables.js';

const FORMAT = 'nomad-ts-state';
const FORMAT_VERSION = 3;
/**
 * Rows per message: large enough that record definitions cost nothing, small enough to stay cheap
 * in memory. A message is also one step of the encode between turns of the event loop: 1,024
 * allocations are a few milliseconds of work, where 4,096 held a server for 40 ms and more (its
 * heartbeats and Raft messages waiting meanwhile).
 */
const CHUNK_ROWS = 1024;

const packOptions = { useRecords: true, mapsAsObjects: true, moreTypes: false } as const;

type Section = 'JobPool' | 'BlockPool' | 'Jobs' | 'JobVersions' | 'JobSummaries' | 'Nodes' | 'Allocs' | 'Evals' | 'Deployments' | 'ScalingPolicies' | 'ScalingEvents' | 'AclPolicies' | 'AclTokens' | 'Namespaces' | 'PeriodicLaunches';
const SECTIONS: readonly Section[] = ['JobPool', 'BlockPool', 'Jobs', 'JobVersions', 'JobSummaries', 'Nodes', 'Allocs', 'Evals', 'Deployments', 'ScalingPolicies', 'ScalingEvents', 'AclPolicies', 'AclTokens', 'Namespaces', 'PeriodicLaunches'];

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

/** The allocation fields that hold a resource block the allocations of a plan share. */
const BLOCK_FIELDS = ['Resources', 'SharedResources', 'TaskResources', 'AllocatedResources'] as const satisfies ReadonlyArray<keyof Allocation>;
type BlockField = (typeof BLOCK_FIELDS)[number];

/**
 * An allocation as stored in a snapshot: its job is a position in the job pool (-1: none), and
 * each block a position in the block pool (null stays null; format 2 holds the block itself).
 */
type EncodedAlloc = Omit<Allocation, 'Job' | BlockField> & { Job: number } & { [F in BlockField]: number | null };

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

/** Up to `size` values of `m` at a time, in key order; resumes after the last key of a batch. */
function* batches<V>(m: PMap<V>, size: number): Generator<V[]> {
  let from = '';
  let resumed = false;
  for (;;) {
    const batch: V[] = [];
    let last = from;
    m.forEachFrom(from, (k, v) => {
      if (resumed && k === from) return true;
      batch.push(v);
      last = k;
      return batch.length < size;
    });
    if (batch.length > 0) yield batch;
    if (batch.length < size) return;
    from = last;
    resumed = true;
  }
}

/** Distinct objects by identity, each at its position in the order first met; the new ones wait to be written. */
class Pool<T extends object> {
  private readonly positions = new Map<T, number>();
  private fresh: T[] = [];

  position(value: T): number {
    let at = this.positions.get(value);
    if (at === undefined) {
      at = this.positions.size;
      this.positions.set(value, at);
      this.fresh.push(value);
    }
    return at;
  }

  /** The objects met since the last call. */
  takeFresh(): T[] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }
}

/**
 * The snapshot's messages one at a time (header, chunks, trailer): a caller that writes each
 * before asking for the next lets the event loop run between chunks, so a server with a million
 * allocations keeps answering while it snapshots (the tables are immutable: writes go on meanwhile).
 */
export function* encodeTableChunks(t: Tables): Generator<Uint8Array> {
  const packr = new Packr(packOptions);
  // msgpackr reuses its buffer for later messages: each message leaves as its own copy.
  const message = (value: unknown): Uint8Array => new Uint8Array(packr.pack(value));
  let rows = 0;
  yield message({
    Format: FORMAT,
    FormatVersion: FORMAT_VERSION,
    LatestIndex: t.latestIndex,
    TableIndexes: { ...t.tableIndexes },
    SchedulerConfig: t.schedulerConfig,
    AclBootstrapIndex: t.aclBootstrapIndex,
    AutopilotConfig: t.autopilotConfig,
  } satisfies Header);

  const jobs = new Pool<Job>();
  const ref = (job: Job | null): number => (job === null ? -1 : jobs.position(job));
  // Blocks by identity: those a plan's allocations share are one object in the live state.
  const blocks = new Pool<object>();
  const blockRef = (block: object | null): number | null => (block === null || block === undefined ? null : blocks.position(block));
  const encodeAlloc = (a: Allocation): EncodedAlloc => ({
    ...a,
    Job: ref(a.Job),
    Resources: blockRef(a.Resources),
    SharedResources: blockRef(a.SharedResources),
    TaskResources: blockRef(a.TaskResources),
    AllocatedResources: blockRef(a.AllocatedResources),
  });
  function* chunk(section: Section, sectionRows: unknown[]): Generator<Uint8Array> {
    if (sectionRows.length === 0) return;
    rows += sectionRows.length;
    yield message([section, sectionRows] satisfies Chunk);
  }
  // Jobs and blocks found while collecting a chunk go out just before it, so a decoder always knows them.
  function* pool(): Generator<Uint8Array> {
    for (const [section, fresh] of [['JobPool', jobs.takeFresh()], ['BlockPool', blocks.takeFresh()]] as const) {
      for (let i = 0; i < fresh.length; i += CHUNK_ROWS) yield* chunk(section, fresh.slice(i, i + CHUNK_ROWS));
    }
  }
  function* table<V>(section: Section, m: PMap<V>, row: (v: V) => unknown = (v) => v): Generator<Uint8Array> {
    for (const batch of batches(m, CHUNK_ROWS)) {
      const out = batch.map(row);
      yield* pool();
      yield* chunk(section, out);
    }
  }

  yield* table('Jobs', t.jobs, (j) => ref(j));
  yield* table('JobVersions', t.jobVersions, (vs) => vs.map(ref));
  yield* table('JobSummaries', t.jobSummaries);
  yield* table('Nodes', t.nodes);
  yield* table('Allocs', t.allocs, encodeAlloc);
  yield* table('Evals', t.evals);
  yield* table('Deployments', t.deployments);
  yield* table('ScalingPolicies', t.scalingPolicies);
  yield* table('ScalingEvents', t.scalingEvents);
  yield* table('AclPolicies', t.aclPolicies);
  yield* table('AclTokens', t.aclTokens);
  yield* table('Namespaces', t.namespaces);
  yield* table('PeriodicLaunches', t.periodicLaunches);
  yield message({ End: true, Rows: rows } satisfies Trailer);
}

/** The whole snapshot as one buffer. */
export function encodeTables(t: Tables): Uint8Array {
  const parts = [...encodeTableChunks(t)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
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
  private readonly blocks: object[] = [];
  /** Every decoded row has its own copy of each string: keep one per value instead. */
  private readonly strings = new Map<string, string>();

  private intern(value: string): string {
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    this.strings.set(value, value);
    return value;
  }

  /** Allocations are loaded in bulk at the end (see bulk-load.ts), not row by row. */
  private readonly allocs: Allocation[] = [];

  constructor(
    latestIndex: number,
    private readonly freeze: boolean,
  ) {
    this.txn = new WriteTxn(emptyTables(), Math.max(1, latestIndex), freeze);
  }

  job(at: unknown, field: string): Job {
    const j = typeof at === 'number' ? this.pool[at] : undefined;
    if (j === undefined) throw badRequest(`state snapshot: ${field} refers to job ${String(at)}, beyond the ${this.pool.length} stored`, field);
    return j;
  }

  private block(at: number, field: string): object {
    const b = this.blocks[at];
    if (b === undefined) throw badRequest(`state snapshot: ${field} refers to block ${at}, beyond the ${this.blocks.length} stored`, field);
    return b;
  }

  rows(section: Section, rows: unknown[]): void {
    const { txn } = this;
    switch (section) {
      case 'JobPool':
        for (const j of rows) this.pool.push(j as Job);
        return;
      case 'BlockPool':
        // Frozen, when freezing, with the first allocation that holds it (deepFreeze below).
        for (const b of rows) {
          if (!isObject(b)) throw badRequest('state snapshot: a block of BlockPool is not an object', 'BlockPool');
          this.blocks.push(b);
        }
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
          for (const f of BLOCK_FIELDS) {
            const v: unknown = a[f];
            if (typeof v === 'number') (a as unknown as Record<string, unknown>)[f] = this.block(v, `Allocs.${f}`);
          }
          for (const f of INTERNED_ALLOC_FIELDS) {
            const v = a[f];
            if (typeof v === 'string') (a as unknown as Record<string, string>)[f] = this.intern(v);
          }
          this.allocs.push(this.freeze ? deepFreeze(a) : a);
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

  /** The loaded tables; a step per allocation table built (see bulkAllocTableSteps). */
  *finish(header: Header): Generator<void, Tables> {
    if (header.SchedulerConfig !== null) this.txn.putSchedulerConfig(header.SchedulerConfig);
    if (typeof header.AclBootstrapIndex === 'number' && header.AclBootstrapIndex > 0) this.txn.setAclBootstrapIndex(header.AclBootstrapIndex);
    if (header.AutopilotConfig) this.txn.putAutopilotConfig(header.AutopilotConfig);
    const others = this.txn.result(false);
    const bulk = yield* bulkAllocTableSteps(this.allocs);
    const tables = withBulkAllocs(others, bulk);
    this.allocs.length = 0;
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
  if (version !== FORMAT_VERSION && version !== 2 && version !== 1) {
    throw badRequest(`state snapshot: format version ${String(version)} is not supported (expected ${FORMAT_VERSION})`);
  }
  return value as unknown as Header;
}

/** Decodes a whole snapshot at once (checks, and restores where nothing else waits). */
export function decodeTables(bytes: Uint8Array, freeze: boolean): Tables {
  return runSteps(decodeTableSteps(bytes, freeze));
}

/** Runs steps to the end without pausing. */
function runSteps<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Decodes a snapshot, awaiting `pause()` between steps (a chunk of rows, an allocation table
 * built) so that the event loop runs: a server installing a snapshot of a million allocations
 * keeps its Raft heartbeats and RPC answered meanwhile. Nothing is replaced until the end.
 */
export async function decodeTablesPausing(bytes: Uint8Array, freeze: boolean, pause: () => Promise<void>): Promise<Tables> {
  const steps = decodeTableSteps(bytes, freeze);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await pause();
  }
}

/** One msgpack message at `offset`, and where the next one starts. */
function readMessage(unpackr: Unpackr, bytes: Uint8Array, offset: number): { value: unknown; next: number } {
  let value: unknown;
  let end = -1;
  try {
    unpackr.unpackMultiple(bytes.subarray(offset) as Buffer, (v: unknown, _start?: number, stop?: number) => {
      value = v;
      end = stop ?? -1;
      return false;
    });
  } catch (err) {
    throw badRequest(`state snapshot: not valid msgpack at byte ${offset} (${(err as Error).message})`);
  }
  if (end <= 0) throw badRequest(`state snapshot: not valid msgpack at byte ${offset}`);
  return { value, next: offset + end };
}

/** The decode as a step per message (a chunk of at most CHUNK_ROWS rows) and per table built at the end. */
function* decodeTableSteps(bytes: Uint8Array, freeze: boolean): Generator<void, Tables> {
  const unpackr = new Unpackr(packOptions);
  if (bytes.length === 0) throw badRequest('state snapshot: empty');
  const first = readMessage(unpackr, bytes, 0);
  const header = checkHeader(first.value);
  if (header.FormatVersion === 1) {
    if (first.next < bytes.length) throw badRequest('state snapshot: data after a format 1 snapshot');
    return decodeV1(first.value, freeze);
  }
  const loader = new Loader(header.LatestIndex, freeze);
  let trailer: Trailer | null = null;
  let rows = 0;
  for (let offset = first.next; offset < bytes.length; ) {
    const { value, next } = readMessage(unpackr, bytes, offset);
    offset = next;
    if (trailer !== null) throw badRequest('state snapshot: data after the end marker');
    if (isObject(value) && value['End'] === true) {
      trailer = value as unknown as Trailer;
      continue;
    }
    if (!Array.isArray(value) || value.length !== 2 || !SECTIONS.includes(value[0] as Section)) {
      throw badRequest('state snapshot: a chunk is not a [section, rows] pair');
    }
    const chunkRows = list<unknown>(value[1], String(value[0]));
    rows += chunkRows.length;
    loader.rows(value[0] as Section, chunkRows);
    yield;
  }
  const t = trailer as Trailer | null;
  if (t === null) throw badRequest('state snapshot: cut off before its end marker');
  if (t.Rows !== rows) throw badRequest(`state snapshot: ${rows} rows read, the end marker says ${t.Rows}`);
  return yield* loader.finish(header);
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
  return runSteps(loader.finish(state));
}
