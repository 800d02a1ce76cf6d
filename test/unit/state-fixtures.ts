// Builders of complete, valid objects for the state tests and benchmarks.
import { newAllocation, type Allocation } from '../../src/structs/alloc.js';
import { newDeployment, type Deployment, type DeploymentState } from '../../src/structs/deployment.js';
import { newEvaluation, type Evaluation } from '../../src/structs/evaluation.js';
import type { Job, Resources, Task, TaskGroup } from '../../src/structs/job.js';
import { newNode, type Node } from '../../src/structs/node.js';
import type { PlanApplyEntry } from '../../src/state/log-entries.js';

export const T0_NS = 1_795_282_745_336_793_313;

function resources(): Resources {
  return { CPU: 100, Cores: 0, MemoryMB: 256, MemoryMaxMB: 0, DiskMB: 0, IOPS: 0, Networks: null, Devices: null };
}

/** A docker task with every field present; `overrides` replace any of them. */
export function mockTask(name: string, overrides: Partial<Task> = {}): Task {
  return {
    Name: name,
    Driver: 'docker',
    User: '',
    Config: { image: 'redis:3.2' },
    Env: null,
    Services: null,
    Vault: null,
    Templates: null,
    Constraints: null,
    Affinities: null,
    Resources: resources(),
    RestartPolicy: null,
    DispatchPayload: null,
    Lifecycle: null,
    Meta: null,
    KillTimeout: 5e9,
    LogConfig: { MaxFiles: 10, MaxFileSizeMB: 10 },
    Artifacts: null,
    Leader: false,
    ShutdownDelay: 0,
    VolumeMounts: null,
    ScalingPolicies: null,
    KillSignal: '',
    Kind: '',
    CSIPluginConfig: null,
    ...overrides,
  };
}

export function taskGroup(name = 'cache', count = 1): TaskGroup {
  return {
    Name: name,
    Count: count,
    Update: {
      Stagger: 30e9,
      MaxParallel: 1,
      HealthCheck: 'checks',
      MinHealthyTime: 10e9,
      HealthyDeadline: 300e9,
      ProgressDeadline: 600e9,
      AutoRevert: false,
      AutoPromote: false,
      Canary: 0,
    },
    Migrate: null,
    Constraints: null,
    Scaling: null,
    RestartPolicy: null,
    Tasks: [mockTask('redis')],
    EphemeralDisk: { Sticky: false, SizeMB: 300, Migrate: false },
    Meta: null,
    ReschedulePolicy: null,
    Affinities: null,
    Spreads: null,
    Networks: null,
    Consul: null,
    Services: null,
    Volumes: null,
    ShutdownDelay: null,
    StopAfterClientDisconnect: null,
  };
}

export function mockJob(id = 'example', overrides: Partial<Job> = {}): Job {
  return {
    Stop: false,
    Region: 'global',
    Namespace: 'default',
    ID: id,
    ParentID: '',
    Name: id,
    Type: 'service',
    Priority: 50,
    AllAtOnce: false,
    Datacenters: ['dc1'],
    Constraints: null,
    Affinities: null,
    Spreads: null,
    TaskGroups: [taskGroup()],
    Update: {
      Stagger: 30e9,
      MaxParallel: 1,
      HealthCheck: '',
      MinHealthyTime: 0,
      HealthyDeadline: 0,
      ProgressDeadline: 0,
      AutoRevert: false,
      AutoPromote: false,
      Canary: 0,
    },
    Multiregion: null,
    Periodic: null,
    ParameterizedJob: null,
    Dispatched: false,
    Payload: null,
    Meta: null,
    ConsulToken: '',
    ConsulNamespace: '',
    VaultToken: '',
    VaultNamespace: '',
    NomadTokenID: '',
    Status: '',
    StatusDescription: '',
    Stable: false,
    Version: 0,
    SubmitTime: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    JobModifyIndex: 0,
    ...overrides,
  };
}

export function mockEval(id: string, jobId = 'example', overrides: Partial<Evaluation> = {}): Evaluation {
  return newEvaluation({
    ID: id,
    Namespace: 'default',
    Priority: 50,
    Type: 'service',
    TriggeredBy: 'job-register',
    JobID: jobId,
    CreateTime: T0_NS,
    ModifyTime: T0_NS,
    ...overrides,
  });
}

