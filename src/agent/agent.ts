// The agent: wires the server role (state store, log, schedulers, leader duties), the client
// role (fingerprint, register, run tasks) and the HTTP API into one process, and takes them
// down in the reverse order. The client reaches the server only through the RPC interface it
// would use across the network.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentConfig } from './config.js';
import type { ResolvedAddresses } from './addresses.js';
import { AgentLogger, type Logger } from './logger.js';
import { LogMonitor } from './log-monitor.js';
import { takeProfile } from './profiler.js';
import { GatedSink } from './gated-sink.js';
import { driverPluginConfigs } from './plugin-config.js';
import { raftStats, runtimeStats, selfConfig } from './agent-self.js';
import type { ServerGossip } from './server-gossip.js';
import { joinPlan, RetryJoiner } from './join.js';
import { loadHttpTls } from './tls-config.js';
import { startServerRole, type ServerRole } from './server-role.js';
import type { Server } from '../server/server.js';
import { HttpServer } from '../http/http-server.js';
import type { AgentInfo, MonitorLevel, MonitorStream } from '../http/agent-info.js';
import type { AgentHealth, AgentMembers } from '../structs/agent-member.js';
import { Client } from '../client/client.js';
import { RemoteServers } from './client-servers.js';
import { remoteTokenResolver, warnIfServersEnforceAcls } from './remote-acl.js';
import { systemClock } from '../structs/clock.js';
import { HTTP_FORWARD_METHOD, HTTP_UPGRADE_METHOD, httpForwardHandler, httpUpgradeHandler } from './http-forward.js';
import { NodeRpcClient } from '../client/node-rpc-client.js';
import { FileClientState, MemoryClientState, type ClientStateStore } from '../client/state/client-state.js';
import { badRequest } from '../structs/errors.js';
import { REGION_HTTP_METHOD, REGION_UPGRADE_METHOD } from '../http/region-tunnel.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { NS_PER_MS } from '../structs/time.js';

/** drain_on_shutdown waits this much past the deadline for the forced stops to be reported. */
const DRAIN_SLACK_MS = 30_000;

export class Agent {
  private server: Server | null = null;
  private client: Client | null = null;
  private http: HttpServer | null = null;
  private readonly tempDirs: string[] = [];
  private role: ServerRole | null = null;
  readonly nodeName: string;
  private sink: GatedSink | null = null;
  private gossip: ServerGossip | null = null;
  private retryJoiner: RetryJoiner | null = null;
  /** How a client-only agent reaches the servers (null when the agent runs a server). */
  private remote: RemoteServers | null = null;
  private telemetry: Telemetry | null = null;

  private constructor(
    readonly config: AgentConfig,
    readonly addrs: ResolvedAddresses,
    private readonly logger: Logger,
  ) {
    this.nodeName = config.name || hostname();
  }

  /** Starts every part; logging is held back until announceStarted() so that the banner comes first. */
  static async start(config: AgentConfig, addrs: ResolvedAddresses, logger: Logger, sink?: GatedSink): Promise<Agent> {
    const agent = new Agent(config, addrs, logger);
    agent.sink = sink ?? null;
    try {
      await agent.startParts();
    } catch (e) {
      await agent.shutdown().catch(() => undefined);
      throw e;
    }
    return agent;
  }

  /** The agent's telemetry (its registry, sinks and collection), null before start. */
  get telemetryHandle(): Telemetry | null {
    return this.telemetry;
  }

  announceStarted(): void {
    this.sink?.open();
  }

