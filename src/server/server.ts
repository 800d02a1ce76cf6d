// The server role: endpoints for clients and the HTTP API, and, while this server leads, the
// leader's duties: eval broker, blocked evals, scheduling workers, plan queue and applier,
// heartbeat timers, deployment watcher and garbage collection. Every write goes through the
// replicated log, and every endpoint call that writes runs on the leader: a server that does not
// lead forwards it (forwarding.ts), waiting a bounded time for a leader when none is known.
import { ACL_RESOLVE_TOKEN_METHOD, AclResolveSource } from './acl-resolve-endpoints.js';
import { cpus } from 'node:os';
import type { Evaluation } from '../structs/evaluation.js';
import { NomadError } from '../structs/errors.js';
import { type Clock, type Random, systemClock, systemRandom } from '../structs/clock.js';
import { noMetrics, type Metrics } from '../structs/metrics.js';
import type { LogEntry } from '../state/log-entries.js';
import type { StateStoreView } from '../state/reader.js';
import type { AppliedFeed, EventFeed } from '../state/fsm.js';
import { EventBroker } from './event-broker.js';
import type { ApplyResult, Consensus } from './consensus.js';
import type { ServerContext } from './context.js';
import { BlockedEvals } from './blocked-evals.js';
import { EvalBroker, type EvalBrokerOptions } from './eval-broker.js';
import { newEval } from './eval-factory.js';
import { HeartbeatTimers, type HeartbeatOptions } from './heartbeat.js';
import { PlanQueue } from './plan-queue.js';
import { PlanApplier } from './plan-applier.js';
import { SCHEDULER_TYPES, Worker } from './worker.js';
import { DeploymentWatcher } from './deployment-watcher.js';
import { NodeDrainer } from './drainer.js';
import { PeriodicDispatcher } from './periodic-dispatcher.js';
import { CoreGc, type GcResult, type GcThresholds } from './core-gc.js';
import { NodeEndpoints } from './node-endpoints.js';
import { NodeRpc } from './node-rpc.js';
import type { RpcRequestContext } from '../rpc/types.js';
import { JobEndpoints } from './job-endpoints.js';
import { DeploymentEndpoints } from './deployment-endpoints.js';
import { AclEndpoints } from './acl-endpoints.js';
import { NamespaceEndpoints } from './namespace-endpoints.js';
import { afterApply } from './leader-hooks.js';
import { TokenResolver } from '../acl/resolver.js';
import { authorizeForwarded } from './forward-acl.js';
import { DEFAULT_HOLD_TIMEOUT_MS, FORWARD_METHOD, LeaderForwarder, type PeerRpc } from './forwarding.js';
import type { OperatorHealthReply } from '../structs/operator.js';
import { Autopilot, singleServerHealth } from './autopilot.js';
import { NOMAD_VERSION } from '../version.js';
import { ExpectBootstrap, STATUS_PEERS_METHOD, type StatusPeersReply } from './expect-bootstrap.js';
import type { ServerMembership } from './server-members.js';
import { isClusterConsensus } from './consensus.js';
import { OperatorEndpoints } from './operator-endpoints.js';
import { RegionForwarder, type RegionRpc } from './region-forwarder.js';
import { RegionReplicator, type RegionReplicatorOptions } from './region-replicator.js';
import { NAMESPACE_GET_METHOD, NAMESPACE_LIST_METHOD, NAMESPACE_LIVE_JOBS_METHOD, NamespaceReplicationSource, type NamespacesWithLiveJobsReply } from './namespace-replication-endpoints.js';
import {
  ACL_GET_POLICIES_METHOD,
  ACL_GET_TOKENS_METHOD,
  ACL_LIST_POLICIES_METHOD,
  ACL_LIST_TOKENS_METHOD,
  AclReplicationSource,
} from './acl-replication-endpoints.js';
import { loadNewScheduler, type NewScheduler } from './lazy-modules.js';
import { fullLogger, type Logger } from './logger.js';
import { ACL_ENDPOINT_METRICS, DEPLOYMENT_ENDPOINT_METRICS, JOB_ENDPOINT_METRICS, meterEndpoint, NAMESPACE_ENDPOINT_METRICS, NODE_ENDPOINT_METRICS, OPERATOR_ENDPOINT_METRICS } from './rpc-metrics.js';
import { emitConsensusMetrics, emitServerGauges } from './server-metrics.js';

