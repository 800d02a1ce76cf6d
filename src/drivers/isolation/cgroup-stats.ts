// A task's resource usage from its cgroup files: memory from memory.stat and the usage
// counters, CPU from cpuacct.stat (ticks) turned into a rate between two samples.
import type { TaskResourceUsage } from '../../rpc/client-endpoints.js';
import { nowNs } from '../../structs/time.js';
import { CpuRateTracker, emptyUsage } from '../proc-stats.js';
import type { TaskCgroup } from './cgroups-v1.js';

/** "key value" lines (memory.stat, cpuacct.stat, cpu.stat) into a map. */
export function parseKeyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

export const CGROUP_MEMORY_MEASURED = ['RSS', 'Cache', 'Swap', 'Usage', 'Max Usage', 'Kernel Usage', 'Kernel Max Usage'];
export const CGROUP_CPU_MEASURED = ['System Mode', 'User Mode', 'Throttled Periods', 'Throttled Time', 'Percent'];

export async function cgroupUsage(cg: TaskCgroup, tracker: CpuRateTracker, cpuMhzPerCore: number): Promise<TaskResourceUsage> {
  const [memStat, usage, maxUsage, kmem, kmemMax, cpuacct, cpuStat] = await Promise.all([
    cg.readFileIn('memory', 'memory.stat'),
    cg.readFileIn('memory', 'memory.usage_in_bytes'),
    cg.readFileIn('memory', 'memory.max_usage_in_bytes'),
    cg.readFileIn('memory', 'memory.kmem.usage_in_bytes'),
    cg.readFileIn('memory', 'memory.kmem.max_usage_in_bytes'),
    cg.readFileIn('cpuacct', 'cpuacct.stat'),
    cg.readFileIn('cpu', 'cpu.stat'),
  ]);
  const mem = parseKeyValues(memStat);
  const cpu = parseKeyValues(cpuacct);
  const thr = parseKeyValues(cpuStat);
  const out = emptyUsage();
  const m = out.MemoryStats;
  // total_* include child cgroups; a task's cgroup has none, but prefer them when present.
  m.RSS = mem.get('total_rss') ?? mem.get('rss') ?? 0;
  m.Cache = mem.get('total_cache') ?? mem.get('cache') ?? 0;
  m.Swap = mem.get('total_swap') ?? mem.get('swap') ?? 0;
  m.Usage = Number(usage) || 0;
  m.MaxUsage = Number(maxUsage) || 0;
  m.KernelUsage = Number(kmem) || 0;
  m.KernelMaxUsage = Number(kmemMax) || 0;
  m.Measured = CGROUP_MEMORY_MEASURED;
  const { userPct, systemPct } = tracker.update(Date.now(), cpu.get('user') ?? 0, cpu.get('system') ?? 0);
  const c = out.CpuStats;
  c.UserMode = userPct;
  c.SystemMode = systemPct;
  c.Percent = userPct + systemPct;
  c.TotalTicks = (c.Percent / 100) * cpuMhzPerCore;
  c.ThrottledPeriods = thr.get('nr_throttled') ?? 0;
  c.ThrottledTime = thr.get('throttled_time') ?? 0;
  c.Measured = CGROUP_CPU_MEASURED;
  return { ResourceUsage: out, Timestamp: nowNs(), Pids: null };
}
