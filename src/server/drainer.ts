// The node drainer (a leader duty, started and stopped with leadership like the deployment
// watcher, and driven by the replicated state alone). For every node with a drain strategy it
// marks allocations for migration (DesiredTransition.Migrate, with an evaluation for their job)
// and the schedulers do the rest: replace them elsewhere and stop them here.
//
// - Service groups migrate as their `migrate` block allows: no more than max_parallel at a
//   time, counting a replacement only once it is healthy (as the client reports it after
//   min_healthy_time, within healthy_deadline).
// - Batch allocations are left to finish; at the deadline they are migrated like the rest.
// - System allocations go last, once nothing else is left on the node (or stay, with
//   -ignore-system); they are stopped, not replaced elsewhere.
// - At the deadline (at once with -force) everything left is marked.
// - A node with nothing left to stop has its drain completed: the strategy is removed, the node
//   stays ineligible, and its events read "Node drain complete".
import type { Allocation, DesiredTransition } from '../structs/alloc.js';
import { allocTerminal, clientTerminal } from '../structs/alloc.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Job, MigrateStrategy } from '../structs/job.js';
import { defaultMigrateStrategy } from '../structs/defaults.js';
import type { Node, NodeEvent } from '../structs/node.js';
import { rfc3339Nano } from '../structs/time.js';
import { parseRfc3339Ns } from '../state/time-util.js';
import type { LogEntry } from '../state/log-entries.js';
import type { StateReader, StateStoreView, TableName } from '../state/reader.js';
import type { ApplyResult } from './consensus.js';
import { jobEval, jobKey, type ServerEnv } from './eval-factory.js';
import type { Logger } from './logger.js';

/** Allocations marked in one log entry at most; the rest go in the next pass. */
const MAX_MARKS_PER_ENTRY = 1_000;

export interface DrainPlan {
  /** Allocations to mark for migration now. */
  migrate: Allocation[];
  /** Draining nodes with nothing left to stop: their drains are complete. */
  complete: string[];
  /** The earliest deadline still ahead (ms since the epoch), or null. */
  nextDeadlineMs: number | null;
  /** Whether any node is draining: when none is, only node changes can start work. */
  active: boolean;
}

function isSystem(job: Pick<Job, 'Type'> | null): boolean {
  return job?.Type === 'system' || job?.Type === 'sysbatch';
}

function jobOf(snap: StateReader, a: Allocation): Job | null {
  return snap.jobByID(a.Namespace, a.JobID) ?? a.Job ?? null;
}

/** The deadline of a drain in ms since the epoch: -Infinity when forced, Infinity when it has none. */
export function drainDeadlineMs(n: Node): number {
  const s = n.DrainStrategy;
  if (!s) return Infinity;
  if (s.Deadline < 0) return -Infinity;
  if (s.Deadline === 0) return Infinity;
  const ns = parseRfc3339Ns(s.ForceDeadline);
  return ns === null ? Infinity : Number(ns / 1_000_000n);
}

/** What to do now about every draining node; pure, so that it can be tested on any state and time. */
export function planDrains(snap: StateReader, nowMs: number): DrainPlan {
  const draining = snap.nodes().filter((n) => n.DrainStrategy !== null);
  const drainingIds = new Set(draining.map((n) => n.ID));
  const plan: DrainPlan = { migrate: [], complete: [], nextDeadlineMs: null, active: draining.length > 0 };
  const marked = new Set<string>();
  const mark = (a: Allocation): void => {
    if (marked.has(a.ID) || a.DesiredTransition?.Migrate === true) return;
    marked.add(a.ID);
    plan.migrate.push(a);
  };
  const groups = new Map<string, { ns: string; jobId: string; group: string }>();

  for (const node of draining) {
    const ignoreSystem = node.DrainStrategy!.IgnoreSystemJobs;
    const onNode = snap.allocsByNode(node.ID);
    // What must still end before the drain is done: every allocation the client still runs.
    const remaining = onNode.filter((a) => !clientTerminal(a.ClientStatus) && !(ignoreSystem && isSystem(jobOf(snap, a))));
    if (remaining.length === 0) {
      plan.complete.push(node.ID);
      continue;
    }
    const live = onNode.filter((a) => !allocTerminal(a));
    const deadline = drainDeadlineMs(node);
    if (deadline <= nowMs) {
      for (const a of live) if (!(ignoreSystem && isSystem(jobOf(snap, a)))) mark(a);
      continue;
    }
    if (deadline !== Infinity && (plan.nextDeadlineMs === null || deadline < plan.nextDeadlineMs)) plan.nextDeadlineMs = deadline;
    let othersLeft = false;
    for (const a of live) {
      const job = jobOf(snap, a);
      if (isSystem(job)) continue;
      othersLeft = true;
      // Batch work is left to finish until the deadline.
      if (job?.Type === 'service') groups.set(`${jobKey(a.Namespace, a.JobID)}\u0000${a.TaskGroup}`, { ns: a.Namespace, jobId: a.JobID, group: a.TaskGroup });
    }
    // System allocations go last, once every other allocation has left the node.
    const othersRunning = remaining.some((a) => !isSystem(jobOf(snap, a)));
    if (!othersLeft && !othersRunning && !ignoreSystem) for (const a of live) mark(a);
  }

  for (const { ns, jobId, group } of groups.values()) {
    const job = snap.jobByID(ns, jobId);
    const tg = job?.TaskGroups.find((g) => g.Name === group);
    if (!job || !tg) {
      // The job is gone: nothing will replace these; mark them so that they are stopped.
      for (const a of snap.allocsByJob(ns, jobId, true)) if (a.TaskGroup === group && drainingIds.has(a.NodeID) && !allocTerminal(a)) mark(a);
      continue;
    }
    const migrate: MigrateStrategy = tg.Migrate ?? defaultMigrateStrategy();
    let healthy = 0;
    const drainable: Allocation[] = [];
    for (const a of snap.allocsByJob(ns, jobId, false)) {
      if (a.TaskGroup !== group || allocTerminal(a)) continue;
      const migrating = a.DesiredTransition?.Migrate === true || marked.has(a.ID);
      if (!migrating && a.DeploymentStatus?.Healthy === true) healthy++;
      if (drainingIds.has(a.NodeID) && !migrating) drainable.push(a);
    }
    // Keep at least count - max_parallel healthy allocations while migrating.
    const n = Math.min(drainable.length, healthy - (tg.Count - Math.max(1, migrate.MaxParallel)));
    for (const a of drainable.slice(0, Math.max(0, n))) mark(a);
  }
  return plan;
}

