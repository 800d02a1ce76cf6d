// What a task group asks for, what a node offers, what an allocation uses, and the resource
// blocks a placed allocation carries (AllocatedResources plus the legacy Resources fields).
import type { AllocatedPortMapping, AllocatedResources, AllocatedTaskResources, Allocation } from '../structs/alloc.js';
import type { NetworkResource, Port, Resources, TaskGroup } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import { portSetHas, portSetSize, portSetWithAll, portSetWithoutAll, type PortSet } from './port-set.js';

export const DEFAULT_MIN_DYNAMIC_PORT = 20000;
export const DEFAULT_MAX_DYNAMIC_PORT = 32000;
const DEFAULT_EPHEMERAL_DISK_MB = 300;

export interface GroupAsk {
  cpu: number;
  ports: PortAsk;
  memMB: number;
  diskMB: number;
  groupNetworks: NetworkResource[];
  taskNetworks: Array<{ task: string; networks: NetworkResource[] }>;
  hasNetworks: boolean;
}

export function groupAsk(tg: TaskGroup): GroupAsk {
  let cpu = 0;
  let memMB = 0;
  const taskNetworks: GroupAsk['taskNetworks'] = [];
  for (const t of tg.Tasks) {
    cpu += t.Resources?.CPU ?? 0;
    memMB += t.Resources?.MemoryMB ?? 0;
    const nets = t.Resources?.Networks ?? [];
    if (nets.length > 0) taskNetworks.push({ task: t.Name, networks: nets });
  }
  const groupNetworks = tg.Networks ?? [];
  const partial = { groupNetworks, taskNetworks, hasNetworks: groupNetworks.length > 0 || taskNetworks.length > 0 };
  return {
    cpu,
    ports: portAsk(partial),
    memMB,
    diskMB: tg.EphemeralDisk?.SizeMB ?? DEFAULT_EPHEMERAL_DISK_MB,
    groupNetworks,
    taskNetworks,
    hasNetworks: groupNetworks.length > 0 || taskNetworks.length > 0,
  };
}

export interface NodeCapacity {
  cpu: number;
  memMB: number;
  diskMB: number;
  reservedPorts: Set<number>;
  minPort: number;
  maxPort: number;
  /**
   * The size of the dynamic range less the reserved ports: the bound checkPorts compares with
   * for every candidate, kept as a number so that the check does not read the reserved Set.
   */
  portRoom: number;
  hostIP: string;
}

/** Parses Nomad's reserved port list ("22,80,8000-8100"); malformed parts are skipped. */
export function parsePortList(text: string): number[] {
  const out: number[] = [];
  if (text === '') return out; // most nodes reserve no ports
  for (const part of text.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    // A bound: a range beyond the port space is a typo, not a request for a million entries.
    for (let x = lo; x <= Math.min(hi, 65535); x++) out.push(x);
  }
  return out;
}

export function nodeHostIP(node: Node): string {
  for (const nn of node.NodeResources?.NodeNetworks ?? []) {
    for (const a of nn.Addresses ?? []) if (a.Alias === 'default' && a.Family === 'ipv4') return a.Address;
  }
  const first = node.NodeResources?.Networks?.find((n) => n.IP);
  if (first) return first.IP;
  return node.Attributes['unique.network.ip-address'] ?? '';
}

/** Stored nodes are replaced, never mutated: their capacity is computed once, not once per eval. */
const capacityCache = new WeakMap<Node, NodeCapacity>();

export function nodeCapacity(node: Node): NodeCapacity {
  let c = capacityCache.get(node);
  if (!c) {
    c = computeCapacity(node);
    capacityCache.set(node, c);
  }
  return c;
}

