// The server's gauges, published every collection interval as Nomad's leader and servers do: the
// eval broker, blocked evals, plan queue and heartbeat timers on every server (a follower's are
// all zero, its queues being off), and, on the leader only, the job summaries and job statuses.
// Reads the queues' counters and one state snapshot: nothing here waits or writes.
import { childJobLabels, type Metrics } from '../structs/metrics.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { StateReader } from '../state/reader.js';
import type { JobSummary } from '../structs/summary.js';
import type { ServerStats } from './server.js';
import { isClusterConsensus, type Consensus } from './consensus.js';
import { SCHEDULER_TYPES } from './worker.js';

export interface ServerMetricsOptions {
  /** disable_dispatched_job_summary_metrics: no summary gauges for jobs dispatched from a parameterized job. */
  disableDispatchedJobSummaryMetrics: boolean;
}

const BROKER_SCHEDULERS = [...SCHEDULER_TYPES, '_core'];

const SUMMARY_FIELDS = [
  ['queued', 'Queued'],
  ['complete', 'Complete'],
  ['failed', 'Failed'],
  ['running', 'Running'],
  ['starting', 'Starting'],
  ['lost', 'Lost'],
] as const;

/**
 * Jobs whose summary gauges are published in one turn of the event loop: a leader with thousands
 * of jobs publishes six gauges per task group each collection, tens of milliseconds in one piece,
 * which held every request arriving meanwhile (a job registration waited behind it).
 */
export const JOBS_PER_GAUGE_SLICE = 100;

/**
 * Publishes the gauges; with `pause` (a wait for the event loop's next turn), the leader's job
 * summaries go out JOBS_PER_GAUGE_SLICE jobs per turn, from the one snapshot. Without it every
 * gauge is set before this returns.
 */
export async function emitServerGauges(
  m: Metrics,
  stats: ServerStats,
  snap: StateReader,
  opts: ServerMetricsOptions,
  blocked: readonly Evaluation[] = [],
  pause?: () => Promise<void>,
): Promise<void> {
  const b = stats.broker;
  m.setGauge('nomad.broker.total_ready', b.totalReady);
  m.setGauge('nomad.broker.total_unacked', b.totalUnacked);
  // Nomad 1.1 calls the evals held behind another eval of their job "blocked"; later versions "pending".
  m.setGauge('nomad.broker.total_blocked', b.totalPending);
  m.setGauge('nomad.broker.total_pending', b.totalPending);
  m.setGauge('nomad.broker.total_waiting', b.totalWaiting);
  // Every scheduler the workers run, idle ones at zero, so their series do not come and go.
  for (const type of new Set([...BROKER_SCHEDULERS, ...Object.keys(b.byScheduler)])) {
    const s = b.byScheduler[type];
    m.setGauge(`nomad.broker.${type}.ready`, s?.ready ?? 0);
    m.setGauge(`nomad.broker.${type}.unacked`, s?.unacked ?? 0);
  }
  m.setGauge('nomad.blocked_evals.total_blocked', stats.blocked.totalBlocked);
  m.setGauge('nomad.blocked_evals.total_escaped', stats.blocked.totalEscaped);
  // Quotas are an Enterprise feature: no eval is ever blocked on one.
  m.setGauge('nomad.blocked_evals.total_quota_limit', 0);
  emitBlockedResources(m, blocked);
  m.setGauge('nomad.plan.queue_depth', stats.planQueueDepth);
  m.setGauge('nomad.heartbeat.active', stats.heartbeatTimers);
  // This agent has no Vault integration: it tracks no tokens, so none are being revoked.
  m.setGauge('nomad.vault.distributed_tokens_revoking', 0);
  m.setGauge('nomad.vault.token_ttl', 0);
  m.setGauge('state.snapshotIndex', snap.latestIndex());
  if (stats.leader) await emitJobGauges(m, snap, opts, pause);
}

/**
 * What blocked evals wait for, as Nomad sums it from each eval's failed placements: the CPU and
 * memory the exhausted nodes lacked, by job and by datacenter and node class.
 */
