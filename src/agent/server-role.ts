// The server role of an agent. Dev mode: a single-node log in memory. Otherwise a member of a
// Raft cluster: the log, stable store and snapshots under data_dir/server/raft, the RPC listener
// (port 4647) that carries Raft and the servers' calls to each other, the gossip pool that finds
// the other servers, bootstrap_expect and autopilot.
import { DEFAULT_EVENT_BUFFER_SIZE } from '../server/event-broker.js';
import { join } from 'node:path';
import { generateId } from '../structs/ids.js';
import type { Metrics } from '../structs/metrics.js';
import { ACL_BOOTSTRAP_RESET_FILE } from '../server/acl-endpoints.js';
import { StateStore } from '../state/store.js';
import { FSM } from '../state/fsm.js';
import { InMemoryConsensus } from '../server/consensus-memory.js';
import { RaftConsensus } from '../server/consensus-raft.js';
import type { Consensus } from '../server/consensus.js';
import { isClusterConsensus } from '../server/consensus.js';
import { Server } from '../server/server.js';
import { openFileStores } from '../raft/index.js';
import { InProcessRpc, RpcPool, RpcRaftTransport, RpcServer } from '../rpc/index.js';
import type { ResolvedAddresses } from './addresses.js';
import type { AgentConfig } from './config.js';
import type { Logger } from './logger.js';
import { openServerDataDir } from './server-data-dir.js';
import { ServerGossip } from './server-gossip.js';
import type { ServerMembership } from '../server/server-members.js';
import { loadRpcTls } from './tls-config.js';

export interface ServerRole {
  readonly server: Server;
  readonly store: StateStore;
  readonly consensus: Consensus;
  readonly gossip: ServerGossip;
  readonly serverId: string;
  /** The RPC listener and the pool of calls to other agents (absent in dev mode). */
  readonly rpc: { server: RpcServer; pool: RpcPool } | null;
  /** The client calls of this server without the network: for a client in the same agent. */
  readonly local: InProcessRpc;
  /** Leaves the gossip pool and, in a cluster, the Raft peers (bounded). */
  leave(): Promise<void>;
  /** Stops everything the role started. */
  shutdown(): Promise<void>;
}

export interface ServerRoleOptions {
  config: AgentConfig;
  addrs: ResolvedAddresses;
  nodeName: string;
  logger: Logger;
  /** The agent's registry: the FSM, the log, the server, gossip and RPC report into it. */
  metrics: Metrics;
}

/** How long a leaving server waits to see itself removed from the Raft configuration. */
const LEAVE_DRAIN_MS = 5_000;

export async function startServerRole(opts: ServerRoleOptions): Promise<ServerRole> {
  return opts.config.devMode ? startDevServer(opts) : startClusterServer(opts);
}

/** The event stream's buffer on this server, fed by its FSM (none when the event broker is off). */
function eventOptions(c: AgentConfig, fsm: FSM): { events?: { feed: FSM; bufferSize: number } } {
  return c.server.enableEventBroker ? { events: { feed: fsm, bufferSize: c.server.eventBufferSize || DEFAULT_EVENT_BUFFER_SIZE } } : {};
}

function serverOptions(c: AgentConfig, nodeName: string, logger: Logger, metrics: Metrics) {
  return {
    metrics,
    disableDispatchedJobSummaryMetrics: c.telemetry.disableDispatchedJobSummaryMetrics,
    region: c.region,
    datacenter: c.datacenter,
    nodeName,
    aclEnabled: c.acl.enabled,
    ...(c.server.numSchedulers !== null ? { numSchedulers: c.server.numSchedulers } : {}),
    heartbeat: { minHeartbeatTtlMs: c.server.minHeartbeatTtlMs, heartbeatGraceMs: c.server.heartbeatGraceMs, maxHeartbeatsPerSecond: c.server.maxHeartbeatsPerSecond },
    aclBootstrapResetPath: c.dataDir ? join(c.dataDir, 'server', ACL_BOOTSTRAP_RESET_FILE) : null,
    replication: { authoritativeRegion: c.server.authoritativeRegion, replicationToken: c.acl.replicationToken },
    gc: {
      intervalMs: c.server.jobGcIntervalMs,
      jobGcThresholdMs: c.server.jobGcThresholdMs,
      evalGcThresholdMs: c.server.evalGcThresholdMs,
      deploymentGcThresholdMs: c.server.deploymentGcThresholdMs,
      nodeGcThresholdMs: c.server.nodeGcThresholdMs,
    },
    logger: logger.named('nomad'),
  };
}