/** nodeCapacity without the cache, for callers that keep their own (the node table). */
export function computeCapacity(node: Node): NodeCapacity {
  const nr = node.NodeResources;
  const rr = node.ReservedResources;
  const cpu = (nr?.Cpu.CpuShares ?? node.Resources?.CPU ?? 0) - (rr?.Cpu.CpuShares ?? node.Reserved?.CPU ?? 0);
  const memMB = (nr?.Memory.MemoryMB ?? node.Resources?.MemoryMB ?? 0) - (rr?.Memory.MemoryMB ?? node.Reserved?.MemoryMB ?? 0);
  const diskMB = (nr?.Disk.DiskMB ?? node.Resources?.DiskMB ?? 0) - (rr?.Disk.DiskMB ?? node.Reserved?.DiskMB ?? 0);
  const reservedPorts = new Set(parsePortList(rr?.Networks.ReservedHostPorts ?? ''));
  for (const nn of node.NodeResources?.NodeNetworks ?? []) {
    for (const a of nn.Addresses ?? []) for (const p of parsePortList(a.ReservedPorts ?? '')) reservedPorts.add(p);
  }
  const minPort = nr?.MinDynamicPort ?? DEFAULT_MIN_DYNAMIC_PORT;
  const maxPort = nr?.MaxDynamicPort ?? DEFAULT_MAX_DYNAMIC_PORT;
  return {
    cpu,
    memMB,
    diskMB,
    reservedPorts,
    minPort,
    maxPort,
    portRoom: maxPort - minPort + 1 - reservedPorts.size,
    hostIP: nodeHostIP(node),
  };
}

export interface AllocUsage {
  cpu: number;
  memMB: number;
  diskMB: number;
  ports: number[];
}

function networkPorts(nets: NetworkResource[] | null | undefined, out: number[]): void {
  if (!nets) return;
  for (const n of nets) {
    const reserved = n.ReservedPorts;
    if (reserved) for (const p of reserved) if (p.Value > 0) out.push(p.Value);
    const dynamic = n.DynamicPorts;
    if (dynamic) for (const p of dynamic) if (p.Value > 0) out.push(p.Value);
  }
}

const usageCache = new WeakMap<Allocation, AllocUsage>();

/** The resources an allocation holds on its node (allocations are immutable once stored). */
export function allocUsage(a: Allocation): AllocUsage {
  let u = usageCache.get(a);
  if (!u) {
    u = computeAllocUsage(a);
    usageCache.set(a, u);
  }
  return u;
}

/**
 * allocUsage without the cache. Callers that sum an allocation into a node's usage once use
 * addAllocUsage instead: a WeakMap entry per placed allocation costs more (insert, then
 * ephemeron work in every GC) than the small sum, and so does an AllocUsage per sum.
 */
export function computeAllocUsage(a: Allocation): AllocUsage {
  const u: AllocUsage = { cpu: 0, memMB: 0, diskMB: 0, ports: [] };
  const ar = a.AllocatedResources;
  if (ar) {
    for (const name in ar.Tasks) {
      const t = ar.Tasks[name]!;
      u.cpu += t.Cpu.CpuShares;
      u.memMB += t.Memory.MemoryMB;
      networkPorts(t.Networks, u.ports);
    }
    u.diskMB = ar.Shared.DiskMB;
    if (ar.Shared.Ports && ar.Shared.Ports.length > 0) for (const p of ar.Shared.Ports) u.ports.push(p.Value);
    else networkPorts(ar.Shared.Networks, u.ports);
  } else if (a.Resources) {
    u.cpu = a.Resources.CPU;
    u.memMB = a.Resources.MemoryMB;
    u.diskMB = a.Resources.DiskMB;
    networkPorts(a.Resources.Networks, u.ports);
  }
  return u;
}

export interface NodeUsage {
  cpu: number;
  memMB: number;
  diskMB: number;
  /** Ports in use (immutable: shared freely, replaced on change); null while none is. */
  ports: PortSet | null;
  /** The size of `ports`, beside the numbers: ranking checks it for every candidate. */
  portCount: number;
}

/** Copies a (shared) usage into a record of its own; the immutable port set is shared. */
export function copyUsage(from: NodeUsage, to: NodeUsage): void {
  to.cpu = from.cpu;
  to.memMB = from.memMB;
  to.diskMB = from.diskMB;
  to.ports = from.ports;
  to.portCount = from.portCount;
}

export function emptyUsage(): NodeUsage {
  return { cpu: 0, memMB: 0, diskMB: 0, ports: null, portCount: 0 };
}

export function addUsage(u: NodeUsage, a: AllocUsage, sign: 1 | -1): void {
  u.cpu += sign * a.cpu;
  u.memMB += sign * a.memMB;
  u.diskMB += sign * a.diskMB;
  if (a.ports.length === 0) return;
  u.ports = sign > 0 ? portSetWithAll(u.ports, a.ports) : portSetWithoutAll(u.ports, a.ports);
  u.portCount = portSetSize(u.ports);
}

/** Scratch for the ports of one allocation being summed (reset by each caller before use). */
const scratchPorts: number[] = [];