export interface ServerOptions {
  region: string;
  datacenter: string;
  nodeName: string;
  store: StateStoreView;
  /** Every entry the FSM applies, on this server: the leader's bookkeeping follows it. */
  applied: AppliedFeed;
  /** The events of applied entries, and how many batches of them to keep (the event stream); absent: no event stream. */
  events?: { feed: EventFeed; bufferSize: number };
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
  /**
   * Calls to other servers (forwarding to the leader; with streams, requests for other regions);
   * absent in dev mode, which has no peers.
   */
  peers?: PeerRpc | RegionRpc;
  /** How long a call waits for a leader to be elected before "No cluster leader". */
  holdTimeoutMs?: number;
  /** A server of a Raft cluster: the gossip pool's servers, and bootstrap_expect (0: none). */
  cluster?: { membership: ServerMembership; bootstrapExpect: number; autopilotIntervalMs?: number };
  /** Delay before an eval that hit the delivery limit is tried again by a follow-up eval. */
  failedEvalFollowupMs?: number;
  /** Poll bound of the deployment watcher (checks deadlines at least this often). */
  deploymentPollMs?: number;
  /** The ACL bootstrap reset file (in the server's data dir); none in dev mode. */
  aclBootstrapResetPath?: string | null;
  /**
   * Replication across regions: the region where namespaces and global ACLs are written (Nomad's
   * authoritative_region; this region when empty), and the token this region's leader copies
   * them with when it is another region (acl.replication_token).
   */
  replication?: { authoritativeRegion: string; replicationToken: string; timing?: Pick<RegionReplicatorOptions, 'backoff' | 'maxQueryTimeMs'> };
  /** Where endpoint, worker, plan and leader timings go; the gauges are published by emitMetrics(). */
  metrics?: Metrics;
  /** telemetry.disable_dispatched_job_summary_metrics. */
  disableDispatchedJobSummaryMetrics?: boolean;
  /** acl.enabled: tokens are resolved (Server.acl) and calls forwarded here are checked again. */
  aclEnabled?: boolean;
}

/** What a server-to-server call carries besides its arguments (the RPC listener's request context). */
export interface PeerCallContext {
  signal?: AbortSignal;
  /** The caller's remaining time when the call arrived; null or absent when it set none. */
  deadlineMs?: number | null;
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
  readonly metrics: Metrics;

  readonly clock: Clock;
  readonly random: Random;
  readonly broker: EvalBroker;
  readonly blocked: BlockedEvals;
  readonly planQueue: PlanQueue;
  readonly heartbeats: HeartbeatTimers;
  readonly nodes: NodeEndpoints;
  readonly jobs: JobEndpoints;
  readonly deployments: DeploymentEndpoints;
  readonly acl: AclEndpoints;
  readonly namespaces: NamespaceEndpoints;
  readonly operator: OperatorEndpoints;
  readonly forwarder: LeaderForwarder;
  /** Requests for other regions: which regions exist, and a live server of each. */
  readonly regions: RegionForwarder;
  /** Where global ACL tokens and policies are written (this region unless configured). */
  readonly authoritativeRegion: string;
  /** Token resolution with its cache, when ACLs are on: the HTTP API and forwarded calls share it. */
  readonly tokens: TokenResolver | null;
  readonly gc: CoreGc;
  readonly periodic: PeriodicDispatcher;
  /** The event stream's buffer (null when the event broker is disabled). */
  readonly events: EventBroker | null;

