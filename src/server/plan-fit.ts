// Does a set of allocations fit on a node? CPU, memory, disk and ports, against the node's
// resources less what it reserves. The plan applier asks this of every node a plan touches.
import type { Allocation } from '../structs/alloc.js';
import type { NetworkResource } from '../structs/job.js';
import type { Node } from '../structs/node.js';

export interface FitResult {
  fit: boolean;
  /** Which dimension was exhausted, as Nomad names them ("cpu", "memory", "disk", "reserved port collision"). */
  reason: string;
}

export interface NodeCapacity {
  cpuShares: number;
  memoryMB: number;
  diskMB: number;
  reservedPorts: Set<number>;
}

export function nodeCapacity(node: Node): NodeCapacity {
  const nr = node.NodeResources;
  const rr = node.ReservedResources;
  const cpu = nr ? nr.Cpu.CpuShares : (node.Resources?.CPU ?? 0);
  const mem = nr ? nr.Memory.MemoryMB : (node.Resources?.MemoryMB ?? 0);
  const disk = nr ? nr.Disk.DiskMB : (node.Resources?.DiskMB ?? 0);
  const rCpu = rr ? rr.Cpu.CpuShares : (node.Reserved?.CPU ?? 0);
  const rMem = rr ? rr.Memory.MemoryMB : (node.Reserved?.MemoryMB ?? 0);
  const rDisk = rr ? rr.Disk.DiskMB : (node.Reserved?.DiskMB ?? 0);
  return {
    cpuShares: cpu - rCpu,
    memoryMB: mem - rMem,
    diskMB: disk - rDisk,
    reservedPorts: parsePortSpec(rr?.Networks.ReservedHostPorts ?? ''),
  };
}

/** "22,80,8000-8010" -> the set of ports; malformed parts are skipped (bounded to 65536 ports). */
export function parsePortSpec(spec: string): Set<number> {
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = Math.min(m[2] ? Number(m[2]) : lo, 65535);
    for (let x = lo; x <= hi; x++) out.add(x);
  }
  return out;
}

export interface AllocUsage {
  cpuShares: number;
  memoryMB: number;
  diskMB: number;
  ports: number[];
}

export function allocUsage(a: Allocation): AllocUsage {
  const ar = a.AllocatedResources;
  if (ar) {
    let cpu = 0;
    let mem = 0;
    const ports: number[] = [];
    for (const t of Object.values(ar.Tasks)) {
      cpu += t.Cpu.CpuShares;
      mem += t.Memory.MemoryMB;
      collectPorts(t.Networks, ports);
    }
    collectPorts(ar.Shared.Networks, ports);
    for (const p of ar.Shared.Ports ?? []) if (p.Value > 0) ports.push(p.Value);
    return { cpuShares: cpu, memoryMB: mem, diskMB: ar.Shared.DiskMB, ports: dedupe(ports) };
  }
  const r = a.Resources;
  const ports: number[] = [];
  collectPorts(r?.Networks ?? null, ports);
  return { cpuShares: r?.CPU ?? 0, memoryMB: r?.MemoryMB ?? 0, diskMB: r?.DiskMB ?? 0, ports: dedupe(ports) };
}

function collectPorts(nets: NetworkResource[] | null, out: number[]): void {
  for (const n of nets ?? []) {
    for (const p of n.ReservedPorts ?? []) if (p.Value > 0) out.push(p.Value);
    for (const p of n.DynamicPorts ?? []) if (p.Value > 0) out.push(p.Value);
  }
}

function dedupe(xs: number[]): number[] {
  return xs.length < 2 ? xs : [...new Set(xs)];
}

export function allocsFit(node: Node, allocs: Allocation[]): FitResult {
  const cap = nodeCapacity(node);
  let cpu = 0;
  let mem = 0;
  let disk = 0;
  const used = new Set<number>();
  for (const a of allocs) {
    const u = allocUsage(a);
    cpu += u.cpuShares;
    mem += u.memoryMB;
    disk += u.diskMB;
    for (const p of u.ports) {
      if (used.has(p) || cap.reservedPorts.has(p)) return { fit: false, reason: 'reserved port collision' };
      used.add(p);
    }
  }
  if (cpu > cap.cpuShares) return { fit: false, reason: 'cpu' };
  if (mem > cap.memoryMB) return { fit: false, reason: 'memory' };
  if (disk > cap.diskMB) return { fit: false, reason: 'disk' };
  return { fit: true, reason: '' };
}