/**
 * addUsage(u, computeAllocUsage(a), 1) without the intermediate AllocUsage: runs for every
 * placement and for every node whose allocations are summed again, and those small objects
 * and arrays were a good part of what an eval left to the garbage collector.
 */
export function addAllocUsage(u: NodeUsage, a: Allocation): void {
  const ports = scratchPorts;
  ports.length = 0;
  const ar = a.AllocatedResources;
  if (ar) {
    const tasks = ar.Tasks;
    for (const name in tasks) {
      const t = tasks[name]!;
      u.cpu += t.Cpu.CpuShares;
      u.memMB += t.Memory.MemoryMB;
      networkPorts(t.Networks, ports);
    }
    u.diskMB += ar.Shared.DiskMB;
    const shared = ar.Shared.Ports;
    if (shared && shared.length > 0) for (const p of shared) ports.push(p.Value);
    else networkPorts(ar.Shared.Networks, ports);
  } else if (a.Resources) {
    u.cpu += a.Resources.CPU;
    u.memMB += a.Resources.MemoryMB;
    u.diskMB += a.Resources.DiskMB;
    networkPorts(a.Resources.Networks, ports);
  }
  if (ports.length > 0) {
    u.ports = portSetWithAll(u.ports, ports);
    u.portCount = portSetSize(u.ports);
  }
}

export interface PortPicker {
  nextInt(maxExclusive: number): number;
}

export interface NetworkOffer {
  groupNetworks: NetworkResource[] | null;
  ports: AllocatedPortMapping[] | null;
  taskNetworks: ReadonlyMap<string, NetworkResource[]>;
}

/** The dynamic port values chosen on a node, in ask order (group networks, then task networks). */
export type PortChoice = number[];


const RANDOM_PORT_TRIES = 20;
const NO_PORTS: PortChoice = [];

function pickDynamicPort(cap: NodeCapacity, taken: (p: number) => boolean, rng: PortPicker): number {
  const span = cap.maxPort - cap.minPort + 1;
  if (span <= 0) return -1;
  for (let i = 0; i < RANDOM_PORT_TRIES; i++) {
    const p = cap.minPort + rng.nextInt(span);
    if (!taken(p)) return p;
  }
  // The range is crowded: scan it once from a random start.
  const start = rng.nextInt(span);
  for (let i = 0; i < span; i++) {
    const p = cap.minPort + ((start + i) % span);
    if (!taken(p)) return p;
  }
  return -1;
}

function forEachNetwork(ask: Pick<GroupAsk, 'groupNetworks' | 'taskNetworks'>, fn: (n: NetworkResource) => string | null): string | null {
  for (const n of ask.groupNetworks) {
    const r = fn(n);
    if (r) return r;
  }
  for (const tn of ask.taskNetworks) {
    for (const n of tn.networks) {
      const r = fn(n);
      if (r) return r;
    }
  }
  return null;
}

export interface PortAsk {
  /** Every static port asked for, across group and task networks. */
  staticPorts: number[];
  dynamicCount: number;
}

export function portAsk(ask: Pick<GroupAsk, 'groupNetworks' | 'taskNetworks'>): PortAsk {
  const staticPorts: number[] = [];
  let dynamicCount = 0;
  forEachNetwork(ask, (n) => {
    for (const p of n.ReservedPorts ?? []) if (p.Value > 0) staticPorts.push(p.Value);
    dynamicCount += n.DynamicPorts?.length ?? 0;
    return null;
  });
  return { staticPorts, dynamicCount };
}

/**
 * Checks that the node can give the ports: static ones free, enough room in the dynamic range.
 * Runs for every candidate node, so it only counts; the winner's ports are picked by `pickPorts`.
 */
export function checkPorts(ports: PortAsk, cap: NodeCapacity, used: PortSet | null): string | null {
  // The common ask (dynamic ports only, room to spare): the cheap bound below, without the Sets.
  if (ports.staticPorts.length === 0 && portSetSize(used) + ports.dynamicCount <= cap.portRoom) return null;
  const seen = ports.staticPorts.length > 1 ? new Set<number>() : null;
  for (const p of ports.staticPorts) {
    if (portSetHas(used, p) || cap.reservedPorts.has(p) || seen?.has(p)) return 'network: port collision';
    seen?.add(p);
  }
  if (ports.dynamicCount === 0) return null;
  const span = cap.maxPort - cap.minPort + 1;
  // Cheap bound first; count exactly only when the range might be nearly full.
  if (portSetSize(used) + cap.reservedPorts.size + ports.staticPorts.length + ports.dynamicCount <= span) return null;
  let free = 0;
  for (let p = cap.minPort; p <= cap.maxPort && free < ports.dynamicCount; p++) {
    if (!portSetHas(used, p) && !cap.reservedPorts.has(p) && !ports.staticPorts.includes(p)) free++;
  }
  return free >= ports.dynamicCount ? null : 'network: dynamic port selection failed';
}

