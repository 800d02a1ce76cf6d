// One simulated client node: it registers with the real servers over the real RPC (its own node
// ID and secret), heartbeats at about half its TTL, watches its allocations with the blocking
// Node.GetClientAllocs, and reports every new allocation running at once (the mock driver
// "runs" it) and every allocation told to stop complete. No tasks run: the servers cannot tell.
import { randomUUID } from 'node:crypto';
import type { AllocClientUpdate } from '../../src/rpc/protocol.js';
import type { TaskState } from '../../src/structs/alloc.js';
import { newNode, type Node } from '../../src/structs/node.js';
import { rfc3339Nano } from '../../src/structs/time.js';
import { NodeRpcClient } from '../../src/client/node-rpc-client.js';
import type { RpcCaller } from '../../src/rpc/types.js';
import type { ServerList } from '../../src/client/server-list.js';

/** How long one Node.GetClientAllocs waits for a change. */
const WATCH_WAIT_MS = 30_000;
/** Reports of one node are gathered this long, then sent in one Node.UpdateAlloc. */
const REPORT_BATCH_MS = 50;
/** After a failed call, the node waits this long before trying again. */
const RETRY_MS = 1_000;

export interface SimNodeDeps {
  caller: RpcCaller;
  servers: ServerList;
  region: string;
  datacenter: string;
  name: string;
  cpuMhz: number;
  memoryMB: number;
  /** Counters shared by every node of the simulation. */
  stats: SimStats;
  /** An allocation was reported running (wall-clock ms). */
  onRunning?: (allocId: string, atMs: number) => void;
}

export interface SimStats {
  registered: number;
  heartbeats: number;
  heartbeatFailures: number;
  reportedRunning: number;
  reportedComplete: number;
  callFailures: number;
}

export function newSimStats(): SimStats {
  return { registered: 0, heartbeats: 0, heartbeatFailures: 0, reportedRunning: 0, reportedComplete: 0, callFailures: 0 };
}

function runningState(nowNs: number): Record<string, TaskState> {
  return { task: { State: 'running', Failed: false, Restarts: 0, LastRestart: null, StartedAt: rfc3339Nano(nowNs), FinishedAt: null, Events: [], TaskHandle: null } };
}

function deadState(nowNs: number): Record<string, TaskState> {
  return { task: { State: 'dead', Failed: false, Restarts: 0, LastRestart: null, StartedAt: null, FinishedAt: rfc3339Nano(nowNs), Events: [], TaskHandle: null } };
}

export class SimNode {
  readonly node: Node;
  private readonly rpc: NodeRpcClient;
  private running = false;
  private ttlMs = 10_000;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private reportTimer: NodeJS.Timeout | null = null;
  /** An update is in flight (at most one at a time). */
  private sending = false;
  /** Allocation ID -> AllocModifyIndex as last seen. */
  private readonly known = new Map<string, number>();
  private readonly stopped = new Set<string>();
  private pending: AllocClientUpdate[] = [];
  private readonly abort = new AbortController();

  constructor(private readonly deps: SimNodeDeps) {
    this.rpc = new NodeRpcClient({ caller: deps.caller, region: deps.region, servers: deps.servers });
    this.node = newNode({
      ID: randomUUID(),
      SecretID: randomUUID(),
      Datacenter: deps.datacenter,
      Name: deps.name,
      Attributes: { 'kernel.name': 'linux', 'unique.hostname': deps.name, 'unique.network.ip-address': '127.0.0.1', 'driver.mock_driver': '1', 'nomad.version': '1.1.2' },
      NodeResources: {
        Cpu: { CpuShares: deps.cpuMhz, TotalCpuCores: 4, ReservableCpuCores: null },
        Memory: { MemoryMB: deps.memoryMB },
        Disk: { DiskMB: 100_000 },
        Networks: null,
        NodeNetworks: null,
        Devices: null,
      },
      Drivers: { mock_driver: { Attributes: null, Detected: true, Healthy: true, HealthDescription: 'Healthy', UpdateTime: rfc3339Nano(Date.now() * 1e6) } },
      ComputedClass: 'v1:nodesim',
      Status: 'ready',
    });
  }

