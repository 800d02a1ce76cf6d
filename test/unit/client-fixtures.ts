// Builders for client configs, jobs and allocations in tests, and an in-process ClientServerRpc double that
// records what the client sends and serves allocations with blocking-query semantics.
import { join } from 'node:path';
import type { AllocClientUpdate, ClientServerRpc, NodeClientAllocsResponse } from '../../src/rpc/protocol.js';
import { newAllocation, type Allocation } from '../../src/structs/alloc.js';
import { emptyJobUpdate } from '../../src/structs/defaults.js';
import { NomadError } from '../../src/structs/errors.js';
import { generateId } from '../../src/structs/ids.js';
import type { Job, Task, TaskGroup } from '../../src/structs/job.js';
import type { DrainSpec, Node, NodeStatus } from '../../src/structs/node.js';
import { mockJob, mockTask, taskGroup } from './state-fixtures.js';
import type { ClientConfig } from '../../src/client/config.js';

/** A dev-mode client on loopback, its alloc and state dirs under `dir`; tests override what they exercise. */
export function devClientConfig(dir: string, extra: Partial<ClientConfig> = {}): ClientConfig {
  return {
    nodeName: 'vm',
    datacenter: 'dc1',
    region: 'global',
    nodeClass: '',
    meta: {},
    options: {},
    dataDir: join(dir, 'alloc'),
    stateDir: join(dir, 'client'),
    devMode: true,
    networkInterface: 'lo',
    bindAddress: '127.0.0.1',
    httpAdvertise: '127.0.0.1:4646',
    maxKillTimeoutMs: 30_000,
    minDynamicPort: 20_000,
    maxDynamicPort: 32_000,
    reserved: { cpuMhz: 0, memoryMB: 0, diskMB: 0, reservedPorts: '' },
    ...extra,
  };
}

export function makeTask(name: string, driver: string, config: Record<string, unknown>, extra: Partial<Task> = {}): Task {
  return mockTask(name, {
    Driver: driver,
    Config: config,
    Resources: { CPU: 100, Cores: 0, MemoryMB: 64, MemoryMaxMB: 0, DiskMB: 0, IOPS: 0, Networks: null, Devices: null },
    ...extra,
  });
}

export function makeJob(type: string, tasks: Task[], groupExtra: Partial<TaskGroup> = {}): Job {
  const group: TaskGroup = {
    ...taskGroup('cache', 1),
    Update: null,
    RestartPolicy: { Attempts: 2, Interval: 1800e9, Delay: 15e9, Mode: 'fail' },
    Tasks: tasks,
    ...groupExtra,
  };
  return mockJob('example', {
    Type: type,
    TaskGroups: [group],
    Update: emptyJobUpdate(),
    Status: 'pending',
    CreateIndex: 1,
    ModifyIndex: 1,
    JobModifyIndex: 1,
  });
}

export function makeAlloc(job: Job, nodeId = 'node-1', extra: Partial<Allocation> = {}): Allocation {
  const group = job.TaskGroups[0]!;
  const tasks: NonNullable<Allocation['AllocatedResources']>['Tasks'] = {};
  for (const t of group.Tasks) tasks[t.Name] = { Cpu: { CpuShares: t.Resources.CPU, ReservedCores: null }, Memory: { MemoryMB: t.Resources.MemoryMB, MemoryMaxMB: 0 }, Networks: null, Devices: null };
  return newAllocation({
    ID: generateId(),
    Namespace: 'default',
    EvalID: generateId(),
    Name: `${job.ID}.${group.Name}[0]`,
    NodeID: nodeId,
    NodeName: 'vm',
    JobID: job.ID,
    Job: job,
    TaskGroup: group.Name,
    AllocatedResources: { Tasks: tasks, TaskLifecycles: {}, Shared: { Networks: null, DiskMB: 300, Ports: null } },
    CreateIndex: 10,
    ModifyIndex: 10,
    AllocModifyIndex: 10,
    ...extra,
  });
}

/** A server in miniature: allocations by node, an index that moves on every write, waiters. */
export class FakeServerRpc implements ClientServerRpc {
  index = 1;
  nodes = new Map<string, Node>();
  allocs = new Map<string, Allocation>();
  updates: AllocClientUpdate[][] = [];
  registerCount = 0;
  heartbeatCount = 0;
  fingerprintUpdates = 0;
  heartbeatTtlMs = 10_000;
  /** When set, heartbeats answer "node not found" once, as after a server lost its state. */
  forgetNodeOnce = false;
  private waiters = new Set<() => void>();
  private updateWaiters = new Set<() => void>();