  private async startParts(): Promise<void> {
    const c = this.config;
    const log = this.logger;

    const telemetry = (this.telemetry = new Telemetry({
      config: c.telemetry,
      hostname: hostname(),
      nodeName: this.nodeName,
      onSinkError: (message) => log.warn(`telemetry: ${message}`),
      onCollectorError: (name, e) => log.warn(`telemetry: collecting the ${name} metrics failed`, { error: e instanceof Error ? e.message : String(e) }),
    }));
    const metrics = telemetry.metrics;
    if (c.server.enabled) {
      // Binding the gossip sockets is quick; joining others happens after start-up (joinAtStart).
      this.role = await startServerRole({ config: c, addrs: this.addrs, nodeName: this.nodeName, logger: log, metrics });
      this.server = this.role.server;
      this.gossip = this.role.gossip;
      const { server, gossip } = this.role;
      telemetry.addCollector('server', () => server.emitMetrics());
      telemetry.addCollector('gossip', () => gossip.emitMetrics());
    } else {
      this.remote = new RemoteServers(c, log);
    }
    const store = this.role?.store ?? null;

    if (c.client.enabled) {
      const dataDir = this.clientDir('alloc');
      const stateDir = c.client.stateDir || (c.devMode ? join(dataDir, '..', 'client-state') : join(c.dataDir, 'client'));
      mkdirSync(stateDir, { recursive: true });
      log.info(`client: using alloc directory ${dataDir}`);
      // A client in the same agent as a server calls it in process; otherwise the servers over RPC.
      const rpc = this.role
        ? new NodeRpcClient({ caller: this.role.local, region: c.region })
        : new NodeRpcClient({ caller: this.remote!.caller, region: c.region, servers: this.remote!.list });
      if (this.remote && this.remote.list.size === 0 && c.client.serverJoin.retryJoin.length === 0) {
        log.warn('client: no servers configured: set client.servers, -servers or client.server_join, or PUT /v1/agent/servers');
      }
      this.client = new Client({
        rpc,
        state: c.devMode ? new MemoryClientState() : this.openClientState(stateDir),
        config: {
          nodeName: this.nodeName,
          datacenter: c.datacenter,
          region: c.region,
          nodeClass: c.client.nodeClass,
          meta: c.client.meta,
          options: c.client.options,
          pluginConfig: driverPluginConfigs(c.plugins),
          chrootEnv: c.client.chrootEnv,
          hostVolumes: Object.fromEntries(Object.entries(c.client.hostVolumes).map(([name, hv]) => [name, { Name: name, Path: hv.path ?? '', ReadOnly: hv.readOnly ?? false }])),
          disableRemoteExec: c.client.disableRemoteExec,
          dataDir,
          stateDir,
          devMode: c.devMode,
          networkInterface: c.client.networkInterface,
          bindAddress: this.addrs.bindIp.http,
          httpAdvertise: this.addrs.advertise.http,
          maxKillTimeoutMs: c.client.maxKillTimeoutMs,
          minDynamicPort: c.client.minDynamicPort,
          maxDynamicPort: c.client.maxDynamicPort,
          cpuTotalComputeMHz: c.client.cpuTotalComputeMHz,
          memoryTotalMB: c.client.memoryTotalMB,
          reserved: {
            cpuMhz: c.client.reserved.cpuMHz,
            memoryMB: c.client.reserved.memoryMB,
            diskMB: c.client.reserved.diskMB,
            reservedPorts: c.client.reserved.reservedPorts,
          },
        },
        logger: log,
        metrics,
        telemetry: { publishNodeMetrics: c.telemetry.publishNodeMetrics, publishAllocationMetrics: c.telemetry.publishAllocationMetrics },
      });
      const client = this.client;
      telemetry.addCollector('client', () => client.emitMetrics());
    }

    const remote = this.remote;
    this.http = new HttpServer({
      server: this.server,
      store,
      forward: remote ? (req, res) => remote.forwarder.forward(req, res) : null,
      forwardUpgrade: remote ? (req, socket, head) => remote.forwarder.forwardUpgrade(req, socket, head) : null,
      region: c.region,
      client: this.client ? this.client.endpoints() : null,
      agent: this.agentInfo(),
      logger: log.named('http'),
      acl: this.server ? this.server.tokens : remote && c.acl.enabled ? remoteTokenResolver(c, remote.caller, systemClock, log) : null,
      tls: c.tls.http ? loadHttpTls(c) : null,
      bind: this.addrs.bindIp.http,
      port: c.ports.http,
      search: c.server.search,
      metrics,
      metricsSource: telemetry,
    });
    const { port: httpPort } = await this.http.listen();
    // Requests other regions send to this server are served by the same routes.
    this.role?.rpc?.server.handleStream(REGION_HTTP_METHOD, this.http.regionRequestHandler());
    this.role?.rpc?.server.handleDuplex(REGION_UPGRADE_METHOD, this.http.regionUpgradeHandler());
    telemetry.start();
    // Client agents send the API requests they do not answer themselves to a server, which
    // replays them on its own listener.
    if (this.role?.rpc) {
      const tls = c.tls.http ? loadHttpTls(c) : null;
      const target = { host: loopbackFor(this.addrs.bindIp.http), port: httpPort, tls: tls ? { cert: tls.cert, key: tls.key } : null };
      this.role.rpc.server.handleStream(HTTP_FORWARD_METHOD, httpForwardHandler(() => target));
      this.role.rpc.server.handleDuplex(HTTP_UPGRADE_METHOD, httpUpgradeHandler(() => target));
    }

    // The client registers in the background: the agent is up once its API answers.
    if (this.client) {
      const client = this.client;
      client.start().then(
        () => {
          log.debug('client: state updated to ready');
          if (remote && !c.acl.enabled) void warnIfServersEnforceAcls(remote.caller, c.region, log);
        },
        (e: unknown) => log.error('client: failed to start', { error: e }),
      );
    }
  }

