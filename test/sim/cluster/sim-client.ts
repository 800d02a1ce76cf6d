// A simulated client node: what a Nomad client does toward the servers, without running tasks.
// It registers with its capacity, heartbeats within its TTL through any server (moving to another
// server when one fails it), follows its allocations with blocking queries, reports them running
// (and healthy), sometimes failed or complete, and stops what the servers stop. It can die and
// come back; what it ran is kept across its lives, as a client's state database keeps it.
import type { SeededRng } from '../../../src/raft/rng.js';
import type { AllocClientUpdate, NodeClientAllocsResponse, NodeHeartbeatResponse, NodeRegisterResponse } from '../../../src/rpc/protocol.js';
import type { Allocation, AllocClientStatus } from '../../../src/structs/alloc.js';
import { clientTerminal } from '../../../src/structs/alloc.js';
import { NomadError } from '../../../src/structs/errors.js';
import type { Node } from '../../../src/structs/node.js';
import { rfc3339Nano } from '../../../src/structs/time.js';
import { mockNode } from '../../unit/scheduler/mock.js';
import { HostLife, type SimLoop } from './sim-loop.js';
import type { SimNetwork } from './sim-net.js';
import { CLIENT_METHODS } from './sim-server.js';

export interface ClientCapacity {
  cpuShares: number;
  memoryMB: number;
}

interface RunState {
  status: AllocClientStatus;
  /** The server's AllocModifyIndex last fetched. */
  modifyIndex: number;
}

export interface ClientStats {
  registrations: number;
  heartbeats: number;
  failovers: number;
  updatesAcked: number;
}

/** How long the client's blocking query for its allocations waits on a server. */
const ALLOC_WAIT_MS = 5_000;

export class SimClient {
  readonly node: Node;
  up = false;
  readonly stats: ClientStats = { registrations: 0, heartbeats: 0, failovers: 0, updatesAcked: 0 };
  /** What this node ran and its status: survives restarts. */
  private readonly runs = new Map<string, RunState>();
  private life: HostLife | null = null;
  private lives = 0;
  private serverAt: number;
  private ttlMs = 2_000;
  private pending = new Map<string, AllocClientUpdate>();
  private sending = false;

  constructor(
    readonly host: string,
    nodeId: string,
    secretId: string,
    capacity: ClientCapacity,
    private readonly servers: readonly string[],
    private readonly loop: SimLoop,
    private readonly net: SimNetwork,
    private readonly rng: SeededRng,
  ) {
    const n = mockNode({ id: nodeId, name: host, cpuShares: capacity.cpuShares, memoryMB: capacity.memoryMB, drivers: ['mock_driver'], ip: `10.1.0.${servers.length + 1}` });
    this.node = { ...n, SecretID: secretId };
    this.serverAt = rng.nextInt(servers.length);
  }

