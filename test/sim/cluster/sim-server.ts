// One server host of the simulated cluster: a real Server with its real FSM, StateStore and
// RaftConsensus, on the simulated disk, network, gossip pool and clock. A crash ends the host's
// life at once (no shutdown: timers never fire, answers never leave, unsynced writes are lost);
// a restart builds everything again from what the disk kept, as a new process would.
import { SeededRng } from '../../../src/raft/rng.js';
import { FSM } from '../../../src/state/fsm.js';
import { StateStore } from '../../../src/state/store.js';
import { RaftConsensus } from '../../../src/server/consensus-raft.js';
import { Server } from '../../../src/server/server.js';
import type { NewScheduler } from '../../../src/server/lazy-modules.js';
import type { Logger } from '../../../src/server/logger.js';
import type { Job } from '../../../src/structs/job.js';
import type { Node, NodeStatus } from '../../../src/structs/node.js';
import type { AllocClientUpdate } from '../../../src/rpc/protocol.js';
import { SimDisk, type DiskLatency } from './sim-disk.js';
import { HostLife, SimRandom, type SimLoop } from './sim-loop.js';
import type { SimGossipPool } from './sim-membership.js';
import type { SimNetwork, RpcHandlers } from './sim-net.js';

/** The server settings of a simulated cluster (shorter than production's where a run would idle). */
export interface SimServerParams {
  bootstrapExpect: number;
  snapshotThresholdEntries: number;
  trailingLogs: number;
  snapshotIntervalMs: number;
  numSchedulers: number;
  disk: DiskLatency;
}

export interface SimWorld {
  readonly loop: SimLoop;
  readonly net: SimNetwork;
  readonly pool: SimGossipPool;
  readonly newScheduler: NewScheduler;
  /** Every line the servers log, with the host's name (kept for a failing seed's report). */
  log(host: string, level: string, msg: string, fields?: object): void;
}

/** Methods clients and operators call on a server, as its RPC listener would route them. */
export const CLIENT_METHODS = {
  nodeRegister: 'Node.Register',
  nodeUpdateStatus: 'Node.UpdateStatus',
  nodeGetClientAllocs: 'Node.GetClientAllocs',
  allocGetAllocs: 'Alloc.GetAllocs',
  nodeUpdateAlloc: 'Node.UpdateAlloc',
  jobRegister: 'Job.Register',
  jobDeregister: 'Job.Deregister',
} as const;

/** Where in the state a server's life stands (for the checkers). */
export interface ServerLife {
  readonly life: HostLife;
  readonly store: StateStore;
  readonly fsm: FSM;
  readonly consensus: RaftConsensus;
  readonly server: Server;
}

export class SimServer {
  readonly disk: SimDisk;
  current: ServerLife | null = null;
  /** True between a start and the crash that ends it (also while the life is still opening). */
  up = false;
  lives = 0;
  crashes = 0;
  private life: HostLife | null = null;
  private readonly rng: SeededRng;

  constructor(
    readonly world: SimWorld,
    readonly address: string,
    readonly name: string,
    readonly id: string,
    readonly params: SimServerParams,
    seed: number,
  ) {
    this.rng = new SeededRng(seed);
    this.disk = new SimDisk(name, this.rng.fork(), params.disk);
  }

  /** Starts a new life from what the disk holds; resolves once it serves. */
  async start(): Promise<void> {
    if (this.up) return;
    this.up = true;
    const { loop, net, pool } = this.world;
    const life = new HostLife(loop, this.address, ++this.lives);
    this.life = life;
    const logger = this.logger();
    const store = new StateStore({ clock: life });
    const fsm = new FSM(store, { logger });
    const consensus = await RaftConsensus.open({
      fsm,
      serverId: this.id,
      transport: net.raftTransport(this.address, life),
      stores: this.disk.mount(life),
      logger,
      clock: life,
      randomSeed: this.rng.next32(),
      snapshotThresholdEntries: this.params.snapshotThresholdEntries,
      snapshotIntervalMs: this.params.snapshotIntervalMs,
      trailingLogs: this.params.trailingLogs,
      // Small byte bounds too (about 2 KiB and 1 KiB an entry), so that in some runs the bytes
      // of the entries, not their number, decide when to snapshot and what to keep.
      snapshotThresholdBytes: this.params.snapshotThresholdEntries * 2048,
      trailingLogsMaxBytes: this.params.trailingLogs * 1024,
    });
    if (!life.isAlive) return;
    const server = new Server({
      region: 'global',
      datacenter: 'dc1',
      nodeName: this.name,
      store,
      applied: fsm,
      consensus,
      rpcAddr: this.address,
      clock: life,
      random: new SimRandom(this.rng.fork()),
      numSchedulers: this.params.numSchedulers,
      newScheduler: this.world.newScheduler,
      logger,
      peers: { call: (addr, method, args, opts) => net.call(this.address, life, addr, method, args, opts?.timeoutMs ?? 10_000) as Promise<never> },
      cluster: { membership: pool.viewFor(this.address, life), bootstrapExpect: this.params.bootstrapExpect },
      heartbeat: { minHeartbeatTtlMs: 2_000, heartbeatGraceMs: 2_000, failoverHeartbeatTtlMs: 10_000 },
      broker: { nackTimeoutMs: 5_000, initialNackDelayMs: 200, subsequentNackDelayMs: 1_000 },
      failedEvalFollowupMs: 3_000,
    });
    this.current = { life, store, fsm, consensus, server };
    net.listen(this.address, life, { ...server.rpcHandlers(), ...clientHandlers(server) });
    server.start();
  }

  /** The process dies: nothing more runs, nothing unsynced survives. */
  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.crashes++;
    this.current = null;
    this.life?.end();
    this.life = null;
    this.world.net.hostDown(this.address);
    this.disk.crash();
  }

  private logger(): Logger {
    const host = this.name;
    const w = this.world;
    return {
      debug: (msg, fields) => w.log(host, 'debug', msg, fields),
      info: (msg, fields) => w.log(host, 'info', msg, fields),
      warn: (msg, fields) => w.log(host, 'warn', msg, fields),
      error: (msg, fields) => w.log(host, 'error', msg, fields),
    };
  }
}

/** The client and job calls a server answers, routed to its endpoints (writes reach the leader). */
function clientHandlers(server: Server): RpcHandlers {
  type A = Record<string, unknown>;
  return {
    [CLIENT_METHODS.nodeRegister]: (a) => server.nodes.nodeRegister((a as A)['Node'] as Node),
    [CLIENT_METHODS.nodeUpdateStatus]: (a) => server.nodes.nodeUpdateStatus((a as A)['NodeID'] as string, (a as A)['Status'] as NodeStatus),
    [CLIENT_METHODS.nodeGetClientAllocs]: (a) => server.nodes.nodeGetClientAllocs((a as A)['NodeID'] as string, (a as A)['MinIndex'] as number, (a as A)['MaxWaitMs'] as number, (a as A)['ChangesOnly'] === true),
    [CLIENT_METHODS.allocGetAllocs]: (a) => server.nodes.allocGetAllocs((a as A)['AllocIDs'] as string[], (a as A)['MinIndex'] as number),
    [CLIENT_METHODS.nodeUpdateAlloc]: (a) => server.nodes.nodeUpdateAllocs((a as A)['Alloc'] as AllocClientUpdate[]),
    [CLIENT_METHODS.jobRegister]: (a) => server.jobs.register((a as A)['Job'] as Job),
    [CLIENT_METHODS.jobDeregister]: (a) => server.jobs.deregister((a as A)['Namespace'] as string, (a as A)['JobID'] as string, false),
  };
}
