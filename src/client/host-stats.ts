// Host statistics for /v1/client/stats: per-core CPU percentages (as a rate since the previous
// call), memory, the data dir's disk, uptime. Read from /proc; nothing is spawned.
import { readFile, statfs } from 'node:fs/promises';
import { nowNs } from '../structs/time.js';
import { deviceForPath } from './fingerprint/storage.js';

interface CoreTicks {
  user: number;
  system: number;
  idle: number;
  total: number;
}

export function parseProcStatCpus(text: string): Map<string, CoreTicks> {
  const out = new Map<string, CoreTicks>();
  for (const line of text.split('\n')) {
    if (!/^cpu\d+ /.test(line)) continue;
    const [name, ...fields] = line.trim().split(/\s+/);
    const n = fields.map(Number);
    // user nice system idle iowait irq softirq steal
    const user = (n[0] ?? 0) + (n[1] ?? 0);
    const system = (n[2] ?? 0) + (n[5] ?? 0) + (n[6] ?? 0);
    const idle = (n[3] ?? 0) + (n[4] ?? 0);
    const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
    out.set(name!, { user, system, idle, total });
  }
  return out;
}

function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * 1024;
  }
  return out;
}

export interface HostCpuStats {
  CPU: string;
  Idle: number;
  System: number;
  Total: number;
  User: number;
}

export interface HostDiskStats {
  Available: number;
  Device: string;
  InodesUsedPercent: number;
  Mountpoint: string;
  Size: number;
  Used: number;
  UsedPercent: number;
}

/** Nomad's HostStats, as /v1/client/stats answers it. */
export interface HostStatsReport {
  AllocDirStats: HostDiskStats | null;
  CPU: HostCpuStats[];
  CPUTicksConsumed: number;
  DeviceStats: null;
  DiskStats: HostDiskStats[];
  Memory: { Available: number; Free: number; Total: number; Used: number };
  Timestamp: number;
  Uptime: number;
}

async function diskStats(path: string, device: string, mountpoint: string): Promise<HostDiskStats> {
  const fs = await statfs(path);
  const size = fs.blocks * fs.bsize;
  const available = fs.bavail * fs.bsize;
  const used = (fs.blocks - fs.bfree) * fs.bsize;
  const inodesUsed = fs.files - fs.ffree;
  return {
    Available: available,
    Device: device,
    InodesUsedPercent: fs.files > 0 ? (inodesUsed / fs.files) * 100 : 0,
    Mountpoint: mountpoint,
    Size: size,
    Used: used,
    UsedPercent: used + available > 0 ? (used / (used + available)) * 100 : 0,
  };
}

export class HostStatsCollector {
  private prev: Map<string, CoreTicks> | null = null;

  constructor(
    private readonly allocRoot: string,
    private readonly mhzPerCore: () => number,
  ) {}

  async collect(): Promise<HostStatsReport> {
    const [statText, memText, uptimeText, mounts] = await Promise.all(
      ['/proc/stat', '/proc/meminfo', '/proc/uptime', '/proc/mounts'].map((p) => readFile(p, 'utf8').catch(() => '')),
    );
    const cur = parseProcStatCpus(statText!);
    const cpu: HostCpuStats[] = [];
    let ticksConsumed = 0;
    for (const [name, c] of cur) {
      const p = this.prev?.get(name) ?? { user: 0, system: 0, idle: 0, total: 0 };
      const dt = c.total - p.total;
      const pct = (v: number): number => (dt > 0 ? (v / dt) * 100 : 0);
      const total = dt > 0 ? 100 - pct(c.idle - p.idle) : 0;
      cpu.push({ CPU: name, Idle: pct(c.idle - p.idle), System: pct(c.system - p.system), Total: total, User: pct(c.user - p.user) });
      ticksConsumed += (total / 100) * this.mhzPerCore();
    }
    this.prev = cur;
    const mem = parseMeminfo(memText!);
    const total = mem['MemTotal'] ?? 0;
    const free = mem['MemFree'] ?? 0;
    const used = Math.max(0, total - free - (mem['Buffers'] ?? 0) - (mem['Cached'] ?? 0) - (mem['SReclaimable'] ?? 0));
    const device = deviceForPath(mounts!, this.allocRoot) ?? '';
    const mountpoint = mountOf(mounts!, this.allocRoot) ?? '/';
    const [allocDirStats, rootStats] = await Promise.all([
      diskStats(this.allocRoot, '', '').catch(() => null),
      diskStats(mountpoint, device, mountpoint).catch(() => null),
    ]);
    return {
      AllocDirStats: allocDirStats,
      CPU: cpu,
      CPUTicksConsumed: ticksConsumed,
      DeviceStats: null,
      DiskStats: rootStats ? [rootStats] : [],
      Memory: { Available: mem['MemAvailable'] ?? free, Free: free, Total: total, Used: used },
      Timestamp: nowNs(),
      Uptime: Math.floor(parseFloat(uptimeText!.split(' ')[0] ?? '0') || 0),
    };
  }
}

function mountOf(mounts: string, path: string): string | null {
  let best: string | null = null;
  for (const line of mounts.split('\n')) {
    const m = line.split(' ')[1];
    if (!m) continue;
    if ((m === '/' || path === m || path.startsWith(m + '/')) && (!best || m.length > best.length)) best = m;
  }
  return best;
}
