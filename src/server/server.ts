// The server role: endpoints for clients and the HTTP API, and, while this server leads, the
// leader's duties: eval broker, blocked evals, scheduling workers, plan queue and applier,
// heartbeat timers, deployment watcher and garbage collection. Every write goes through the
// replicated log; a server that does not lead forwards (seam below) or answers no_leader.
import { cpus } from 'node:os';
import type { Evaluation } from '../structs/evaluation.js';
import { NomadError } from '../structs/errors.js';
import { type Clock, type Random, systemClock, systemRandom } from '../structs/clock.js';
import type { LogEntry } from '../state/log-entries.js';
import type { StateStoreView } from '../state/reader.js';
import type { AppliedFeed } from '../state/fsm.js';
import type { ApplyResult, Consensus } from './consensus.js';
import type { ServerContext } from './context.js';
import { BlockedEvals } from './blocked-evals.js';
import { EvalBroker, type EvalBrokerOptions } from './eval-broker.js';
import { newEval } from './eval-factory.js';
import { HeartbeatTimers, type HeartbeatOptions } from './heartbeat.js';
import { PlanQueue } from './plan-queue.js';
import { PlanApplier } from './plan-applier.js';
import { Worker } from './worker.js';
import { DeploymentWatcher } from './deployment-watcher.js';
import { CoreGc, type GcResult, type GcThresholds } from './core-gc.js';
import { NodeEndpoints } from './node-endpoints.js';
import { JobEndpoints } from './job-endpoints.js';
import { DeploymentEndpoints } from './deployment-endpoints.js';
import { afterApply, routeEval } from './leader-hooks.js';
import { loadNewScheduler, type NewScheduler } from './lazy-modules.js';
import { fullLogger, type Logger } from './logger.js';

export interface ServerOptions {
  region: string;
  datacenter: string;
  nodeName: string;
  store: StateStoreView;
  /** Every entry the FSM applies, on this server: the leader's bookkeeping follows it. */
  applied: AppliedFeed;
  consensus: Consensus;
  rpcAddr: string;
  /** Time and randomness; the system's unless a simulation passes its own. */
  clock?: Clock;
  random?: Random;
  /** Scheduling workers on the leader; defaults to the number of cores. */
  numSchedulers?: number;
  heartbeat?: Partial<HeartbeatOptions>;
  broker?: Partial<Omit<EvalBrokerOptions, 'onFailed'>>;
  gc?: Partial<GcThresholds> & { intervalMs?: number };
  logger?: Partial<Logger>;
  /** Replaces the scheduler module (tests, simulations). */
  newScheduler?: NewScheduler;
  /** Sends an entry to the remote leader when this server is a follower (cluster work fills it in). */
  forward?: (entry: LogEntry) => Promise<ApplyResult>;
  /** Delay before an eval that hit the delivery limit is tried again by a follow-up eval. */
  failedEvalFollowupMs?: number;
  /** Poll bound of the deployment watcher (checks deadlines at least this often). */
  deploymentPollMs?: number;
}

export interface ServerStats {
  leader: boolean;
  broker: ReturnType<EvalBroker['stats']>;
  blocked: ReturnType<BlockedEvals['stats']>;
  planQueueDepth: number;
  heartbeatTimers: number;
  workers: number;
}

export class Server {
  readonly region: string;
  readonly datacenter: string;
  readonly nodeName: string;
  readonly rpcAddr: string;
  readonly store: StateStoreView;
  readonly consensus: Consensus;
  readonly logger: Logger;

  readonly clock: Clock;
  readonly random: Random;
  readonly broker: EvalBroker;
  readonly blocked: BlockedEvals;
  readonly planQueue: PlanQueue;
  readonly heartbeats: HeartbeatTimers;
  readonly nodes: NodeEndpoints;
  readonly jobs: JobEndpoints;
  readonly deployments: DeploymentEndpoints;
  readonly gc: CoreGc;

  private readonly opts: ServerOptions;
  private readonly ctx: ServerContext;
  private readonly planApplier: PlanApplier;
  private readonly watcher: DeploymentWatcher;
  private workers: Worker[] = [];
  private leader = false;
  private started = false;
  /** Serializes leadership transitions so that establish/revoke never interleave. */
  private transition: Promise<void> = Promise.resolve();