  /** data_dir/client/state.db; damage is logged with where it was, and what could be read is kept. */
  private openClientState(stateDir: string): ClientStateStore {
    const { store, report, path } = FileClientState.open(stateDir);
    if (report.damagedBytes > 0) {
      this.logger.error('client: the state file was damaged; the damaged records were dropped and the rest kept', {
        path,
        damaged_bytes: report.damagedBytes,
        at_offsets: report.damagedAt.join(','),
        records_read: report.records,
      });
    }
    return store;
  }

  /** Reads the HTTPS certificate files again; new connections use them. Throws (keeping the old ones) when they cannot be used. */
  reloadTls(): void {
    if (!this.http) throw new Error('the HTTP API is not running');
    this.http.reloadTls(loadHttpTls(this.config));
  }


  /** In dev mode a fresh temp dir per start (removed at shutdown); otherwise under data_dir. */
  private clientDir(kind: 'alloc'): string {
    const c = this.config;
    if (c.client.allocDir) {
      mkdirSync(c.client.allocDir, { recursive: true });
      return c.client.allocDir;
    }
    if (c.devMode && !c.dataDir) {
      const root = mkdtempSync(join(tmpdir(), 'NomadClient'));
      this.tempDirs.push(root);
      const dir = join(root, kind);
      mkdirSync(dir, { recursive: true });
      return dir;
    }
    const dir = join(c.dataDir, kind);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Nomad's start-up joins: `start_join` now (its failure is the caller's to report, and the agent
   * then stops), `retry_join` in the background; `onRetryExhausted` runs if every retry failed.
   */
  async joinAtStart(onRetryExhausted: () => void): Promise<number | null> {
    this.remote?.startJoin(onRetryExhausted);
    const gossip = this.gossip;
    if (gossip === null) return null;
    const plan = joinPlan(this.config);
    if (plan.retryJoin.length > 0) {
      this.retryJoiner = new RetryJoiner({
        addrs: plan.retryJoin,
        intervalMs: plan.retryIntervalMs,
        maxRetries: plan.retryMax,
        join: (addrs) => gossip.joinOrThrow(addrs),
        logger: this.logger.named('agent.joiner'),
        onExhausted: onRetryExhausted,
      });
      this.retryJoiner.start();
    }
    if (plan.startJoin.length === 0) return null;
    return gossip.joinOrThrow(plan.startJoin);
  }

  /** Leaves the gossip pool gracefully (others see this server `left`), then stops every part. */
  async shutdown(opts: { leave?: boolean } = {}): Promise<void> {
    const log = this.logger;
    this.retryJoiner?.stop();
    const drain = this.config.client.drainOnShutdown;
    if (opts.leave && this.client && drain.enabled) {
      // Before a server in the same agent leaves: the drain needs the cluster.
      const spec = { Deadline: drain.force ? -1e9 : drain.deadlineMs * NS_PER_MS, IgnoreSystemJobs: drain.ignoreSystemJobs };
      await this.client.drainSelf(spec, (drain.force ? 0 : drain.deadlineMs) + DRAIN_SLACK_MS);
    }
    if (opts.leave && this.role) {
      log.info('agent: gracefully leaving the cluster');
      await this.role.leave();
    }
    log.info('agent: requesting shutdown');
    if (this.client) {
      log.info('client: shutting down');
      // A dev agent's tasks end with it; any other client leaves its tasks running, to be
      // reattached by its next start (their executors keep their output meanwhile).
      await this.client.shutdown({ stopTasks: this.config.devMode });
    }
    this.role?.rpc?.server.unhandle(REGION_HTTP_METHOD);
    this.role?.rpc?.server.unhandle(REGION_UPGRADE_METHOD);
    if (this.http) await this.http.close();
    await this.remote?.close();
    if (this.role) {
      log.info('nomad: shutting down server');
      await this.role.shutdown();
    }
    await this.telemetry?.close();
    for (const d of this.tempDirs) rmSync(d, { recursive: true, force: true });
    log.info('agent: shutdown complete');
  }