async function startDevServer(opts: ServerRoleOptions): Promise<ServerRole> {
  const { config: c, addrs, nodeName, logger, metrics } = opts;
  const serverId = generateId();
  const store = new StateStore();
  const fsm = new FSM(store, { metrics });
  // The Raft ID is the server's ID, as in a cluster (Raft protocol 3): list-peers shows the same ID as gossip.
  const consensus = new InMemoryConsensus(fsm, { serverId, rpcAddr: addrs.advertise.rpc, metrics });
  const server = new Server({ ...serverOptions(c, nodeName, logger, metrics), ...eventOptions(c, fsm), store, applied: fsm, consensus, rpcAddr: addrs.advertise.rpc });
  const gossip = await ServerGossip.start({ config: c, addrs, nodeName, serverId, logger: logger.named('nomad'), metrics });
  server.start();
  return {
    server,
    store,
    consensus,
    gossip,
    serverId,
    rpc: null,
    local: localRpc(server),
    leave: () => gossip.leave().catch((e: unknown) => logger.warn('agent: leave failed', { error: e })),
    async shutdown() {
      await server.shutdown();
      await consensus.shutdown();
      await gossip.shutdown();
    },
  };
}

async function startClusterServer(opts: ServerRoleOptions): Promise<ServerRole> {
  const { config: c, addrs, nodeName, metrics } = opts;
  const log = opts.logger.named('nomad');
  const data = openServerDataDir(c.dataDir, c.region, generateId);
  const store = new StateStore();
  const fsm = new FSM(store, { metrics });
  const stores = await openFileStores(data.raftDir, { onRepair: (m) => log.warn(`raft: ${m}`) });
  const rpcLog = opts.logger.named('nomad.rpc');
  // The region of the server at an RPC address, from the gossip pool once it runs: a server of
  // another region is checked for that region's role name.
  let gossipMembers: ServerMembership | null = null;
  const regionOf = (addr: string): string => gossipMembers?.members().find((m) => m.rpcAddr === addr)?.region ?? c.region;
  const tls = loadRpcTls(c, rpcLog, regionOf);
  const rpcServer = new RpcServer({ bindHost: addrs.bindIp.rpc, port: c.ports.rpc, logger: rpcLog, metrics, ...(tls ? { tls: tls.server } : {}) });
  const pool = new RpcPool({ logger: rpcLog, ...(tls ? { tls: tls.pool } : {}) });
  const started: Array<() => Promise<unknown>> = [() => pool.close(), () => rpcServer.close()];
  const undo = async (): Promise<void> => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  try {
    const transport = new RpcRaftTransport({ server: rpcServer, pool, localAddress: addrs.advertise.rpc });
    try {
      await rpcServer.listen();
    } catch (e) {
      throw new Error(`Failed to start RPC layer: listen on ${addrs.bindIp.rpc}:${c.ports.rpc}: ${(e as Error).message}`);
    }
    log.info(`server: using data dir ${data.dir}, server ID ${data.serverId}`);
    const consensus = await RaftConsensus.open({
      fsm,
      serverId: data.serverId,
      transport,
      stores,
      logger: log,
      raftMultiplier: c.server.raftMultiplier,
      snapshotThresholdEntries: c.server.raftSnapshotThreshold,
      snapshotIntervalMs: c.server.raftSnapshotIntervalMs,
      trailingLogs: c.server.raftTrailingLogs,
      metrics,
    });
    started.push(() => consensus.shutdown());
    const gossip = await ServerGossip.start({ config: c, addrs, nodeName, serverId: data.serverId, logger: log, snapshotPath: join(data.dir, 'serf', 'snapshot'), metrics });
    started.push(() => gossip.shutdown());
    gossipMembers = gossip.serverMembership();
    const server = new Server({
      ...serverOptions(c, nodeName, opts.logger, metrics),
      ...eventOptions(c, fsm),
      store,
      applied: fsm,
      consensus,
      rpcAddr: addrs.advertise.rpc,
      peers: pool,
      cluster: { membership: gossip.serverMembership(), bootstrapExpect: c.server.bootstrapExpect },
    });
    for (const [method, handler] of Object.entries(server.rpcHandlers())) rpcServer.handle(method, (args, ctx) => handler(args, ctx));
    for (const [method, handler] of Object.entries(server.nodeRpcHandlers())) rpcServer.handle(method, handler);
    seedAutopilotConfig(server, c, log);
    server.start();
    return {
      server,
      store,
      consensus,
      gossip,
      serverId: data.serverId,
      rpc: { server: rpcServer, pool },
      local: localRpc(server),
      leave: () => leaveCluster(consensus, gossip, log, data.serverId),
      async shutdown() {
        await server.shutdown();
        await consensus.shutdown();
        await gossip.shutdown();
        await rpcServer.close();
        await pool.close();
      },
    };
  } catch (e) {
    await undo();
    await stores.logStore.close().catch(() => undefined);
    throw e;
  }
}

