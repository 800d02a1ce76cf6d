// The allocation tables built in one pass from a whole table's rows (a snapshot restore): the
// primary map and every secondary index bottom up from sorted runs, and each job's counts
// summed once, instead of a million single-row writes that each descend six trees.
import { allocTerminal, type Allocation } from '../structs/alloc.js';
import { PMap } from './pmap.js';
import { nextLiveAllocChanges } from './reader.js';
import { nsKey, type JobCounts, type PIndex, type Tables } from './tables.js';

type AllocTableKey = 'allocs' | 'allocsByNode' | 'allocsByNodeLive' | 'allocsByJob' | 'allocsByEval' | 'allocsByDeployment';

export type AllocTables = Pick<Tables, AllocTableKey>;

/** Owner -> that owner's allocations, in ID order as they are added. */
class IndexBuilder {
  private readonly owners = new Map<string, Allocation[]>();

  add(owner: string | undefined, a: Allocation): void {
    // As the row-by-row writes: an allocation without an owner is in no entry of the index.
    if (owner === undefined || owner === '') return;
    let run = this.owners.get(owner);
    if (run === undefined) {
      run = [];
      this.owners.set(owner, run);
    }
    run.push(a);
  }

  build(): PIndex<Allocation> {
    const owners = [...this.owners.keys()].sort();
    // Each run is in the order of the rows, which sortedUnique ordered by ID.
    return PMap.fromSorted(owners.map((o) => [o, PMap.fromOrderedValues(this.owners.get(o)!, allocId)] as const));
  }
}

const allocId = (a: Allocation): string => a.ID;

/** Sorted by ID, one row per ID (the last one given wins, as writes in that order would). */
function sortedUnique(rows: readonly Allocation[]): readonly Allocation[] {
  let ordered = true;
  for (let i = 1; i < rows.length && ordered; i++) ordered = rows[i - 1]!.ID < rows[i]!.ID;
  if (ordered) return rows;
  const byId = new Map<string, Allocation>();
  for (const a of rows) byId.set(a.ID, a);
  return [...byId.values()].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
}

export interface BulkAllocs {
  tables: AllocTables;
  /** Per job key: its allocations and how many of them are live. */
  counts: Map<string, { allocs: number; liveAllocs: number }>;
  /** Nodes that hold live allocations. */
  liveNodeIds: string[];
}

/**
 * The allocation tables of `rows`, one table per step: each build over a million rows takes a
 * while, and a caller that lets the event loop run between the steps keeps a restoring server
 * answering.
 */
export function* bulkAllocTableSteps(rows: readonly Allocation[]): Generator<void, BulkAllocs> {
  const allocs = sortedUnique(rows);
  const byNode = new IndexBuilder();
  const byNodeLive = new IndexBuilder();
  const byJob = new IndexBuilder();
  const byEval = new IndexBuilder();
  const byDeployment = new IndexBuilder();
  const counts = new Map<string, { allocs: number; liveAllocs: number }>();
  const liveNodes = new Set<string>();
  for (const a of allocs) {
    const live = !allocTerminal(a);
    const jobKey = nsKey(a.Namespace, a.JobID);
    byNode.add(a.NodeID, a);
    byEval.add(a.EvalID, a);
    byDeployment.add(a.DeploymentID, a);
    byJob.add(jobKey, a);
    if (live) {
      byNodeLive.add(a.NodeID, a);
      liveNodes.add(a.NodeID);
    }
    let c = counts.get(jobKey);
    if (c === undefined) {
      c = { allocs: 0, liveAllocs: 0 };
      counts.set(jobKey, c);
    }
    c.allocs++;
    if (live) c.liveAllocs++;
  }
  yield;
  const primary = PMap.fromOrderedValues(allocs, allocId);
  yield;
  const indexes: PIndex<Allocation>[] = [];
  for (const builder of [byNode, byNodeLive, byJob, byEval, byDeployment]) {
    indexes.push(builder.build());
    yield;
  }
  const [allocsByNode, allocsByNodeLive, allocsByJob, allocsByEval, allocsByDeployment] = indexes as [PIndex<Allocation>, PIndex<Allocation>, PIndex<Allocation>, PIndex<Allocation>, PIndex<Allocation>];
  return {
    tables: { allocs: primary, allocsByNode, allocsByNodeLive, allocsByJob, allocsByEval, allocsByDeployment },
    counts,
    liveNodeIds: [...liveNodes],
  };
}

/** `tables` (which holds no allocations) with the bulk-built allocation tables and counts added. */
export function withBulkAllocs(tables: Tables, bulk: BulkAllocs): Tables {
  if (bulk.tables.allocs.size === 0) return tables;
  const jobCounts = tables.jobCounts.mutable();
  for (const [key, c] of bulk.counts) {
    const prev = jobCounts.get(key);
    const next: JobCounts = { allocs: (prev?.allocs ?? 0) + c.allocs, liveAllocs: (prev?.liveAllocs ?? 0) + c.liveAllocs, evals: prev?.evals ?? 0, liveEvals: prev?.liveEvals ?? 0 };
    jobCounts.set(key, next);
  }
  return {
    ...tables,
    ...bulk.tables,
    jobCounts: jobCounts.freeze(),
    liveAllocChanges: bulk.liveNodeIds.length > 0 ? nextLiveAllocChanges(tables.liveAllocChanges, bulk.liveNodeIds) : tables.liveAllocChanges,
  };
}
