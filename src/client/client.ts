// The client role: fingerprints the host, registers the node, heartbeats on the TTL the
// servers hand back, watches the node's allocations with a blocking query and runs them.
import { performance } from 'node:perf_hooks';
import { isAbsolute, join } from 'node:path';
import type { ClientServerRpc, AllocClientUpdate } from '../rpc/protocol.js';
import type { Allocation } from '../structs/alloc.js';
import { allocTerminal } from '../structs/alloc.js';
import { NomadError } from '../structs/errors.js';
import type { DrainSpec, Node } from '../structs/node.js';
import { noMetrics, type Metrics } from '../structs/metrics.js';
import { formatDurationNs, NS_PER_MS } from '../structs/time.js';
import { builtinDrivers } from '../drivers/builtin.js';
import type { TaskDriver } from '../drivers/driver.js';
import { AllocRunner } from './alloc-runner.js';
import { ClientEndpointsImpl } from './client-endpoints.js';
import { Backoff } from './backoff.js';
import { computeNodeClass } from './computed-class.js';
import { CLIENT_DEFAULTS, silentLogger, type ClientConfig, type Logger } from './config.js';
import { driverAttributes, driversChanged, fingerprintDrivers } from './fingerprint/drivers.js';
import { buildNode, fingerprintHostFacts } from './fingerprint/index.js';
import type { InterpolationNode } from './interpolate.js';
import { loadNodeIdentity } from './node-id.js';
import { UpdateBatcher } from './update-batcher.js';
import { drainSelf } from './drain-self.js';
import { MemoryClientState, type ClientStateStore, type RestoredAlloc } from './state/client-state.js';
import { ClientMetrics, type ClientMetricsOptions } from './client-metrics.js';
import { countedRpc } from './rpc-metrics.js';

/** How long one blocking query for the node's allocations may wait on the server. */
const ALLOC_WATCH_WAIT_MS = 5 * 60 * 1000;
/** At most this many allocations are pulled per Alloc.GetAllocs call. */
const MAX_ALLOCS_PER_PULL = 500;
/** Restoring waits at most this long for reattachments before the node registers. */
const RESTORE_BOUND_MS = 10_000;
/** A blocking query that returns without a newer index is not repeated faster than this. */
const MIN_WATCH_INTERVAL_MS = 50;

export interface ClientOptions {
  rpc: ClientServerRpc;
  config: ClientConfig;
  drivers?: Map<string, TaskDriver>;
  logger?: Logger;
  /** What the client keeps across restarts; nothing (in memory) when absent. */
  state?: ClientStateStore;
  /** Where the client's figures go, and which of them the telemetry block publishes. */
  metrics?: Metrics;
  telemetry?: ClientMetricsOptions;
}

export class Client {
  readonly config: ClientConfig;
  readonly drivers: Map<string, TaskDriver>;
  private readonly rpc: ClientServerRpc;
  private readonly log: Logger;
  private nodeRecord: Node | null = null;
  private readonly runners = new Map<string, AllocRunner>();
  /** AllocModifyIndex of every allocation the server lists for us, run or not. */
  private readonly known = new Map<string, number>();
  private readonly batcher: UpdateBatcher;
  private cpuMhzPerCore = 0;
  private heartbeatTtlMs = 0;
  private lastHeartbeatMs = 0;
  private servers: string[] = [];
  private running = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private shutdownResolve!: () => void;
  private readonly shutdownSignal = new Promise<void>((r) => (this.shutdownResolve = r));
  private watchLoop: Promise<void> | null = null;
  private driverChangedDuringStart = false;
  private fingerprintRound: Promise<unknown> = Promise.resolve();
  private registering: Promise<void> | null = null;
  /** Milliseconds from construction to the first successful register. */
  startupMs: number | null = null;
  private readonly createdAt = performance.now();
  private readonly metrics: Metrics;
  private readonly publisher: ClientMetrics;
  private readonly publishAllocationMetrics: boolean;
  private readonly state: ClientStateStore;
  /**
   * Restored allocations waiting for the servers' word before any task of theirs is (re)started:
   * resolved once an allocation list from the servers has been applied.
   */
  private readonly awaitingServers = new Map<string, () => void>();
  /** Milliseconds from construction to the restored allocations' tasks reattached (null: nothing restored). */
  reattachMs: number | null = null;