  constructor(opts: ServerOptions) {
    this.opts = opts;
    this.region = opts.region;
    this.datacenter = opts.datacenter;
    this.nodeName = opts.nodeName;
    this.rpcAddr = opts.rpcAddr;
    this.store = opts.store;
    this.consensus = opts.consensus;
    this.logger = fullLogger(opts.logger);
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? systemRandom;
    const env = { clock: this.clock, random: this.random };
    this.planQueue = new PlanQueue(10_000, this.clock);
    this.broker = new EvalBroker({ ...opts.broker, ...env, onFailed: (ev) => void this.failEval(ev) });
    this.blocked = new BlockedEvals({
      enqueue: (ev) => this.broker.enqueue(ev),
      onDuplicate: (ev) => void this.cancelDuplicate(ev),
    });
    this.heartbeats = new HeartbeatTimers((nodeId) => {
      this.nodes.markDown(nodeId).catch((e) => this.logger.warn('marking node down failed', { node_id: nodeId, error: String(e) }));
    }, { ...opts.heartbeat, clock: this.clock });
    const self = this;
    this.ctx = {
      ...env,
      region: opts.region,
      datacenter: opts.datacenter,
      store: opts.store,
      heartbeats: this.heartbeats,
      logger: this.logger,
      write: (entry) => self.apply(entry),
      leaderRpcAddr: () => self.leaderRpcAddr(),
      serverRpcAddrs: () => self.serverRpcAddrs(),
    };
    const schedulerLoader = (): Promise<NewScheduler> => (opts.newScheduler ? Promise.resolve(opts.newScheduler) : loadNewScheduler());
    this.nodes = new NodeEndpoints(this.ctx);
    this.jobs = new JobEndpoints(this.ctx, schedulerLoader);
    this.deployments = new DeploymentEndpoints(this.ctx);
    this.planApplier = new PlanApplier({
      queue: this.planQueue,
      store: this.store,
      apply: (entry) => this.apply(entry),
      outstandingToken: (id) => this.broker.outstandingToken(id),
      logger: this.logger,
      clock: this.clock,
    });
    this.watcher = new DeploymentWatcher({ store: this.store, apply: (e) => this.apply(e), logger: this.logger, env, pollMs: opts.deploymentPollMs });
    this.gc = new CoreGc({ store: this.store, apply: (e) => this.apply(e), logger: this.logger, thresholds: opts.gc, intervalMs: opts.gc?.intervalMs, clock: this.clock });
    this.schedulerLoader = schedulerLoader;
  }