export function mockNode(id: string, overrides: Partial<Node> = {}): Node {
  return newNode({
    ID: id,
    SecretID: 'secret-' + id,
    Datacenter: 'dc1',
    Name: 'node-' + id.slice(0, 8),
    HTTPAddr: '127.0.0.1:4646',
    Attributes: { 'kernel.name': 'linux' },
    ComputedClass: 'v1:123',
    Status: 'ready',
    ...overrides,
  });
}

export function mockAlloc(id: string, nodeId: string, overrides: Partial<Allocation> = {}): Allocation {
  return newAllocation({
    ID: id,
    Namespace: 'default',
    EvalID: 'eval-1',
    Name: 'example.cache[0]',
    NodeID: nodeId,
    NodeName: 'node',
    JobID: 'example',
    Job: null,
    TaskGroup: 'cache',
    ...overrides,
  });
}

/**
 * The resource blocks the scheduler writes in an allocation of a one-task group (task `task`),
 * each block a fresh object: equal in every allocation of a plan, which the FSM then shares.
 */
export function mockAllocBlocks(task = 'task'): Pick<Allocation, 'Resources' | 'SharedResources' | 'TaskResources' | 'AllocatedResources'> {
  const resources = (over: Partial<Resources>): Resources => ({ CPU: 100, Cores: 0, MemoryMB: 64, MemoryMaxMB: 0, DiskMB: 0, IOPS: 0, Networks: null, Devices: null, ...over });
  return {
    Resources: resources({ DiskMB: 300 }),
    SharedResources: resources({ CPU: 0, MemoryMB: 0, DiskMB: 300 }),
    TaskResources: { [task]: resources({}) },
    AllocatedResources: {
      Tasks: {
        [task]: {
          Cpu: { CpuShares: 100, ReservedCores: null },
          Memory: { MemoryMB: 64, MemoryMaxMB: 0 },
          Networks: [{ Mode: 'host', Device: 'eth0', CIDR: '', IP: '10.211.55.7', MBits: 10, DNS: null, ReservedPorts: null, DynamicPorts: null }],
          Devices: null,
        },
      },
      TaskLifecycles: { [task]: null },
      Shared: { Networks: null, DiskMB: 300, Ports: null },
    },
  };
}

/** A plan's log entry for the job that changes nothing until `overrides` say what it does. */
export function mockPlanApply(job: Job | null, overrides: Partial<PlanApplyEntry> = {}): PlanApplyEntry {
  return {
    Type: 'PlanApply',
    EvalID: '',
    Job: job,
    AllocsUpdated: [],
    AllocsStopped: [],
    Deployment: null,
    DeploymentUpdates: [],
    Evals: [],
    TimestampNs: T0_NS,
    ...overrides,
  };
}

export function mockDeployment(id: string, job: Job, groups: Record<string, Partial<DeploymentState>> = { cache: {} }): Deployment {
  const taskGroups: Record<string, DeploymentState> = {};
  for (const [name, state] of Object.entries(groups)) {
    taskGroups[name] = {
      AutoRevert: false,
      AutoPromote: false,
      ProgressDeadline: 600e9,
      RequireProgressBy: '0001-01-01T00:00:00Z',
      Promoted: false,
      PlacedCanaries: null,
      DesiredCanaries: 0,
      DesiredTotal: 1,
      PlacedAllocs: 0,
      HealthyAllocs: 0,
      UnhealthyAllocs: 0,
      ...state,
    };
  }
  return { ...newDeployment(job, id), TaskGroups: taskGroups };
}

/** A deterministic UUID-shaped ID from a number (tests need stable, sortable IDs). */
export function uuidFrom(n: number, salt = 0): string {
  const h = (n * 2654435761 + salt * 40503) >>> 0;
  const hex = h.toString(16).padStart(8, '0') + n.toString(16).padStart(24, '0');
  return flat(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`);
}

/**
 * The string as one flat sequence. A template literal builds a tree of concatenations, which
 * costs several times the memory of the flat string that a real ID (randomUUID, msgpack decode)
 * is; benchmarks that store a million of them should measure the real thing.
 */
export function flat(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}