  private readonly opts: ServerOptions;
  private readonly ctx: ServerContext;
  private readonly planApplier: PlanApplier;
  private readonly watcher: DeploymentWatcher;
  private readonly drainer: NodeDrainer;
  private readonly aclSource: AclReplicationSource;
  private readonly aclResolve: AclResolveSource;
  /** Copies global ACLs from the authoritative region while this server leads another region. */
  /** Copies namespaces (and with ACLs, policies and global tokens) from the authoritative region. */
  private readonly replicator: RegionReplicator | null;
  private readonly namespaceSource: NamespaceReplicationSource;
  private workers: Worker[] = [];
  private leader = false;
  /** When this server last took up the leader's duties (wall clock). */
  private leaderSinceMs = 0;
  /** Calls waiting for this server's leader duties to be up (see leaderReady). */
  private readyWaiters: Array<(ready: boolean) => void> = [];
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
    const metrics = (this.metrics = opts.metrics ?? noMetrics);
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? systemRandom;
    this.events = opts.events ? new EventBroker(opts.events.bufferSize) : null;
    const env = { clock: this.clock, random: this.random };
    this.planQueue = new PlanQueue(10_000, this.clock);
    this.broker = new EvalBroker({ ...opts.broker, ...env, onFailed: (ev) => void this.failEval(ev) });
    this.blocked = new BlockedEvals({
      enqueue: (ev) => this.broker.enqueue(ev),
      onDuplicate: (ev) => void this.cancelDuplicate(ev),
    });
    this.heartbeats = new HeartbeatTimers((nodeId) => {
      const start = metrics.now();
      this.nodes
        .markDown(nodeId)
        .then(() => metrics.measureSince('nomad.heartbeat.invalidate', start))
        .catch((e) => this.logger.warn('marking node down failed', { node_id: nodeId, error: String(e) }));
    }, { random: () => this.random.float(), ...opts.heartbeat, clock: this.clock });
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
    const tokens = opts.aclEnabled ? this.tokenResolver() : null;
    this.tokens = tokens;
    this.forwarder = new LeaderForwarder({
      consensus: opts.consensus,
      clock: this.clock,
      logger: this.logger,
      leaderReady: (d) => this.leaderReady(d),
      ...(opts.peers ? { peers: opts.peers } : {}),
      ...(opts.holdTimeoutMs !== undefined ? { holdTimeoutMs: opts.holdTimeoutMs } : {}),
      ...(tokens ? { authorize: (endpoint: string, method: string, args: unknown[], secret: string) => authorizeForwarded(tokens, this.store.snapshot(), endpoint, method, args, secret) } : {}),
    });
    const fw = this.forwarder;
    this.periodic = new PeriodicDispatcher({ store: this.store, apply: (e) => this.apply(e), logger: this.logger, env });
    const nodes = fw.proxy('Node', new NodeEndpoints(this.ctx), ['nodeRegister', 'nodeUpdateStatus', 'nodeUpdateFingerprint', 'nodeUpdateAllocs', 'updateEligibility', 'updateDrain', 'deregister']);
    this.nodes = meterEndpoint(nodes, NODE_ENDPOINT_METRICS, metrics);
    const jobs = fw.proxy('Job', new JobEndpoints(this.ctx, schedulerLoader, this.periodic), ['register', 'deregister', 'plan', 'evaluate', 'scale', 'setStability', 'revert', 'periodicForce', 'dispatch']);
    this.jobs = meterEndpoint(jobs, JOB_ENDPOINT_METRICS, metrics);
    const deployments = fw.proxy('Deployment', new DeploymentEndpoints(this.ctx), ['promote', 'fail', 'pause', 'setAllocHealth', 'stopAlloc']);
    this.deployments = meterEndpoint(deployments, DEPLOYMENT_ENDPOINT_METRICS, metrics);
    const aclEndpoints = fw.proxy('Acl', new AclEndpoints(this.ctx, { bootstrapResetPath: opts.aclBootstrapResetPath ?? null }), ['bootstrap', 'upsertPolicy', 'deletePolicy', 'upsertToken', 'deleteToken']);
    this.acl = meterEndpoint(aclEndpoints, ACL_ENDPOINT_METRICS, metrics);
    const namespaceEndpoints = new NamespaceEndpoints(this.ctx, { regionsWithLiveJobs: (names, token) => this.regionsWithLiveJobs(names, token) });
    const namespaces = fw.proxy('Namespace', namespaceEndpoints, ['upsert', 'delete']);
    this.namespaces = meterEndpoint(namespaces, NAMESPACE_ENDPOINT_METRICS, metrics);
    this.planApplier = new PlanApplier({
      queue: this.planQueue,
      store: this.store,
      apply: (entry) => this.apply(entry),
      outstandingToken: (id) => this.broker.outstandingToken(id),
      logger: this.logger,
      clock: this.clock,
      metrics,
    });
    this.watcher = new DeploymentWatcher({ store: this.store, apply: (e) => this.apply(e), logger: this.logger, env, pollMs: opts.deploymentPollMs });
    this.drainer = new NodeDrainer({ store: this.store, apply: (e) => this.apply(e), logger: this.logger, env });
    this.gc = new CoreGc({ store: this.store, apply: (e) => this.apply(e), logger: this.logger, thresholds: opts.gc, intervalMs: opts.gc?.intervalMs, clock: this.clock });
    const operator = new OperatorEndpoints({
      ctx: this.ctx,
      gc: this.gc,
      consensus: opts.consensus,
      health: () => this.serverHealth(),
      selfName: `${opts.nodeName}.${opts.region}`,
      members: () => opts.cluster?.membership.members() ?? [],
      afterRestore: () => this.reassertLeadership(),
    });
    const forwarded = fw.proxy('Operator', operator, [
      'setSchedulerConfig',
      'setAutopilotConfig',
      'forceGc',
      'removeRaftPeer',
      'autopilotHealth',
      'raftConfiguration',
      'snapshotSave',
      'snapshotRestore',
    ]);
    this.operator = meterEndpoint(forwarded, OPERATOR_ENDPOINT_METRICS, metrics);
    fw.register('Status', { readIndex: async () => this.store.snapshot().latestIndex() }, ['readIndex']);
    this.schedulerLoader = schedulerLoader;
    const peers = opts.peers && 'stream' in opts.peers ? opts.peers : null;
    this.regions = new RegionForwarder({ region: opts.region, membership: opts.cluster?.membership ?? null, rpc: peers, ...env, logger: this.logger, metrics });
    const replication = opts.replication ?? { authoritativeRegion: '', replicationToken: '' };
    const aclEnabled = opts.aclEnabled ?? false;
    this.authoritativeRegion = replication.authoritativeRegion || opts.region;
    this.aclSource = new AclReplicationSource({ store: this.store, clock: this.clock, aclEnabled });
    this.aclResolve = new AclResolveSource({ store: this.store, aclEnabled, readBarrier: (signal) => this.readBarrier(false, signal) });
    this.namespaceSource = new NamespaceReplicationSource({ store: this.store, clock: this.clock, aclEnabled });
    this.replicator =
      this.authoritativeRegion !== opts.region
        ? new RegionReplicator({
            ...replication.timing,
            authoritativeRegion: this.authoritativeRegion,
            aclEnabled,
            replicationToken: replication.replicationToken,
            regions: this.regions,
            store: this.store,
            apply: (e) => this.apply(e),
            ...env,
            logger: this.logger,
          })
        : null;
  }

  private readonly schedulerLoader: () => Promise<NewScheduler>;
  private stopFollowing: (() => void) | null = null;
  private stopEvents: (() => void) | null = null;
  private readonly leadershipListeners: Array<() => void> = [];
  private autopilot: Autopilot | null = null;
  private bootstrapper: ExpectBootstrap | null = null;

  start(): void {
    if (this.started) return;
    this.started = true;
    this.startCluster();
    this.stopFollowing = this.opts.applied.onApplied({
      applied: (index, entry) => this.followApplied(index, entry),
      // A restored state replaces everything the leader tracked: rebuild from it.
      restored: () => {
        if (!this.leader) return;
        this.restoreEvals();
        this.periodic.rebuild();
      },
    });
    if (this.events && this.opts.events) this.stopEvents = this.opts.events.feed.onEvents(this.events);
    this.consensus.onLeadershipChange((isLeader) => this.onLeadership(isLeader));
    if (this.consensus.isLeader()) this.onLeadership(true);
  }

  async shutdown(): Promise<void> {
    this.started = false;
    this.bootstrapper?.stop();
    this.stopFollowing?.();
    this.stopFollowing = null;
    this.stopEvents?.();
    this.stopEvents = null;
    this.events?.shutdown();
    this.settleReadyWaiters(false);
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
   * Proposes an entry; only the leader can (endpoint calls reach it through the forwarder).
   * The leader's bookkeeping follows from the applied entry (followApplied), not from here.
   */
  async apply(entry: LogEntry): Promise<ApplyResult> {
    if (!this.consensus.isLeader()) throw new NomadError('no_leader', 'No cluster leader');
    return this.consensus.apply(entry);
  }

  /**
   * Before a read that is not ?stale: on a follower, wait until the local state has every write
   * the leader had applied when asked (one round trip); the leader reads its own state, as Nomad's
   * does. Without a leader the read waits, bounded, then fails with "No cluster leader".
   */
  async readBarrier(stale: boolean, signal?: AbortSignal): Promise<void> {
    if (stale || this.leader) return;
    const index = (await this.forwarder.onLeader('Status', 'readIndex', [], true)) as number;
    if (this.store.snapshot().latestIndex() >= index || signal?.aborted) return;
    await this.store.snapshotMinIndex(index, this.opts.holdTimeoutMs ?? DEFAULT_HOLD_TIMEOUT_MS);
  }

  /** Every applied entry, whoever proposed it: GC's clock of indexes, and the leader's queues. */
  private followApplied(index: number, entry: LogEntry): void {
    this.gc.timeTable.witness(index, this.clock.nowMs());
    if (!this.leader) return;
    afterApply(entry, index, this.store.snapshot(), this.broker, this.blocked);
    this.periodic.followApplied(entry);
  }

  /** nomad system gc: a collection pass that ignores age thresholds, on the leader. */
  forceGc(): Promise<GcResult> {
    return this.operator.forceGc();
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

  /**
   * Publishes the server's gauges (called every telemetry collection interval): the queues' and
   * Raft's at once, the job summaries a slice of jobs per turn of the event loop.
   */
  emitMetrics(): Promise<void> {
    const opts = { disableDispatchedJobSummaryMetrics: this.opts.disableDispatchedJobSummaryMetrics ?? false };
    emitConsensusMetrics(this.metrics, this.consensus);
    const nextTurn = (): Promise<void> => new Promise((resolve) => this.clock.defer(resolve));
    return emitServerGauges(this.metrics, this.stats(), this.store.snapshot(), opts, this.blocked.evals(), nextTurn);
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
    const metrics = this.metrics;
    const establishStart = metrics.now();
    // Everything committed before leadership must be applied before the state is trusted.
    for (;;) {
      try {
        const barrierStart = metrics.now();
        await this.consensus.barrier();
        metrics.measureSince('nomad.leader.barrier', barrierStart);
        break;
      } catch (e) {
        if (!this.consensus.isLeader() || !this.started) {
          this.settleReadyWaiters(false);
          return;
        }
        this.logger.warn('barrier after gaining leadership failed; trying again', { error: String(e) });
      }
    }
    this.leader = true;
    this.leaderSinceMs = this.clock.nowMs();
    this.settleReadyWaiters(true);
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
      metrics,
    };
    this.logger.info(`starting ${n} scheduling worker(s) for [${SCHEDULER_TYPES.join(' ')} _core]`);
    this.workers = Array.from({ length: n }, (_, i) => new Worker(i, deps));
    for (const w of this.workers) w.start();
    this.watcher.start();
    this.drainer.start();
    this.periodic.start();
    this.gc.start();
    this.autopilot?.start();
    this.replicator?.start();
    metrics.measureSince('nomad.leader.establish_leadership', establishStart);
    for (const l of this.leadershipListeners) {
      try {
        l();
      } catch (e) {
        this.logger.error('a leadership listener failed', { error: String(e) });
      }
    }
  }

  private async revokeLeadership(): Promise<void> {
    this.logger.info('cluster leadership lost');
    this.leader = false;
    this.settleReadyWaiters(false);
    this.gc.stop();
    this.periodic.stop();
    this.broker.setEnabled(false);
    this.blocked.setEnabled(false);
    this.planQueue.setEnabled(false);
    this.heartbeats.setEnabled(false);
    await Promise.all([...this.workers.map((w) => w.stop()), this.planApplier.stop(), this.watcher.stop(), this.drainer.stop(), this.autopilot?.stop(), this.replicator?.stop()]);
    this.workers = [];
  }

  /**
   * After a restore replaced the whole state: the leader's duties (eval broker, blocked evals,
   * heartbeat timers, workers...) stop and start again from the new state, as after an election.
   */
  private reassertLeadership(): Promise<void> {
    if (!this.leader) return this.transition;
    this.onLeadership(false);
    if (this.consensus.isLeader()) this.onLeadership(true);
    return this.transition;
  }

  /** A server of a Raft cluster bootstraps once enough servers met, and its leader runs autopilot. */
  private startCluster(): void {
    const cl = this.opts.cluster;
    const consensus = this.consensus;
    if (!cl || !isClusterConsensus(consensus)) return;
    const base = { region: this.region, selfId: consensus.serverId, membership: cl.membership, consensus, clock: this.clock, logger: this.logger };
    this.autopilot = new Autopilot({ ...base, store: this.store, metrics: this.metrics, ...(cl.autopilotIntervalMs !== undefined ? { intervalMs: cl.autopilotIntervalMs } : {}) });
    if (cl.bootstrapExpect > 0 && !consensus.hasExistingState()) {
      if (!this.opts.peers) throw new Error('bootstrap_expect needs RPC to the other servers');
      this.bootstrapper = new ExpectBootstrap({ ...base, expect: cl.bootstrapExpect, peers: this.opts.peers });
      void this.bootstrapper.check();
    }
  }

  /**
   * True once this server leads with its duties up (everything committed before its election
   * applied); false when it does not lead, or stops, or `deadlineMs` passes first.
   */
  leaderReady(deadlineMs: number): Promise<boolean> {
    if (this.leader) return Promise.resolve(true);
    if (!this.consensus.isLeader() || !this.started) return Promise.resolve(false);
    return new Promise((resolve) => {
      let done = false;
      const finish = (ready: boolean): void => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        resolve(ready);
      };
      const timer = this.clock.setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== finish);
        finish(false);
      }, Math.max(0, deadlineMs - this.clock.nowMs()));
      this.readyWaiters.push(finish);
    });
  }

  private settleReadyWaiters(ready: boolean): void {
    const ws = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of ws) w(ready);
  }

  /** Called each time this server has taken up the leader's duties. */
  onLeadershipEstablished(listener: () => void): void {
    this.leadershipListeners.push(listener);
  }

  /** Autopilot's view of the servers' health (leader only). */
  serverHealth(): OperatorHealthReply {
    if (!this.leader) throw new NomadError('no_leader', 'No cluster leader');
    if (this.autopilot) return this.autopilot.health();
    const stats = this.consensus.stats();
    return singleServerHealth({
      id: this.consensus.leaderId() || this.rpcAddr,
      name: `${this.nodeName}.${this.region}`,
      address: this.rpcAddr,
      version: NOMAD_VERSION,
      lastLog: { index: stats.lastLogIndex, term: stats.lastLogTerm },
      sinceMs: this.leaderSinceMs,
    });
  }

  /** What clients call on any server: register, heartbeat, their allocations (node-rpc.ts). */
  nodeRpcHandlers(): Record<string, (args: unknown, ctx: RpcRequestContext) => Promise<unknown>> {
    return new NodeRpc(this).handlers();
  }

  private tokenResolver(): TokenResolver {
    return new TokenResolver({
      state: () => this.store.snapshot(),
      nowMs: () => this.clock.nowMs(),
      onBadPolicy: (name, problem) => this.logger.error('stored policy does not parse; it grants nothing', { policy: name, problem }),
    });
  }

  /** What other servers may call on this one (the agent registers them on its RPC listener). */
  rpcHandlers(): Record<string, (args: unknown, ctx?: PeerCallContext) => Promise<unknown>> {
    const src = this.aclSource;
    return {
      [FORWARD_METHOD]: (args) => this.forwarder.serve(args),
      [STATUS_PEERS_METHOD]: async (): Promise<StatusPeersReply> => {
        const c = this.consensus;
        return { Peers: c.stats().configuration.map((s) => s.Address), HasState: isClusterConsensus(c) ? c.hasExistingState() : true };
      },
      [ACL_LIST_POLICIES_METHOD]: this.regionRouted(ACL_LIST_POLICIES_METHOD, (args, signal) => src.listPolicies(args, signal)),
      [ACL_GET_POLICIES_METHOD]: this.regionRouted(ACL_GET_POLICIES_METHOD, (args) => src.getPolicies(args)),
      [ACL_LIST_TOKENS_METHOD]: this.regionRouted(ACL_LIST_TOKENS_METHOD, (args, signal) => src.listTokens(args, signal)),
      [ACL_GET_TOKENS_METHOD]: this.regionRouted(ACL_GET_TOKENS_METHOD, (args) => src.getTokens(args)),
      [ACL_RESOLVE_TOKEN_METHOD]: this.regionRouted(ACL_RESOLVE_TOKEN_METHOD, (args, signal) => this.aclResolve.resolveToken(args, signal)),
      [NAMESPACE_LIST_METHOD]: this.regionRouted(NAMESPACE_LIST_METHOD, (args, signal) => this.namespaceSource.list(args, signal)),
      [NAMESPACE_GET_METHOD]: this.regionRouted(NAMESPACE_GET_METHOD, (args) => this.namespaceSource.get(args)),
      [NAMESPACE_LIVE_JOBS_METHOD]: this.regionRouted(NAMESPACE_LIVE_JOBS_METHOD, (args) => this.namespaceSource.withLiveJobs(args)),
    };
  }

  /** A call that names another region (`Region` in its arguments) is served by a server of that region. */
  private regionRouted(method: string, handler: (args: unknown, signal?: AbortSignal) => Promise<unknown>): (args: unknown, ctx?: PeerCallContext) => Promise<unknown> {
    return (args, ctx) => {
      const region = args !== null && typeof args === 'object' ? (args as { Region?: unknown }).Region : undefined;
      if (typeof region === 'string' && region !== '' && region !== this.region) {
        return this.regions.call(region, method, args, {
          ...(ctx?.signal ? { signal: ctx.signal } : {}),
          ...(typeof ctx?.deadlineMs === 'number' ? { timeoutMs: ctx.deadlineMs } : {}),
        });
      }
      return handler(args, ctx?.signal);
    };
  }

  /** The other regions where any of the namespaces holds a live job; every region must answer. */
  private async regionsWithLiveJobs(names: string[], authToken: string): Promise<string[]> {
    const others = this.regions.regions().filter((r) => r !== this.region);
    const answers = await Promise.all(
      others.map(async (region) => {
        const reply = await this.regions.call<NamespacesWithLiveJobsReply>(region, NAMESPACE_LIVE_JOBS_METHOD, { Region: region, AuthToken: authToken, Names: names });
        return reply.Namespaces.length > 0 ? region : null;
      }),
    );
    return answers.filter((r): r is string => r !== null);
  }

  /** True while this server, leading, copies namespaces and global ACLs from the authoritative region. */
  replicating(): boolean {
    return this.replicator?.running ?? false;
  }

  /** On gaining leadership: every non-terminal eval goes back to the broker or the blocked set. */
  private restoreEvals(): void {
    const snap = this.store.snapshot();
    // Blocked evals go to the broker too, not to the blocked set: capacity may have appeared while
    // no leader followed the log (an election, entries applied before this leader's barrier), and
    // the blocked set would wait for a change it already missed. Those still unplaceable block again.
    for (const ev of snap.evals('*')) if (ev.Status === 'pending' || ev.Status === 'blocked') this.broker.enqueue(ev);
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