  private bump(): void {
    this.index++;
    for (const w of [...this.waiters]) w();
  }

  async nodeRegister(node: Node) {
    this.registerCount++;
    this.nodes.set(node.ID, structuredClone(node));
    this.bump();
    return { HeartbeatTTLMs: this.heartbeatTtlMs, Index: this.index, LeaderRPCAddr: '127.0.0.1:4647', Servers: ['127.0.0.1:4647'] };
  }

  async nodeUpdateStatus(nodeId: string, status: NodeStatus) {
    this.heartbeatCount++;
    if (this.forgetNodeOnce) {
      this.forgetNodeOnce = false;
      this.nodes.delete(nodeId);
    }
    const n = this.nodes.get(nodeId);
    if (!n) throw new NomadError('not_found', `node not found: ${nodeId}`);
    n.Status = status;
    return { HeartbeatTTLMs: this.heartbeatTtlMs, Index: this.index, Servers: ['127.0.0.1:4647'] };
  }

  async nodeUpdateFingerprint(node: Node) {
    this.fingerprintUpdates++;
    this.nodes.set(node.ID, structuredClone(node));
    this.bump();
    return { Index: this.index };
  }

  async nodeGetClientAllocs(nodeId: string, minIndex: number, maxWaitMs: number): Promise<NodeClientAllocsResponse> {
    const answer = (): NodeClientAllocsResponse => {
      const Allocs: Record<string, number> = {};
      for (const a of this.allocs.values()) if (a.NodeID === nodeId) Allocs[a.ID] = a.AllocModifyIndex;
      return { Allocs, Index: this.index };
    };
    if (this.index > minIndex) return answer();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.waiters.delete(done);
        resolve(answer());
      };
      const t = setTimeout(done, Math.min(maxWaitMs, 60_000));
      t.unref();
      this.waiters.add(done);
    });
  }

  async allocGetAllocs(ids: string[]) {
    return { Allocs: ids.map((id) => this.allocs.get(id)).filter((a): a is Allocation => !!a).map((a) => structuredClone(a)), Index: this.index };
  }

  async nodeUpdateAllocs(updates: AllocClientUpdate[]) {
    this.updates.push(structuredClone(updates));
    for (const u of updates) {
      const a = this.allocs.get(u.ID);
      if (!a) continue;
      a.ClientStatus = u.ClientStatus;
      a.ClientDescription = u.ClientDescription;
      a.TaskStates = u.TaskStates;
      a.DeploymentStatus = u.DeploymentStatus;
    }
    for (const w of [...this.updateWaiters]) w();
    return { Index: this.index };
  }

  async updateDrain(nodeId: string, spec: DrainSpec | null, markEligible: boolean) {
    const n = this.nodes.get(nodeId);
    if (!n) throw new NomadError('not_found', `node not found: ${nodeId}`);
    const strategy = spec ? { ...spec, ForceDeadline: '0001-01-01T00:00:00Z', StartedAt: new Date().toISOString() } : null;
    n.DrainStrategy = strategy;
    n.Drain = strategy !== null;
    n.SchedulingEligibility = strategy !== null ? 'ineligible' : markEligible ? 'eligible' : n.SchedulingEligibility;
    this.bump();
    return { EvalIDs: [], EvalCreateIndex: 0, NodeModifyIndex: this.index, Index: this.index };
  }

  async nodeGet(nodeId: string) {
    return { Node: structuredClone(this.nodes.get(nodeId) ?? null), Index: this.index };
  }

  /** Adds or changes an allocation, as a plan apply would. */
  upsertAlloc(a: Allocation): void {
    this.index++;
    a.AllocModifyIndex = this.index;
    a.ModifyIndex = this.index;
    this.allocs.set(a.ID, a);
    this.bump();
  }

  removeAlloc(id: string): void {
    this.allocs.delete(id);
    this.bump();
  }

  /** Resolves once the server's copy of an allocation satisfies `pred`; rejects after timeoutMs. */
  waitForAlloc(id: string, pred: (a: Allocation) => boolean, timeoutMs = 5_000): Promise<Allocation> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const a = this.allocs.get(id);
        if (a && pred(a)) {
          this.updateWaiters.delete(check);
          clearTimeout(t);
          resolve(a);
          return true;
        }
        return false;
      };
      const t = setTimeout(() => {
        this.updateWaiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs}ms waiting for allocation ${id}; last: ${JSON.stringify(this.allocs.get(id)?.ClientStatus)}`));
      }, timeoutMs);
      if (!check()) this.updateWaiters.add(check);
    });
  }
}