  constructor(opts: ClientOptions) {
    this.rpc = opts.metrics ? countedRpc(opts.rpc, opts.metrics) : opts.rpc;
    this.state = opts.state ?? new MemoryClientState();
    this.config = opts.config;
    this.log = opts.logger ?? silentLogger;
    this.metrics = opts.metrics ?? noMetrics;
    const telemetry = opts.telemetry ?? { publishNodeMetrics: false, publishAllocationMetrics: false };
    this.publishAllocationMetrics = telemetry.publishAllocationMetrics;
    const self = this;
    this.publisher = new ClientMetrics(
      { node: () => self.nodeRecord, allocRunners: () => self.allocRunners(), allocRoot: opts.config.dataDir, cpuMhzPerCore: () => self.cpuMhzPerCore },
      this.metrics,
      telemetry,
    );
    this.drivers =
      opts.drivers ??
      builtinDrivers({
        devMode: opts.config.devMode,
        options: opts.config.options,
        pluginConfig: opts.config.pluginConfig ?? {},
        cpuMhzPerCore: () => this.cpuMhzPerCore,
        ...(opts.config.chrootEnv ? { chrootEnv: opts.config.chrootEnv } : {}),
        stateDir: join(opts.config.stateDir, 'drivers'),
        // A dev agent stops its tasks when it stops (shutdown below), so none needs an executor
        // to outlive it; every other agent's tasks must survive a client restart.
        supervision: opts.config.devMode ? 'agent' : 'executor',
        onFingerprintChange: (name) => this.driverFingerprintChanged(name),
      });
    this.batcher = new UpdateBatcher({
      send: async (updates) => {
        await this.rpc.nodeUpdateAllocs(updates);
      },
      current: (id) => this.runners.get(id)?.clientUpdate() ?? null,
      onError: (err) => this.log.warn('client: failed to update allocations', { error: String(err) }),
    });
  }

  get nodeId(): string {
    return this.nodeRecord?.ID ?? '';
  }

  node(): Node | null {
    return this.nodeRecord;
  }

  /** Root of the alloc dirs. */
  get allocRoot(): string {
    return this.config.dataDir;
  }

  allocRunner(id: string): AllocRunner | undefined {
    return this.runners.get(id);
  }

  allocRunners(): AllocRunner[] {
    return [...this.runners.values()];
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const [identity, host] = await Promise.all([loadNodeIdentity(this.config.stateDir, this.config.devMode), fingerprintHostFacts(this.config)]);
    this.cpuMhzPerCore = host.cpu.mhzPerCore;
    const node = await buildNode(this.config, identity, this.drivers, host);
    node.Status = 'ready';
    this.nodeRecord = node;
    this.log.debug('client: fingerprinted node', { node_id: node.ID, elapsed_ms: (performance.now() - this.createdAt).toFixed(1) });
    // Tasks that outlived the previous client process are reattached before anything else.
    await this.restore();
    await this.register();
    if (!this.running) return;
    this.startupMs = performance.now() - this.createdAt;
    this.log.info('client: node registration complete', { node_id: node.ID, startup_ms: this.startupMs.toFixed(1) });
    if (this.driverChangedDuringStart) void this.refingerprintDrivers();
    this.scheduleHeartbeat();
    this.watchLoop = this.watchAllocs();
    this.scheduleDriverFingerprint();
  }

  /**
   * Rebuilds the alloc runners the previous client process left: running tasks are reattached
   * (same processes), tasks that ended meanwhile go through their restart policy, and nothing
   * is started until the servers have said the allocation should still run.
   */
  private async restore(): Promise<void> {
    const kept = this.state.restored();
    if (kept.length === 0) return;
    const started = performance.now();
    const reattached: Promise<void>[] = [];
    for (const rec of kept) {
      if (this.runners.has(rec.alloc.ID)) continue;
      const gate = new Promise<void>((resolve) => this.awaitingServers.set(rec.alloc.ID, resolve));
      const runner = this.newRunner(rec.alloc, rec, () => gate);
      if (!runner) continue;
      this.known.set(rec.alloc.ID, rec.alloc.AllocModifyIndex);
      reattached.push(runner.whenResumed());
    }
    // A task is reattached within moments; bounded so that a stuck one cannot keep the node from registering.
    const bound = new Promise<'late'>((r) => setTimeout(() => r('late'), RESTORE_BOUND_MS).unref());
    if ((await Promise.race([Promise.all(reattached), bound])) === 'late') this.log.warn('client: some restored tasks were not reattached yet; registering anyway');
    this.reattachMs = performance.now() - started;
    this.log.info('client: restored allocations', { allocs: kept.length, reattach_ms: this.reattachMs.toFixed(1) });
  }