/** Picks the dynamic ports on the chosen node (checkPorts said there is room). */
export function pickPorts(ports: PortAsk, cap: NodeCapacity, used: PortSet | null, rng: PortPicker): PortChoice {
  if (ports.dynamicCount === 0) return NO_PORTS;
  const picked: number[] = [];
  const taken = (p: number): boolean => portSetHas(used, p) || cap.reservedPorts.has(p) || ports.staticPorts.includes(p) || picked.includes(p);
  for (let i = 0; i < ports.dynamicCount; i++) {
    const v = pickDynamicPort(cap, taken, rng);
    if (v < 0) throw new Error(`no free dynamic port between ${cap.minPort} and ${cap.maxPort} although the check found room`);
    picked.push(v);
  }
  return picked;
}

/** No task has its own networks: shared by every offer (never changed once built). */
const NO_TASK_NETWORKS: ReadonlyMap<string, NetworkResource[]> = new Map();
const NO_NETWORKS: NetworkOffer = Object.freeze({ groupNetworks: null, ports: null, taskNetworks: NO_TASK_NETWORKS });

/** The network blocks an allocation gets on a node, from the ports chosen there. */
export function buildOffer(ask: GroupAsk, cap: NodeCapacity, dynamic: PortChoice): NetworkOffer {
  if (!ask.hasNetworks) return NO_NETWORKS;
  let next = 0;
  const assign = (nets: NetworkResource[]): NetworkResource[] =>
    nets.map((n) => {
      const reserved: Port[] | null = n.ReservedPorts && n.ReservedPorts.length > 0 ? n.ReservedPorts.map((p) => ({ ...p, To: p.To === -1 ? p.Value : p.To })) : null;
      const dyn: Port[] | null =
        n.DynamicPorts && n.DynamicPorts.length > 0
          ? n.DynamicPorts.map((p) => {
              const v = dynamic[next++]!;
              return { ...p, Value: v, To: p.To === -1 ? v : p.To };
            })
          : null;
      return { ...n, IP: cap.hostIP, ReservedPorts: reserved, DynamicPorts: dyn };
    });
  const groupNetworks = assign(ask.groupNetworks);
  const ports: AllocatedPortMapping[] = [];
  for (const n of groupNetworks) {
    for (const p of n.ReservedPorts ?? []) ports.push({ Label: p.Label, Value: p.Value, To: p.To, HostIP: cap.hostIP });
    for (const p of n.DynamicPorts ?? []) ports.push({ Label: p.Label, Value: p.Value, To: p.To, HostIP: cap.hostIP });
  }
  let taskNetworks = NO_TASK_NETWORKS;
  if (ask.taskNetworks.length > 0) {
    const byTask = new Map<string, NetworkResource[]>();
    for (const tn of ask.taskNetworks) byTask.set(tn.task, assign(tn.networks));
    taskNetworks = byTask;
  }
  return { groupNetworks: groupNetworks.length > 0 ? groupNetworks : null, ports: ports.length > 0 ? ports : null, taskNetworks };
}

type ResourceBlocks = Pick<Allocation, 'Resources' | 'SharedResources' | 'TaskResources' | 'AllocatedResources'>;

interface TaskBlocks {
  tasks: Record<string, AllocatedTaskResources>;
  lifecycles: AllocatedResources['TaskLifecycles'];
  legacyTasks: Record<string, Resources>;
  memMaxMB: number;
  /** The whole set of blocks of a group without networks: the same for every allocation. */
  withoutNetworks: ResourceBlocks | null;
}

/**
 * Per-task blocks do not depend on the node unless tasks have their own networks; they are then
 * built once per group and shared by its allocations (stored allocations are never mutated, and
 * the shared blocks are frozen so that a change would fail loudly instead of touching them all).
 */
const sharedTaskBlocks = new WeakMap<TaskGroup, TaskBlocks>();