/** The node calls served in process, for the client of the same agent. */
function localRpc(server: Server): InProcessRpc {
  const rpc = new InProcessRpc();
  for (const [method, handler] of Object.entries(server.nodeRpcHandlers())) rpc.handle(method, handler);
  return rpc;
}

/**
 * The autopilot block sets the cluster's autopilot configuration until an operator changes it:
 * the first leader writes it (compare-and-set against "never written", so it never overwrites).
 */
function seedAutopilotConfig(server: Server, c: AgentConfig, log: Logger): void {
  server.onLeadershipEstablished(() => {
    const current = server.store.snapshot().autopilotConfig();
    if (current.ModifyIndex > 0) return;
    const a = c.autopilot;
    server.operator
      .setAutopilotConfig(
        {
          ...current,
          CleanupDeadServers: a.cleanupDeadServers,
          LastContactThreshold: a.lastContactThresholdMs * 1e6,
          MaxTrailingLogs: a.maxTrailingLogs,
          MinQuorum: a.minQuorum,
          ServerStabilizationTime: a.serverStabilizationTimeMs * 1e6,
        },
        0,
      )
      .catch((e: Error) => log.warn('writing the autopilot configuration failed', { error: e.message }));
  });
}

/**
 * A graceful leave: a leader hands leadership over first (so the cluster keeps a leader), then the
 * server leaves the gossip pool; the leader's autopilot removes it from Raft, which this waits for
 * (bounded) so that the quorum shrinks before the process goes away.
 */
async function leaveCluster(consensus: Consensus, gossip: ServerGossip, log: Logger, selfId: string): Promise<void> {
  if (isClusterConsensus(consensus) && consensus.isLeader() && consensus.stats().configuration.filter((s) => s.Voter).length > 1) {
    await consensus.transferLeadership().catch((e: Error) => log.warn('leadership transfer before leaving failed', { error: e.message }));
  }
  await gossip.leave().catch((e: unknown) => log.warn('agent: leave failed', { error: e }));
  const deadline = Date.now() + LEAVE_DRAIN_MS;
  while (Date.now() < deadline && consensus.stats().configuration.some((s) => s.ID === selfId) && consensus.stats().configuration.length > 1) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (consensus.stats().configuration.some((s) => s.ID === selfId) && consensus.stats().configuration.length > 1) {
    log.warn('left the gossip pool, but the leader has not removed this server from the Raft peers yet');
  } else log.info('removed from the Raft peers');
}