  private readonly schedulerLoader: () => Promise<NewScheduler>;
  private stopFollowing: (() => void) | null = null;

  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopFollowing = this.opts.applied.onApplied({
      applied: (index, entry) => this.followApplied(index, entry),
      // A restored state replaces everything the leader tracked: rebuild from it.
      restored: () => {
        if (this.leader) this.restoreEvals();
      },
    });
    this.consensus.onLeadershipChange((isLeader) => this.onLeadership(isLeader));
    if (this.consensus.isLeader()) this.onLeadership(true);
  }

  async shutdown(): Promise<void> {
    this.started = false;
    this.stopFollowing?.();
    this.stopFollowing = null;
    await this.nodes.flush().catch(() => {});
    this.onLeadership(false);
    await this.transition;
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** Resolves once leadership duties are running (or stopped) as last decided. */
  whenSettled(): Promise<void> {
    return this.transition;
  }

  leaderRpcAddr(): string {
    return this.consensus.leaderAddr() || (this.consensus.isLeader() ? this.rpcAddr : '');
  }

  serverRpcAddrs(): string[] {
    const peers = this.consensus.stats().configuration.map((c) => c.Address);
    return peers.length > 0 ? peers : [this.rpcAddr];
  }

  /**
   * The one way to write: through the log on the leader, then the leader's bookkeeping
   * (broker, blocked evals). Not leader: forward when a leader is known, else no_leader.
   */
  async apply(entry: LogEntry): Promise<ApplyResult> {
    if (!this.consensus.isLeader()) {
      if (this.opts.forward && this.consensus.leaderAddr()) return this.opts.forward(entry);
      throw new NomadError('no_leader', 'No cluster leader');
    }
    return this.consensus.apply(entry);
  }

  /** Every applied entry, whoever proposed it: GC's clock of indexes, and the leader's queues. */
  private followApplied(index: number, entry: LogEntry): void {
    this.gc.timeTable.witness(index, this.clock.nowMs());
    if (this.leader) afterApply(entry, index, this.store.snapshot(), this.broker, this.blocked);
  }

  /** nomad system gc: a collection pass that ignores age thresholds. */
  forceGc(): Promise<GcResult> {
    if (!this.consensus.isLeader()) return Promise.reject(new NomadError('no_leader', 'No cluster leader'));
    return this.gc.run(true);
  }

  stats(): ServerStats {
    return {
      leader: this.leader,
      broker: this.broker.stats(),
      blocked: this.blocked.stats(),
      planQueueDepth: this.planQueue.size,
      heartbeatTimers: this.heartbeats.count,
      workers: this.workers.length,
    };
  }

  private onLeadership(isLeader: boolean): void {
    this.transition = this.transition.then(async () => {
      if (isLeader && !this.leader && this.started) await this.establishLeadership();
      else if (!isLeader && this.leader) await this.revokeLeadership();
    });
    this.transition.catch((e) => this.logger.error('leadership transition failed', { error: String(e) }));
  }

  private async establishLeadership(): Promise<void> {
    this.logger.info('cluster leadership acquired');
    // Everything committed before leadership must be applied before the state is trusted.
    await this.consensus.barrier().catch(() => 0);
    this.leader = true;
    this.broker.setEnabled(true);
    this.blocked.setEnabled(true);
    this.planQueue.setEnabled(true);
    this.heartbeats.setEnabled(true);
    this.restoreEvals();
    const snap = this.store.snapshot();
    this.heartbeats.initialize(snap.nodes().filter((n) => n.Status !== 'down').map((n) => n.ID));
    this.planApplier.start();
    const n = Math.max(1, this.opts.numSchedulers ?? cpus().length);
    const deps = {
      broker: this.broker,
      planQueue: this.planQueue,
      store: this.store,
      apply: (e: LogEntry) => this.apply(e),
      newScheduler: this.schedulerLoader,
      logger: this.logger,
      env: { clock: this.clock, random: this.random },
    };
    this.workers = Array.from({ length: n }, (_, i) => new Worker(i, deps));
    for (const w of this.workers) w.start();
    this.watcher.start();
    this.gc.start();
  }

  private async revokeLeadership(): Promise<void> {
    this.logger.info('cluster leadership lost');
    this.leader = false;
    this.gc.stop();
    this.broker.setEnabled(false);
    this.blocked.setEnabled(false);
    this.planQueue.setEnabled(false);
    this.heartbeats.setEnabled(false);
    await Promise.all([...this.workers.map((w) => w.stop()), this.planApplier.stop(), this.watcher.stop()]);
    this.workers = [];
  }

  /** On gaining leadership: every non-terminal eval goes back to the broker or the blocked set. */
  private restoreEvals(): void {
    const snap = this.store.snapshot();
    for (const ev of snap.evals('*')) if (ev.Status === 'pending' || ev.Status === 'blocked') routeEval(ev, this.broker, this.blocked);
  }

  private async failEval(ev: Evaluation): Promise<void> {
    const limit = this.opts.broker?.deliveryLimit ?? 3;
    const followupMs = this.opts.failedEvalFollowupMs ?? 60_000;
    const now = this.clock.nowNs();
    const followup = newEval(this.ctx, {
      Namespace: ev.Namespace,
      JobID: ev.JobID,
      Type: ev.Type,
      Priority: ev.Priority,
      TriggeredBy: 'failed-follow-up',
      PreviousEval: ev.ID,
      JobModifyIndex: ev.JobModifyIndex,
      Wait: followupMs * 1e6,
    });
    const failed: Evaluation = { ...ev, Status: 'failed', StatusDescription: `evaluation reached delivery limit (${limit})`, NextEval: followup.ID, ModifyTime: now };
    try {
      await this.apply({ Type: 'EvalUpsert', Evals: [failed, followup] });
    } catch (e) {
      this.logger.error('writing failed evaluation failed', { eval_id: ev.ID, error: String(e) });
    }
  }

  private async cancelDuplicate(ev: Evaluation): Promise<void> {
    try {
      await this.apply({ Type: 'EvalUpsert', Evals: [{ ...ev, Status: 'canceled', StatusDescription: 'existing blocked evaluation exists for job', ModifyTime: this.clock.nowNs() }] });
    } catch (e) {
      this.logger.warn('canceling duplicate blocked evaluation failed', { eval_id: ev.ID, error: String(e) });
    }
  }
}
