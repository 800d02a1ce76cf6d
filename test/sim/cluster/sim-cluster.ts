// The simulated world's hosts: the servers (with their gossip membership), the client nodes and
// the operator's workload, and the two things faults and checks do to servers: start one (a new
// life from its disk, its applied entries watched by the checkers) and crash one.
import type { SeededRng } from '../../../src/raft/rng.js';
import { newScheduler } from '../../../src/scheduler/index.js';
import type { LogEntry } from '../../../src/state/log-entries.js';
import type { ClusterChecker } from './checkers.js';
import { SimClient } from './sim-client.js';
import { SimLoop, SimRandom } from './sim-loop.js';
import { SimGossipPool, type PoolMember } from './sim-membership.js';
import { SimNetwork } from './sim-net.js';
import { SimServer, type SimServerParams, type SimWorld } from './sim-server.js';
import { JobWorkload } from './workload.js';

export interface ClusterShape {
  servers: number;
  clients: number;
  params: SimServerParams;
}

export class SimCluster {
  readonly loop = new SimLoop();
  readonly net: SimNetwork;
  readonly pool: SimGossipPool;
  readonly servers: SimServer[] = [];
  readonly clients: SimClient[] = [];
  readonly workload: JobWorkload;
  private readonly members = new Map<SimServer, PoolMember>();
  /** A check that failed inside a callback of the code under test (which may catch what it calls). */
  violation: Error | null = null;

  constructor(
    shape: ClusterShape,
    rng: SeededRng,
    private readonly checker: ClusterChecker,
    /** Where what happens is told (faults, starts, crashes, server logs). */
    readonly note: (line: string) => void,
    debugLogs: boolean,
  ) {
    this.net = new SimNetwork(this.loop, rng.fork());
    this.pool = new SimGossipPool(this.loop, this.net);
    const world: SimWorld = {
      loop: this.loop,
      net: this.net,
      pool: this.pool,
      newScheduler,
      log: (host, level, msg, fields) => {
        if (level === 'debug' && !debugLogs) return;
        note(`${host} ${level} ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}`);
      },
    };
    const ids = new SimRandom(rng.fork());
    for (let i = 1; i <= shape.servers; i++) {
      const s = new SimServer(world, `10.0.0.${i}:4647`, `server-${i}`, ids.uuid(), shape.params, rng.next32());
      this.servers.push(s);
      const m: PoolMember = { address: s.address, name: `${s.name}.global`, id: s.id, bootstrapExpect: shape.params.bootstrapExpect, isUp: () => s.up, left: false };
      this.members.set(s, m);
      this.pool.add(m);
    }
    for (let i = 1; i <= shape.clients; i++) {
      const capacity = { cpuShares: 1_000 + 500 * rng.nextInt(3), memoryMB: 1_024 + 512 * rng.nextInt(3) };
      this.clients.push(new SimClient(`client-${i}`, ids.uuid(), ids.uuid(), capacity, this.addresses, this.loop, this.net, rng.fork()));
    }
    this.workload = new JobWorkload(this.loop, this.net, this.addresses, rng.fork(), { maxJobs: 3 + rng.nextInt(5), meanGapMs: 300 + rng.nextInt(700) });
  }

  get addresses(): string[] {
    return this.servers.map((s) => s.address);
  }

  leader(): SimServer | undefined {
    return this.servers.find((s) => s.current?.consensus.isLeader());
  }

  /** Runs `fn` as a check: what it throws fails the run at the next step. */
  checked(fn: () => void): void {
    if (this.violation) return;
    try {
      fn();
    } catch (e) {
      this.violation = e instanceof Error ? e : new Error(String(e));
    }
  }

  startServer(s: SimServer): void {
    if (s.up) return;
    this.note(`start ${s.name}`);
    // A server that left rejoins the pool when it starts again (its retry_join).
    this.members.get(s)!.left = false;
    const checker = this.checker;
    s.start().then(
      () => {
        const c = s.current;
        if (!c) return;
        c.fsm.onApplied({
          applied: (_index: number, entry: LogEntry) =>
            this.checked(() => {
              checker.state(s.name, c.store, false);
              if (entry.Type === 'PlanApply') checker.capacity(s.name, c.store.snapshot());
            }),
          restored: () =>
            this.checked(() => {
              checker.state(s.name, c.store, true);
              checker.capacity(s.name, c.store.snapshot());
            }),
        });
      },
      (e: unknown) =>
        this.checked(() => {
          throw e;
        }),
    );
  }

  crashServer(s: SimServer, why: string): void {
    if (!s.up) return;
    this.note(`crash ${s.name} (${why})`);
    s.crash();
  }

  /** Graceful leave (leave_on_terminate): the pool hears "left"; the process exits soon after. */
  leave(s: SimServer): void {
    this.members.get(s)!.left = true;
    this.note(`${s.name} leaves`);
  }

  hasLeft(s: SimServer): boolean {
    return this.members.get(s)!.left;
  }
}
