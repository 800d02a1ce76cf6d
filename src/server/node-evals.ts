// Evaluations for the jobs a node change concerns: every job with allocations on the node, and
// every system/sysbatch job (which may now want to run there or stop running there).
import type { Evaluation } from '../structs/evaluation.js';
import type { Job } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import type { StateReader } from '../state/reader.js';
import { jobKey, newEval, type ServerEnv } from './eval-factory.js';

/** System jobs change rarely: cache the list per jobs-table index instead of scanning each time. */
export class SystemJobsCache {
  private index = -1;
  private cached: Job[] = [];

  get(snap: StateReader): Job[] {
    const idx = snap.tableIndex('jobs');
    if (idx !== this.index) {
      this.cached = snap.jobs('*').filter((j) => (j.Type === 'system' || j.Type === 'sysbatch') && !j.Stop);
      this.index = idx;
    }
    return this.cached;
  }
}

export function nodeEvals(env: ServerEnv, snap: StateReader, node: Pick<Node, 'ID' | 'ModifyIndex'>, systemJobs: Job[], triggeredBy = 'node-update'): Evaluation[] {
  const seen = new Set<string>();
  const out: Evaluation[] = [];
  const add = (job: Pick<Job, 'Namespace' | 'ID' | 'Type' | 'Priority' | 'JobModifyIndex'>): void => {
    const key = jobKey(job.Namespace, job.ID);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(
      newEval(env, {
        Namespace: job.Namespace,
        JobID: job.ID,
        Type: job.Type,
        Priority: job.Priority,
        TriggeredBy: triggeredBy,
        NodeID: node.ID,
        NodeModifyIndex: node.ModifyIndex,
        JobModifyIndex: job.JobModifyIndex,
      }),
    );
  };
  for (const a of snap.allocsByNode(node.ID)) {
    const job = snap.jobByID(a.Namespace, a.JobID) ?? a.Job;
    if (job) add(job);
  }
  for (const j of systemJobs) add(j);
  return out;
}