export interface DrainerDeps {
  store: StateStoreView;
  apply: (entry: LogEntry) => Promise<ApplyResult>;
  logger: Logger;
  env: ServerEnv;
  /** Upper bound on one wait for state changes. */
  pollMs?: number;
}

export class NodeDrainer {
  private running = false;
  /** Set by stop(): a pass under way writes nothing more (leadership is being given up). */
  private stopRequested = false;
  private loop: Promise<void> | null = null;
  private abort: AbortController | null = null;

  constructor(private readonly deps: DrainerDeps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopRequested = false;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopRequested = true;
    this.abort?.abort();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    const { store, env } = this.deps;
    while (this.running) {
      const snap = store.snapshot();
      let plan: { nextDeadlineMs: number | null; active: boolean } = { nextDeadlineMs: null, active: true };
      try {
        plan = await this.pass(snap);
      } catch (e) {
        this.deps.logger.warn('node drainer pass failed', { error: e instanceof Error ? e.message : String(e) });
      }
      if (!this.running) break;
      const untilDeadline = plan.nextDeadlineMs === null ? Infinity : Math.max(1, plan.nextDeadlineMs - env.clock.nowMs());
      const waitMs = Math.min(untilDeadline, this.deps.pollMs ?? 5_000);
      // Without a drain, allocation changes (thousands a second in a busy cluster) cannot matter.
      const tables: TableName[] = plan.active ? ['nodes', 'allocs'] : ['nodes'];
      await this.waitForChange(tables, Math.max(...tables.map((t) => snap.tableIndex(t))), waitMs);
    }
  }

  /** Waits for a change of nodes or allocations, the deadline, or stop, on the server's clock. */
  private waitForChange(tables: TableName[], seen: number, waitMs: number): Promise<void> {
    const { store, env } = this.deps;
    const local = new AbortController();
    const onStop = (): void => local.abort();
    this.abort!.signal.addEventListener('abort', onStop, { once: true });
    const timer = env.clock.setTimeout(() => local.abort(), waitMs);
    return store
      .waitForChange(tables, seen, waitMs + 1_000, local.signal)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        env.clock.clearTimeout(timer);
        this.abort!.signal.removeEventListener('abort', onStop);
      });
  }

  /** One pass: marks what may migrate now, completes finished drains; returns the next deadline and whether any drain is on. */
  async pass(snap: StateReader): Promise<{ nextDeadlineMs: number | null; active: boolean }> {
    const plan = planDrains(snap, this.deps.env.clock.nowMs());
    for (let i = 0; i < plan.migrate.length && !this.stopRequested; i += MAX_MARKS_PER_ENTRY) {
      await this.markForMigration(snap, plan.migrate.slice(i, i + MAX_MARKS_PER_ENTRY));
    }
    for (const nodeId of plan.complete) {
      if (this.stopRequested) break;
      await this.complete(nodeId);
    }
    return { nextDeadlineMs: plan.nextDeadlineMs, active: plan.active };
  }

  private async markForMigration(snap: StateReader, allocs: Allocation[]): Promise<void> {
    const transitions: Record<string, DesiredTransition> = {};
    const evals = new Map<string, Evaluation>();
    for (const a of allocs) {
      transitions[a.ID] = { Migrate: true, Reschedule: null, ForceReschedule: null };
      const job = jobOf(snap, a);
      const key = jobKey(a.Namespace, a.JobID);
      if (job && !evals.has(key)) evals.set(key, jobEval(this.deps.env, job, 'node-drain', { NodeID: a.NodeID, JobModifyIndex: job.JobModifyIndex }));
    }
    const res = await this.deps.apply({ Type: 'AllocDesiredTransition', Transitions: transitions, Evals: [...evals.values()] });
    if (res.result instanceof Error) throw res.result;
    this.deps.logger.debug('node drainer marked allocations for migration', { allocs: allocs.length, evals: evals.size });
  }

  private async complete(nodeId: string): Promise<void> {
    const nowNs = this.deps.env.clock.nowNs();
    const event: NodeEvent = { Message: 'Node drain complete', Subsystem: 'Drain', Details: null, Timestamp: rfc3339Nano(nowNs), CreateIndex: 0 };
    const res = await this.deps.apply({ Type: 'NodeUpdateDrain', NodeID: nodeId, DrainStrategy: null, MarkEligible: false, Event: event, TimestampNs: nowNs, Complete: true });
    if (res.result instanceof Error) throw res.result;
    this.deps.logger.info('node drain complete', { node_id: nodeId });
  }
}