function emitBlockedResources(m: Metrics, blocked: readonly Evaluation[]): void {
  const byJob = new Map<string, { job: string; namespace: string; cpu: number; memory: number }>();
  const byNodes = new Map<string, { datacenter: string; node_class: string; cpu: number; memory: number }>();
  for (const ev of blocked) {
    let cpu = 0;
    let memory = 0;
    const dcs = new Set<string>();
    const classes = new Set<string>();
    for (const metric of Object.values(ev.FailedTGAllocs ?? {})) {
      for (const dc of Object.keys(metric.NodesAvailable ?? {})) dcs.add(dc);
      const exhausted = Object.keys(metric.ClassExhausted ?? {});
      if (exhausted.length === 0) classes.add('unknown');
      for (const c of exhausted) classes.add(c);
      for (const r of Object.values(metric.ResourcesExhausted ?? {})) {
        cpu += r.CPU;
        memory += r.MemoryMB;
      }
    }
    const jk = `${ev.Namespace}\u0000${ev.JobID}`;
    const j = byJob.get(jk) ?? { job: ev.JobID, namespace: ev.Namespace, cpu: 0, memory: 0 };
    j.cpu += cpu;
    j.memory += memory;
    byJob.set(jk, j);
    for (const dc of dcs) {
      for (const cls of classes) {
        const nk = `${dc}\u0000${cls}`;
        const n = byNodes.get(nk) ?? { datacenter: dc, node_class: cls, cpu: 0, memory: 0 };
        n.cpu += cpu;
        n.memory += memory;
        byNodes.set(nk, n);
      }
    }
  }
  for (const j of byJob.values()) {
    const labels = { job: j.job, namespace: j.namespace };
    m.setGauge('nomad.blocked_evals.job.cpu', j.cpu, labels);
    m.setGauge('nomad.blocked_evals.job.memory', j.memory, labels);
  }
  for (const n of byNodes.values()) {
    const labels = { datacenter: n.datacenter, node_class: n.node_class };
    m.setGauge('nomad.blocked_evals.cpu', n.cpu, labels);
    m.setGauge('nomad.blocked_evals.memory', n.memory, labels);
  }
}

/**
 * Raft's index gauges, and on a cluster's leader the time since each follower last answered
 * (raft.leader.lastContact, one sample per follower per collection, as the leader's lease check).
 */
export function emitConsensusMetrics(m: Metrics, consensus: Consensus): void {
  const s = consensus.stats();
  m.setGauge('raft.appliedIndex', s.appliedIndex);
  m.setGauge('raft.lastIndex', s.lastLogIndex);
  if (!isClusterConsensus(consensus) || s.state !== 'Leader') return;
  for (const p of consensus.peers()) if (p.lastContactMs !== null) m.addSample('raft.leader.lastContact', p.lastContactMs);
}

/** The leader's job_summary gauges per task group and job_status counts. */
async function emitJobGauges(m: Metrics, snap: StateReader, opts: ServerMetricsOptions, pause?: () => Promise<void>): Promise<void> {
  const status = { pending: 0, running: 0, dead: 0 };
  let inSlice = 0;
  for (const job of snap.jobs('*')) {
    if (pause !== undefined && ++inSlice > JOBS_PER_GAUGE_SLICE) {
      inSlice = 1;
      await pause();
    }
    if (job.Status === 'pending' || job.Status === 'running' || job.Status === 'dead') status[job.Status]++;
    if (opts.disableDispatchedJobSummaryMetrics && job.Dispatched) continue;
    const summary = snap.jobSummary(job.Namespace, job.ID);
    if (!summary) continue;
    const labelsByGroup = summaryLabels(summary);
    for (const group in summary.Summary) {
      const tg = summary.Summary[group]!;
      const labels = labelsByGroup.get(group)!;
      for (const [name, field] of SUMMARY_FIELDS) m.setGauge(`nomad.job_summary.${name}`, tg[field], labels);
    }
  }
  m.setGauge('nomad.job_status.pending', status.pending);
  m.setGauge('nomad.job_status.running', status.running);
  m.setGauge('nomad.job_status.dead', status.dead);
}

/**
 * Each task group's labels, made once per stored summary: a sink computes a series key once per
 * labels object, so the same objects every round spare thousands of keys per collection.
 */
const labelsOfSummary = new WeakMap<JobSummary, Map<string, Record<string, string>>>();

function summaryLabels(summary: JobSummary): Map<string, Record<string, string>> {
  let byGroup = labelsOfSummary.get(summary);
  if (byGroup === undefined) {
    byGroup = new Map();
    for (const group in summary.Summary) byGroup.set(group, jobSummaryLabels(summary.JobID, group, summary.Namespace));
    labelsOfSummary.set(summary, byGroup);
  }
  return byGroup;
}

/** Labels of one task group's summary; a dispatched or periodic child also names its parent. */
export function jobSummaryLabels(jobId: string, group: string, namespace: string): Record<string, string> {
  return { job: jobId, task_group: group, namespace, ...childJobLabels(jobId) };
}