  /** Registers, retrying with bounded backoff until it succeeds or the client shuts down. */
  private register(): Promise<void> {
    if (!this.registering) {
      this.registering = (async () => {
        const backoff = new Backoff(100, 5_000);
        while (this.running) {
          try {
            const resp = await this.raceShutdown(this.rpc.nodeRegister(this.nodeRecord!));
            if (resp === null) return;
            this.heartbeatTtlMs = resp.HeartbeatTTLMs;
            this.servers = resp.Servers;
            this.lastHeartbeatMs = Date.now();
            return;
          } catch (err) {
            const delayMs = backoff.nextDelayMs();
            this.log.warn('client: failed to register node', { error: String(err), retry_ms: delayMs });
            await this.sleep(delayMs);
          }
        }
      })().finally(() => (this.registering = null));
    }
    return this.registering;
  }

  private raceShutdown<T>(p: Promise<T>): Promise<T | null> {
    return Promise.race([p, this.shutdownSignal.then(() => null)]);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
      void this.shutdownSignal.then(() => {
        clearTimeout(t);
        this.timers.delete(t);
        resolve();
      });
    });
  }

  private isUnknownNode(err: unknown): boolean {
    return err instanceof NomadError && err.kind === 'not_found';
  }

  private scheduleHeartbeat(delayMs?: number): void {
    if (!this.running) return;
    // About half the TTL, with jitter, so a missed beat still leaves time before the TTL expires.
    const ttl = this.heartbeatTtlMs > 0 ? this.heartbeatTtlMs : 10_000;
    const ms = delayMs ?? Math.round(ttl * 0.4 + Math.random() * ttl * 0.2);
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.heartbeat();
    }, ms);
    this.timers.add(t);
  }

  private heartbeatBackoff = new Backoff(250, 5_000);

  private async heartbeat(): Promise<void> {
    if (!this.running) return;
    try {
      const resp = await this.raceShutdown(this.rpc.nodeUpdateStatus(this.nodeId, 'ready'));
      if (resp === null) return;
      this.heartbeatTtlMs = resp.HeartbeatTTLMs;
      this.servers = resp.Servers;
      this.lastHeartbeatMs = Date.now();
      this.heartbeatBackoff.reset();
      this.scheduleHeartbeat();
    } catch (err) {
      if (this.isUnknownNode(err)) {
        this.log.info('client: servers do not know this node; registering again', { node_id: this.nodeId });
        await this.register();
        this.scheduleHeartbeat();
        return;
      }
      const delayMs = Math.min(this.heartbeatBackoff.nextDelayMs(), Math.max(250, this.heartbeatTtlMs / 4));
      this.log.warn('client: heartbeat failed', { error: String(err), retry_ms: delayMs });
      this.scheduleHeartbeat(delayMs);
    }
  }

  private scheduleDriverFingerprint(): void {
    const every = this.config.driverFingerprintIntervalMs ?? CLIENT_DEFAULTS.driverFingerprintIntervalMs;
    if (!this.running || every <= 0) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.refingerprintDrivers().finally(() => this.scheduleDriverFingerprint());
    }, every);
    this.timers.add(t);
  }

  /**
   * A driver learned something new on its own (the java version probe finished). Waiting for the
   * periodic round would leave its tasks unplaceable for up to that interval, so fingerprint now;
   * before the first register the change is picked up right after it instead.
   */
  private driverFingerprintChanged(name: string): void {
    this.log.debug('client: driver fingerprint changed', { driver: name });
    if (!this.running) return;
    if (this.startupMs === null) this.driverChangedDuringStart = true;
    else void this.refingerprintDrivers();
  }

  /**
   * Fingerprints drivers again; when health or attributes changed, tells the servers. Rounds run
   * one at a time: a slow round that began before a change must not overwrite a newer answer.
   */
  refingerprintDrivers(): Promise<boolean> {
    const round = this.fingerprintRound.then(() => this.refingerprintOnce());
    this.fingerprintRound = round.catch(() => false);
    return round;
  }

  private async refingerprintOnce(): Promise<boolean> {
    const node = this.nodeRecord;
    if (!node) return false;
    const infos = await fingerprintDrivers(this.drivers);
    if (!driversChanged(node.Drivers, infos)) return false;
    const attrs = { ...node.Attributes };
    for (const k of Object.keys(attrs)) if (k.startsWith('driver.')) delete attrs[k];
    Object.assign(attrs, driverAttributes(infos));
    node.Drivers = infos;
    node.Attributes = attrs;
    node.ComputedClass = computeNodeClass(node);
    try {
      await this.rpc.nodeUpdateFingerprint(node);
    } catch (err) {
      this.log.warn('client: failed to send updated fingerprint', { error: String(err) });
    }
    return true;
  }

  private async watchAllocs(): Promise<void> {
    let index = 0;
    const backoff = new Backoff(100, 5_000);
    while (this.running) {
      const startedMs = Date.now();
      let resp;
      try {
        resp = await this.raceShutdown(this.rpc.nodeGetClientAllocs(this.nodeId, index, ALLOC_WATCH_WAIT_MS, true));
        if (resp === null) return;
        backoff.reset();
      } catch (err) {
        if (this.isUnknownNode(err)) await this.register();
        else this.log.warn('client: failed to query allocations', { error: String(err) });
        await this.sleep(backoff.nextDelayMs());
        continue;
      }
      try {
        await this.applyAllocList(resp.Allocs, resp.Index, resp.Complete !== false);
      } catch (err) {
        this.log.error('client: failed to apply allocations', { error: String(err) });
        await this.sleep(backoff.nextDelayMs());
        continue;
      }
      if (resp.Index <= index && Date.now() - startedMs < MIN_WATCH_INTERVAL_MS) await this.sleep(MIN_WATCH_INTERVAL_MS);
      index = Math.max(index, resp.Index);
    }
  }

  /**
   * `complete`: the list holds every allocation of the node, and one it lacks was garbage
   * collected; otherwise it holds those changed since the last answer, and none was removed.
   */
  private async applyAllocList(list: Record<string, number>, index: number, complete: boolean): Promise<void> {
    // Allocations the servers no longer list were garbage collected: drop them here too. Both
    // passes make no garbage per entry (deleting the entry being visited is safe in a Map's
    // iteration).
    for (const id of complete ? this.known.keys() : []) {
      if (id in list) continue;
      this.known.delete(id);
      const r = this.runners.get(id);
      if (r) {
        this.runners.delete(id);
        void r
          .destroy()
          .then(() => this.state.deleteAlloc(id, r.taskNames()))
          .catch((err) => this.log.warn('client: failed to destroy allocation', { alloc_id: id, error: String(err) }));
      }
    }
    const changed: string[] = [];
    for (const id in list) if ((this.known.get(id) ?? -1) < list[id]!) changed.push(id);
    for (let i = 0; i < changed.length && this.running; i += MAX_ALLOCS_PER_PULL) {
      const ids = changed.slice(i, i + MAX_ALLOCS_PER_PULL);
      const resp = await this.raceShutdown(this.rpc.allocGetAllocs(ids, index));
      if (resp === null) return;
      for (const alloc of resp.Allocs) this.applyAlloc(alloc);
    }
    this.releaseRestored();
    this.garbageCollect();
  }

  private applyAlloc(alloc: Allocation): void {
    this.known.set(alloc.ID, alloc.AllocModifyIndex);
    const existing = this.runners.get(alloc.ID);
    if (existing) {
      existing.update(alloc);
      return;
    }
    // Never resurrect what is already over (a restart of the client, a stop before start).
    if (allocTerminal(alloc)) return;
    this.newRunner(alloc, null, null);
  }

  /** Creates, keeps and runs an alloc runner; null (logged) when the allocation cannot run here. */
  private newRunner(alloc: Allocation, restored: RestoredAlloc | null, mayStart: (() => Promise<void>) | null): AllocRunner | null {
    let runner: AllocRunner;
    try {
      runner = new AllocRunner({
        alloc,
        drivers: this.drivers,
        allocRoot: this.allocRootPath(),
        node: () => this.interpolationNode(),
        region: this.config.region,
        maxKillTimeoutMs: this.config.maxKillTimeoutMs,
        hostEnv: process.env,
        hostVolumes: this.config.hostVolumes ?? null,
        onUpdate: (id, terminal) => this.batcher.mark(id, terminal),
        onTaskState: (id, task) => this.state.putTask(id, task.name, task.record()),
        onRecord: (rec) => this.state.putAlloc(rec),
        logger: this.log,
        ...(restored ? { restored } : {}),
        ...(mayStart ? { mayStart } : {}),
        metrics: this.publishAllocationMetrics ? this.metrics : null,
      });
    } catch (err) {
      this.log.error('client: cannot run allocation', { alloc_id: alloc.ID, error: String(err) });
      return null;
    }
    this.runners.set(alloc.ID, runner);
    if (!restored) this.state.putAlloc(runner.record());
    void runner.run().catch((err) => this.log.error('client: allocation runner failed', { alloc_id: alloc.ID, error: String(err) }));
    return runner;
  }

  /** The servers listed their allocations: restored ones may now start what they must (or were told to stop). */
  private releaseRestored(): void {
    for (const [id, release] of this.awaitingServers) {
      this.awaitingServers.delete(id);
      release();
    }
  }

  private allocRootPath(): string {
    return isAbsolute(this.config.dataDir) ? this.config.dataDir : join(process.cwd(), this.config.dataDir);
  }

  /**
   * Keeps the directories of at most gcMaxAllocs finished allocations, removing the oldest.
   * A runner whose final state the servers have not acknowledged stays: the batcher reads each
   * update from its runner when sending, so collecting it first would lose that update and leave
   * the allocation pending on the servers for good.
   */
  private garbageCollect(): void {
    const max = this.config.gcMaxAllocs ?? CLIENT_DEFAULTS.gcMaxAllocs;
    // Runs at every change of the node's allocations: one pass, and a sort only when over the limit.
    const finished: AllocRunner[] = [];
    for (const r of this.runners.values()) if (r.isFinished && !this.batcher.unacknowledged(r.id)) finished.push(r);
    if (finished.length <= max) return;
    finished.sort((a, b) => (a.terminalAtMs ?? 0) - (b.terminalAtMs ?? 0));
    for (const r of finished.slice(0, finished.length - max)) {
      this.runners.delete(r.id);
      this.state.deleteAlloc(r.id, r.taskNames());
      void r.allocDir.destroy().catch(() => undefined);
    }
  }

  private interpolationNode(): InterpolationNode | null {
    const n = this.nodeRecord;
    return n ? { ID: n.ID, Name: n.Name, Datacenter: n.Datacenter, NodeClass: n.NodeClass, Attributes: n.Attributes, Meta: n.Meta } : null;
  }

  private endpointsImpl: ClientEndpointsImpl | null = null;

  /** fs, logs, stats, restart and signal for this node's allocations. */
  endpoints(): ClientEndpointsImpl {
    this.endpointsImpl ??= new ClientEndpointsImpl(this, () => this.cpuMhzPerCore);
    return this.endpointsImpl;
  }

  /** Publishes the client's gauges (called every telemetry collection interval). */
  emitMetrics(): Promise<void> {
    return this.publisher.emit();
  }

  /** `client { disable_remote_exec = true }`: nothing may exec into this client's tasks. */
  get remoteExecDisabled(): boolean {
    return this.config.disableRemoteExec === true;
  }

  /** The client's part of /v1/agent/self stats. */
  stats(): Record<string, string> {
    const sinceMs = this.lastHeartbeatMs ? Date.now() - this.lastHeartbeatMs : 0;
    return {
      heartbeat_ttl: formatDurationNs(this.heartbeatTtlMs * NS_PER_MS),
      known_servers: this.servers.join(','),
      last_heartbeat: formatDurationNs(sinceMs * NS_PER_MS),
      node_id: this.nodeId,
      num_allocations: String(this.runners.size),
    };
  }

  /** The current update of one allocation (what the next report to the servers will say). */
  allocUpdate(id: string): AllocClientUpdate | null {
    return this.runners.get(id)?.clientUpdate() ?? null;
  }

  /** drain_on_shutdown: drains this node through the servers before the client stops (drain-self.ts). */
  async drainSelf(spec: DrainSpec, boundMs: number): Promise<boolean> {
    // A client that never registered has nothing on the servers to drain.
    if (!this.running || this.heartbeatTtlMs === 0) return false;
    return drainSelf(this.rpc, this.nodeId, spec, boundMs, this.log);
  }

  async shutdown(opts: { stopTasks: boolean }): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.shutdownResolve();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (opts.stopTasks) {
      await Promise.all([...this.runners.values()].map((r) => r.stop().catch(() => undefined)));
      await this.batcher.flush();
    }
    this.batcher.stop();
    await this.watchLoop?.catch(() => undefined);
    // Tasks left running are found again from here by the next client process.
    await this.state.close().catch((err) => this.log.error('client: failed to write the client state', { error: String(err) }));
  }
}