  start(): void {
    if (this.up) return;
    this.up = true;
    const life = new HostLife(this.loop, this.host, ++this.lives);
    this.life = life;
    this.pending = new Map();
    this.sending = false;
    void this.register(life);
  }

  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.life?.end();
    this.life = null;
  }

  /** Up, and every status report acknowledged by the servers. */
  get settled(): boolean {
    return this.up && this.pending.size === 0 && !this.sending;
  }

  /** Whether the client was ever told of the allocation (pulled it after its node's list named it). */
  knows(allocId: string): boolean {
    return this.runs.has(allocId);
  }

  /** Runs that the client holds as not finished. */
  liveRuns(): string[] {
    return [...this.runs].filter(([, r]) => !clientTerminal(r.status)).map(([id]) => id);
  }

  private get server(): string {
    return this.servers[this.serverAt]!;
  }

  private failover(): void {
    this.stats.failovers++;
    this.serverAt = (this.serverAt + 1 + this.rng.nextInt(this.servers.length - 1)) % this.servers.length;
  }

  private call<T>(life: HostLife, method: string, args: unknown, timeoutMs: number): Promise<T> {
    return this.net.call(this.host, life, this.server, method, args, timeoutMs) as Promise<T>;
  }

  private sleep(life: HostLife, ms: number): Promise<void> {
    return new Promise((resolve) => life.after(ms, resolve));
  }

  private async register(life: HostLife): Promise<void> {
    while (life.isAlive) {
      try {
        const r = await this.call<NodeRegisterResponse>(life, CLIENT_METHODS.nodeRegister, { Node: { ...this.node, Status: 'ready' } }, 5_000);
        this.ttlMs = r.HeartbeatTTLMs;
        this.stats.registrations++;
        break;
      } catch {
        this.failover();
        await this.sleep(life, 200 + this.rng.nextInt(400));
      }
    }
    if (!life.isAlive) return;
    // After a restart the client tells the servers where its allocations stand, as a restored
    // client does once its alloc runners reattach.
    for (const [id, run] of this.runs) if (run.status !== 'pending') this.pending.set(id, this.updateFor(life, id, run.status));
    void this.heartbeats(life);
    void this.watchAllocs(life);
    this.flushUpdates(life);
  }

  private async heartbeats(life: HostLife): Promise<void> {
    let delayMs = this.ttlMs / 2;
    while (life.isAlive) {
      await this.sleep(life, delayMs);
      if (!life.isAlive) return;
      try {
        const r = await this.call<NodeHeartbeatResponse>(life, CLIENT_METHODS.nodeUpdateStatus, { NodeID: this.node.ID, Status: 'ready' }, 2_000);
        this.ttlMs = r.HeartbeatTTLMs;
        this.stats.heartbeats++;
        delayMs = this.ttlMs / 2 + this.rng.nextInt(Math.max(1, Math.floor(this.ttlMs / 4)));
      } catch (e) {
        // A server that forgot the node (its state was lost with a write): register again.
        if (e instanceof NomadError && e.kind === 'not_found') {
          void this.register(life);
          return;
        }
        this.failover();
        delayMs = 100 + this.rng.nextInt(200);
      }
    }
  }

  private async watchAllocs(life: HostLife): Promise<void> {
    let minIndex = 0;
    while (life.isAlive) {
      let r: NodeClientAllocsResponse;
      try {
        r = await this.call<NodeClientAllocsResponse>(life, CLIENT_METHODS.nodeGetClientAllocs, { NodeID: this.node.ID, MinIndex: minIndex, MaxWaitMs: ALLOC_WAIT_MS, ChangesOnly: true }, ALLOC_WAIT_MS + 2_000);
      } catch {
        this.failover();
        await this.sleep(life, 100 + this.rng.nextInt(300));
        continue;
      }
      if (!life.isAlive) return;
      const changed = Object.entries(r.Allocs)
        .filter(([id, modifyIndex]) => this.runs.get(id)?.modifyIndex !== modifyIndex)
        .map(([id]) => id);
      if (changed.length > 0) {
        let got: { Allocs: Allocation[] };
        try {
          got = await this.call<{ Allocs: Allocation[] }>(life, CLIENT_METHODS.allocGetAllocs, { AllocIDs: changed, MinIndex: r.Index }, 5_000);
        } catch {
          this.failover();
          continue;
        }
        for (const a of got.Allocs) this.onAlloc(life, a);
      }
      minIndex = Math.max(minIndex, r.Index);
    }
  }

  /** What an alloc runner would do with the allocation as the servers now want it. */
  private onAlloc(life: HostLife, a: Allocation): void {
    const known = this.runs.get(a.ID);
    const run: RunState = known ?? { status: 'pending', modifyIndex: 0 };
    run.modifyIndex = a.AllocModifyIndex;
    this.runs.set(a.ID, run);
    if (clientTerminal(run.status)) return;
    if (a.DesiredStatus !== 'run') {
      life.after(10 + this.rng.nextInt(90), () => this.report(life, a.ID, 'complete'));
      return;
    }
    if (run.status !== 'pending') return;
    life.after(20 + this.rng.nextInt(300), () => {
      if (this.runs.get(a.ID)?.status !== 'pending') return;
      this.report(life, a.ID, 'running');
      const batch = a.Job?.Type === 'batch';
      const ends = batch || this.rng.chance(0.05);
      if (!ends) return;
      life.after(200 + this.rng.nextInt(3_000), () => {
        if (this.runs.get(a.ID)?.status !== 'running') return;
        this.report(life, a.ID, batch && this.rng.chance(0.85) ? 'complete' : 'failed');
      });
    });
  }

  private report(life: HostLife, allocId: string, status: AllocClientStatus): void {
    const run = this.runs.get(allocId);
    if (!run || !life.isAlive || clientTerminal(run.status)) return;
    run.status = status;
    this.pending.set(allocId, this.updateFor(life, allocId, status));
    this.flushUpdates(life);
  }

  /** A status report; running allocations report themselves healthy (for deployments). */
  private updateFor(life: HostLife, allocId: string, status: AllocClientStatus): AllocClientUpdate {
    const now = rfc3339Nano(life.nowNs());
    const health = status === 'running' ? true : status === 'failed' ? false : null;
    return {
      ID: allocId,
      ClientStatus: status,
      ClientDescription: status === 'failed' ? 'task failed' : '',
      TaskStates: {},
      DeploymentStatus: health === null ? null : { Healthy: health, Timestamp: now, Canary: false, ModifyIndex: 0 },
    };
  }

  /** Sends the reports not yet acknowledged, retrying through other servers until one takes them. */
  private flushUpdates(life: HostLife): void {
    if (this.sending || this.pending.size === 0 || !life.isAlive) return;
    this.sending = true;
    const batch = [...this.pending.values()];
    this.call<{ Index: number }>(life, CLIENT_METHODS.nodeUpdateAlloc, { Alloc: batch }, 5_000).then(
      () => {
        for (const u of batch) if (this.pending.get(u.ID) === u) this.pending.delete(u.ID);
        this.stats.updatesAcked += batch.length;
        this.sending = false;
        this.flushUpdates(life);
      },
      () => {
        this.failover();
        life.after(100 + this.rng.nextInt(200), () => {
          this.sending = false;
          this.flushUpdates(life);
        });
      },
    );
  }
}