function taskBlocks(tg: TaskGroup, offer: NetworkOffer): TaskBlocks {
  const shareable = offer.taskNetworks.size === 0;
  if (shareable) {
    const cached = sharedTaskBlocks.get(tg);
    if (cached) return cached;
  }
  const tasks: Record<string, AllocatedTaskResources> = {};
  const lifecycles: AllocatedResources['TaskLifecycles'] = {};
  const legacyTasks: Record<string, Resources> = {};
  let memMaxMB = 0;
  for (const t of tg.Tasks) {
    const r = t.Resources;
    const nets = offer.taskNetworks.get(t.Name) ?? null;
    tasks[t.Name] = {
      Cpu: { CpuShares: r.CPU, ReservedCores: null },
      Memory: { MemoryMB: r.MemoryMB, MemoryMaxMB: r.MemoryMaxMB },
      Networks: nets,
      Devices: null,
    };
    lifecycles[t.Name] = t.Lifecycle ? { Hook: t.Lifecycle.Hook, Sidecar: t.Lifecycle.Sidecar } : null;
    legacyTasks[t.Name] = nets ? { ...r, Networks: nets } : r;
    memMaxMB += r.MemoryMaxMB > 0 ? r.MemoryMaxMB : r.MemoryMB;
  }
  const blocks: TaskBlocks = { tasks, lifecycles, legacyTasks, memMaxMB, withoutNetworks: null };
  if (shareable) {
    for (const t of Object.values(tasks)) deepFreezeBlock(t);
    Object.freeze(tasks);
    Object.freeze(lifecycles);
    for (const l of Object.values(lifecycles)) if (l) Object.freeze(l);
    Object.freeze(legacyTasks);
    sharedTaskBlocks.set(tg, blocks);
  }
  return blocks;
}

function deepFreezeBlock(t: AllocatedTaskResources): void {
  Object.freeze(t.Cpu);
  Object.freeze(t.Memory);
  Object.freeze(t);
}

/** The resource blocks of a placed allocation, shaped as Nomad's allocation JSON. */
export function allocResources(tg: TaskGroup, ask: GroupAsk, offer: NetworkOffer): ResourceBlocks {
  const blocks = taskBlocks(tg, offer);
  const bare = offer.groupNetworks === null && offer.ports === null && offer.taskNetworks.size === 0;
  if (bare && blocks.withoutNetworks) return blocks.withoutNetworks;
  let allNetworks: NetworkResource[] | null = offer.groupNetworks;
  if (offer.taskNetworks.size > 0) {
    allNetworks = [...(offer.groupNetworks ?? [])];
    for (const nets of offer.taskNetworks.values()) allNetworks.push(...nets);
  }
  const out: ResourceBlocks = {
    Resources: {
      CPU: ask.cpu,
      Cores: 0,
      MemoryMB: ask.memMB,
      MemoryMaxMB: blocks.memMaxMB,
      DiskMB: ask.diskMB,
      IOPS: 0,
      Networks: allNetworks,
      Devices: null,
    },
    SharedResources: {
      CPU: 0,
      Cores: 0,
      MemoryMB: 0,
      MemoryMaxMB: 0,
      DiskMB: ask.diskMB,
      IOPS: 0,
      Networks: offer.groupNetworks,
      Devices: null,
    },
    TaskResources: blocks.legacyTasks,
    AllocatedResources: {
      Tasks: blocks.tasks,
      TaskLifecycles: blocks.lifecycles,
      Shared: { Networks: offer.groupNetworks, DiskMB: ask.diskMB, Ports: offer.ports },
    },
  };
  if (bare && sharedTaskBlocks.get(tg) === blocks) {
    // A group without networks: every allocation of it carries the very same blocks.
    Object.freeze(out.Resources);
    Object.freeze(out.SharedResources);
    Object.freeze(out.AllocatedResources!.Shared);
    Object.freeze(out.AllocatedResources);
    Object.freeze(out);
    blocks.withoutNetworks = out;
  }
  return out;
}

/** The offer an allocation already holds, kept across an in-place update (ports never move in place). */
export function existingOffer(a: Allocation): NetworkOffer {
  const taskNetworks = new Map<string, NetworkResource[]>();
  for (const [name, t] of Object.entries(a.AllocatedResources?.Tasks ?? {})) if (t.Networks) taskNetworks.set(name, t.Networks);
  return {
    groupNetworks: a.AllocatedResources?.Shared.Networks ?? null,
    ports: a.AllocatedResources?.Shared.Ports ?? null,
    taskNetworks,
  };
}
