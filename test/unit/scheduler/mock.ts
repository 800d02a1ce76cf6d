// Realistic complete objects for scheduler tests and benchmarks, shaped like a real agent's
// (the getting-started node and job of the reference walk).
import type { Allocation } from '../../../src/structs/alloc.js';
import { canonicalizeJob } from '../../../src/structs/canonicalize.js';
import { newEvaluation, type Evaluation } from '../../../src/structs/evaluation.js';
import type { Job, JobInput } from '../../../src/structs/job.js';
import { newNode, type Node } from '../../../src/structs/node.js';
import { hashText } from '../../../src/scheduler/rng.js';

let counter = 0;

/** A UUID-shaped ID that is unique within the process and stable across runs. */
export function testId(prefix = 0): string {
  counter++;
  const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0').slice(-width);
  return `${hex(prefix, 8)}-${hex(counter >>> 16, 4)}-${hex(counter & 0xffff, 4)}-0000-${hex(counter, 12)}`;
}

/** A deterministic ID generator, for SchedulerOptions.generateId. */
export function sequentialIds(seed = 0xabc): () => string {
  let n = 0;
  return () => {
    n++;
    const h = hashText(String(n), seed).toString(16).padStart(8, '0');
    return `${h}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  };
}

/** The computed class a client would report: everything but unique values. */
export function computeClass(node: Node): string {
  const attrs = Object.entries(node.Attributes)
    .filter(([k]) => !k.startsWith('unique.'))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const meta = Object.entries(node.Meta ?? {})
    .filter(([k]) => !k.startsWith('unique.'))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const drivers = Object.entries(node.Drivers)
    .map(([k, d]) => `${k}:${d.Detected && d.Healthy}`)
    .sort();
  return `v1:${hashText(JSON.stringify([node.Datacenter, node.NodeClass, attrs, meta, drivers]))}`;
}

export interface MockNodeOptions {
  id?: string;
  name?: string;
  datacenter?: string;
  nodeClass?: string;
  cpuShares?: number;
  memoryMB?: number;
  diskMB?: number;
  attributes?: Record<string, string>;
  meta?: Record<string, string>;
  drivers?: string[];
  ip?: string;
  reservedPorts?: string;
}

export function mockNode(o: MockNodeOptions = {}): Node {
  const id = o.id ?? testId(0x4e);
  const ip = o.ip ?? '10.0.0.1';
  const drivers = o.drivers ?? ['raw_exec', 'exec', 'mock_driver'];
  const cpu = o.cpuShares ?? 4000;
  const mem = o.memoryMB ?? 8192;
  const disk = o.diskMB ?? 100 * 1024;
  const attributes: Record<string, string> = {
    'kernel.name': 'linux',
    'kernel.version': '6.1.0',
    'os.name': 'debian',
    'os.version': '12.11',
    'cpu.arch': 'amd64',
    'cpu.numcores': '4',
    'cpu.totalcompute': String(cpu),
    'memory.totalbytes': String(mem * 1024 * 1024),
    'nomad.version': '1.1.2',
    'unique.hostname': o.name ?? `node-${id.slice(0, 8)}`,
    'unique.network.ip-address': ip,
    ...Object.fromEntries(drivers.map((d) => [`driver.${d}`, '1'])),
    ...(o.attributes ?? {}),
  };
  const node = newNode({
    ID: id,
    SecretID: '',
    Datacenter: o.datacenter ?? 'dc1',
    Name: o.name ?? `node-${id.slice(0, 8)}`,
    HTTPAddr: `${ip}:4646`,
    TLSEnabled: false,
    Attributes: attributes,
    NodeResources: {
      Cpu: { CpuShares: cpu, TotalCpuCores: 4, ReservableCpuCores: [0, 1, 2, 3] },
      Memory: { MemoryMB: mem },
      Disk: { DiskMB: disk },
      Networks: [{ Mode: 'host', Device: 'eth0', CIDR: `${ip}/32`, IP: ip, MBits: 1000, DNS: null, ReservedPorts: null, DynamicPorts: null }],
      NodeNetworks: [
        {
          Mode: 'host',
          Device: 'eth0',
          MacAddress: '',
          Speed: 1000,
          Addresses: [{ Family: 'ipv4', Alias: 'default', Address: ip, ReservedPorts: '', Gateway: '' }],
        },
      ],
      Devices: null,
    },
    ReservedResources: {
      Cpu: { CpuShares: 0, ReservedCpuCores: null },
      Memory: { MemoryMB: 0 },
      Disk: { DiskMB: 0 },
      Networks: { ReservedHostPorts: o.reservedPorts ?? '' },
    },
    Meta: o.meta ?? {},
    NodeClass: o.nodeClass ?? '',
    Status: 'ready',
    Drivers: Object.fromEntries(
      drivers.map((d) => [d, { Attributes: { [`driver.${d}`]: 'true' }, Detected: true, Healthy: true, HealthDescription: 'Healthy', UpdateTime: '2026-01-01T00:00:00Z' }]),
    ),
  });
  node.ComputedClass = computeClass(node);
  return node;
}

/** Recomputes the class after a test changed attributes. */
export function withClass(node: Node): Node {
  return { ...node, ComputedClass: computeClass(node) };
}

/** The getting-started service job: group "cache" with one raw_exec task "redis". */
export function mockJob(input: JobInput = {}, groupCount = 1): Job {
  return canonicalizeJob({
    ID: 'example',
    Name: 'example',
    Type: 'service',
    Datacenters: ['dc1'],
    TaskGroups: [
      {
        Name: 'cache',
        Count: groupCount,
        Networks: [{ DynamicPorts: [{ Label: 'db', Value: 0, To: 0, HostNetwork: 'default' }] }],
        Tasks: [
          {
            Name: 'redis',
            Driver: 'raw_exec',
            Config: { command: '/bin/sh', args: ['-c', 'while true; do echo hi; sleep 1; done'] },
            Resources: { CPU: 100, MemoryMB: 64 },
          },
        ],
      },
    ],
    ...input,
  } as JobInput);
}

/** A batch job with one small task and no networks. */
export function mockBatchJob(id = 'batch', count = 1, input: JobInput = {}): Job {
  return canonicalizeJob({
    ID: id,
    Type: 'batch',
    Datacenters: ['dc1'],
    TaskGroups: [{ Name: 'g', Count: count, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' }, Resources: { CPU: 20, MemoryMB: 10 } }] }],
    ...input,
  } as JobInput);
}

export function mockSystemJob(id = 'sys', type: 'system' | 'sysbatch' = 'system', input: JobInput = {}): Job {
  return canonicalizeJob({
    ID: id,
    Type: type,
    Datacenters: ['dc1'],
    TaskGroups: [{ Name: 'agent', Count: 1, Tasks: [{ Name: 'a', Driver: 'raw_exec', Config: { command: '/bin/agent' }, Resources: { CPU: 50, MemoryMB: 32 } }] }],
    ...input,
  } as JobInput);
}

export function mockEval(job: Job, trigger = 'job-register', overrides: Partial<Evaluation> = {}): Evaluation {
  return newEvaluation({
    ID: testId(0xe0),
    Namespace: job.Namespace,
    Priority: job.Priority,
    Type: job.Type,
    TriggeredBy: trigger,
    JobID: job.ID,
    JobModifyIndex: job.JobModifyIndex,
    ...overrides,
  });
}

/** Every allocation in a plan's NodeAllocation, flattened. */
export function planAllocs(plan: { NodeAllocation: Record<string, Allocation[]> }): Allocation[] {
  return Object.values(plan.NodeAllocation).flat();
}

export function planStops(plan: { NodeUpdate: Record<string, Allocation[]> }): Allocation[] {
  return Object.values(plan.NodeUpdate).flat();
}