  /** Registers (retrying until it works or stop), then heartbeats and watches in the background. */
  async start(): Promise<void> {
    this.running = true;
    for (;;) {
      if (!this.running) return;
      try {
        const resp = await this.rpc.nodeRegister(this.node);
        this.ttlMs = resp.HeartbeatTTLMs;
        break;
      } catch {
        this.deps.stats.callFailures++;
        await this.pause(RETRY_MS);
      }
    }
    this.deps.stats.registered++;
    this.scheduleHeartbeat();
    void this.watch();
  }

  stop(): void {
    this.running = false;
    this.abort.abort();
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    if (this.reportTimer) clearTimeout(this.reportTimer);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(r, ms);
      this.abort.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
  }

  private scheduleHeartbeat(): void {
    if (!this.running) return;
    // As the real client: about half the TTL, with jitter.
    const ms = Math.round(this.ttlMs * 0.4 + Math.random() * this.ttlMs * 0.2);
    this.heartbeatTimer = setTimeout(() => void this.heartbeat(), ms);
  }

  private async heartbeat(): Promise<void> {
    try {
      const resp = await this.rpc.nodeUpdateStatus(this.node.ID, 'ready');
      this.ttlMs = resp.HeartbeatTTLMs;
      this.deps.stats.heartbeats++;
    } catch {
      this.deps.stats.heartbeatFailures++;
    }
    this.scheduleHeartbeat();
  }

  private async watch(): Promise<void> {
    let index = 0;
    while (this.running) {
      try {
        const resp = await this.rpc.nodeGetClientAllocs(this.node.ID, index, WATCH_WAIT_MS, true);
        if (!this.running) return;
        index = Math.max(index, resp.Index);
        const changed: string[] = [];
        // An answer lists what changed since the last (no allocation is garbage collected here).
        for (const id in resp.Allocs) {
          const modifyIndex = resp.Allocs[id]!;
          const seen = this.known.get(id);
          if (seen === modifyIndex) continue;
          this.known.set(id, modifyIndex);
          if (seen === undefined) this.report(id, 'running');
          else changed.push(id);
        }
        if (changed.length > 0) await this.checkStops(changed);
      } catch {
        if (!this.running) return;
        this.deps.stats.callFailures++;
        await this.pause(RETRY_MS);
      }
    }
  }

  /** Allocations that changed after they were placed: those told to stop are reported complete. */
  private async checkStops(ids: string[]): Promise<void> {
    const { Allocs } = await this.rpc.allocGetAllocs(ids, 0);
    for (const a of Allocs) if (a.DesiredStatus !== 'run' && !this.stopped.has(a.ID)) this.report(a.ID, 'complete');
  }

  private report(id: string, status: 'running' | 'complete'): void {
    const nowNs = Date.now() * 1e6;
    if (status === 'complete') this.stopped.add(id);
    this.pending.push({ ID: id, ClientStatus: status, ClientDescription: '', TaskStates: status === 'running' ? runningState(nowNs) : deadState(nowNs), DeploymentStatus: null });
    this.reportTimer ??= setTimeout(() => void this.flush(), REPORT_BATCH_MS);
  }

  private async flush(): Promise<void> {
    this.reportTimer = null;
    // One update in flight per node, as a client's: reports that come meanwhile wait for it.
    if (this.sending) return;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0 || !this.running) return;
    this.sending = true;
    try {
      await this.rpc.nodeUpdateAllocs(batch);
      const atMs = Date.now();
      for (const u of batch) {
        if (u.ClientStatus === 'running') {
          this.deps.stats.reportedRunning++;
          this.deps.onRunning?.(u.ID, atMs);
        } else this.deps.stats.reportedComplete++;
      }
    } catch {
      this.deps.stats.callFailures++;
      // Sent again with the next batch.
      this.pending.unshift(...batch);
      this.reportTimer ??= setTimeout(() => void this.flush(), RETRY_MS);
    } finally {
      this.sending = false;
    }
    if (this.pending.length > 0) this.reportTimer ??= setTimeout(() => void this.flush(), REPORT_BATCH_MS);
  }
}