  /** A reader of the log at its own level: taps every named logger of this agent. */
  private monitorLog(logger: AgentLogger, level: MonitorLevel, json: boolean): MonitorStream {
    const monitor = new LogMonitor(level, json);
    const remove = logger.taps.add(monitor);
    return {
      next: (signal) => monitor.next(signal),
      close: () => {
        remove();
        monitor.close();
      },
    };
  }

  private agentInfo(): AgentInfo {
    const c = this.config;
    const gossip = (): ServerGossip | null => this.gossip;
    return {
      self: () => {
        const stats: Record<string, Record<string, string>> = { runtime: runtimeStats() };
        if (this.server) {
          const leader = this.server.isLeader();
          stats.nomad = {
            bootstrap: String(c.server.bootstrapExpect === 1),
            known_regions: String(this.server.regions.regions().length),
            leader: String(leader),
            leader_addr: this.server.leaderRpcAddr(),
            server: 'true',
          };
          stats.raft = raftStats(this.server.consensus.stats());
          const g = gossip();
          if (g) stats.serf = g.stats();
        }
        if (this.client) stats.client = this.client.stats();
        return { config: selfConfig(c, this.addrs), member: gossip()?.localMember() ?? null, stats };
      },
      members: (): AgentMembers => ({ ServerName: this.nodeName, ServerRegion: c.region, ServerDC: c.datacenter, Members: gossip()?.members() ?? [] }),
      servers: () => (this.server ? [this.addrs.advertise.rpc] : (this.remote?.list.ordered() ?? [])),
      setServers: (addrs: string[]) => {
        if (!this.remote) throw badRequest('this agent runs its own server; its client cannot be pointed elsewhere');
        this.remote.setServers(addrs);
      },
      join: async (addrs: string[]) => {
        const g = gossip();
        // Nomad's client-only agents join nothing; servers join the servers' pool.
        if (!g) return { num_joined: 0, error: 'this agent runs no server: there is no gossip pool to join' };
        return g.join(addrs);
      },
      forceLeave: async (node: string, prune: boolean) => {
        const g = gossip();
        if (!g) throw badRequest('this agent runs no server: there is no gossip pool');
        g.forceLeave(node, prune);
      },
      keyring: (op, key) => {
        const g = gossip();
        if (!g) throw badRequest('this agent runs no server: there is no gossip keyring');
        return g.keyring(op, key);
      },
      ...(this.logger instanceof AgentLogger ? { monitor: (level, json) => this.monitorLog(this.logger as AgentLogger, level, json) } : {}),
      profile: (kind, seconds) => takeProfile(kind, seconds),
      debugEnabled: c.enableDebug,
      serverNames: () => (this.role ? [this.nodeName, `${this.nodeName}.${c.region}`, this.role.serverId] : []),
      health: (): AgentHealth => {
        const h: AgentHealth = {};
        if (this.server) h.server = { ok: true, message: 'ok' };
        if (this.client) {
          const ok = this.client.nodeId !== '';
          h.client = { ok, message: ok ? 'ok' : 'client not yet registered' };
        }
        return h;
      },
    };
  }
}

/** Where this agent reaches its own HTTP listener: the bound address, or loopback for a wildcard. */
function loopbackFor(bindIp: string): string {
  if (bindIp === '0.0.0.0' || bindIp === '') return '127.0.0.1';
  if (bindIp === '::' || bindIp === '[::]') return '::1';
  return bindIp;
}
