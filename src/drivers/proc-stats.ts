// Resource usage of a process tree, read from /proc. Tasks lead their own process group
// (setsid), so the tree is every process whose group id is the task's leader pid; that also
// catches grandchildren whose parents already exited, which a parent-pid walk would miss.
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import type { ResourceUsage, TaskResourceUsage } from '../rpc/client-endpoints.js';
import { nowNs } from '../structs/time.js';

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux is 100 on every mainstream architecture
const PAGE_SIZE_BYTES = 4096;
/** Scanning /proc is O(processes); bound it so a fork bomb cannot stall the stats call. */
const MAX_PROC_ENTRIES = 65_536;

export interface ProcSample {
  pid: number;
  processGroup: number;
  userTicks: number;
  systemTicks: number;
  rssBytes: number;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so split after the last ')'. */
export function parseProcStat(text: string): ProcSample | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const pid = parseInt(text, 10);
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); pgrp is field 5, utime 14, stime 15, rss 24.
  const processGroup = Number(rest[2]);
  const userTicks = Number(rest[11]);
  const systemTicks = Number(rest[12]);
  const rssPages = Number(rest[21]);
  if (!Number.isFinite(processGroup) || !Number.isFinite(userTicks)) return null;
  return { pid, processGroup, userTicks, systemTicks, rssBytes: rssPages * PAGE_SIZE_BYTES };
}

/** The process table by process group; one scan of /proc serves every caller that asks meanwhile. */
let scanInFlight: Promise<Map<number, ProcSample[]>> | null = null;

/**
 * Every process of the host grouped by process group. Callers that arrive while a scan runs share
 * it: the client's collection asks for every task at once, and one pass over /proc answers them
 * all instead of one pass per task.
 */
export function scanProcessGroups(): Promise<Map<number, ProcSample[]>> {
  scanInFlight ??= readProcessTable().finally(() => (scanInFlight = null));
  return scanInFlight;
}

/**
 * Files of /proc read per turn of the event loop. Reading /proc/<pid>/stat synchronously costs a
 * fifth of the CPU of an asynchronous read (no thread pool hop, no promise per file); in chunks,
 * the event loop is never held for more than a few milliseconds even with thousands of processes.
 */
const PROC_FILES_PER_TURN = 64;

async function readProcessTable(): Promise<Map<number, ProcSample[]>> {
  const groups = new Map<number, ProcSample[]>();
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return groups;
  }
  const pids = entries.filter((e) => e.charCodeAt(0) >= 48 && e.charCodeAt(0) <= 57).slice(0, MAX_PROC_ENTRIES);
  for (let i = 0; i < pids.length; i++) {
    if (i > 0 && i % PROC_FILES_PER_TURN === 0) await new Promise<void>((r) => setImmediate(r));
    let s: ProcSample | null;
    try {
      s = parseProcStat(readFileSync(`/proc/${pids[i]}/stat`, 'utf8'));
    } catch {
      continue; // the process ended between readdir and read
    }
    if (s === null) continue;
    const list = groups.get(s.processGroup);
    if (list) list.push(s);
    else groups.set(s.processGroup, [s]);
  }
  return groups;
}

export async function sampleProcessGroup(groupId: number): Promise<ProcSample[]> {
  return (await scanProcessGroups()).get(groupId) ?? [];
}

/** Keeps the previous sample per task so CPU percent is a rate over the last interval. */
export class CpuRateTracker {
  private prev: { atMs: number; user: number; system: number } | null = null;

  /** Returns percents of one core (100 = one core busy), as Nomad reports them. */
  update(nowMs: number, userTicks: number, systemTicks: number): { userPct: number; systemPct: number } {
    const prev = this.prev;
    this.prev = { atMs: nowMs, user: userTicks, system: systemTicks };
    if (prev === null || nowMs <= prev.atMs) return { userPct: 0, systemPct: 0 };
    const elapsedTicks = ((nowMs - prev.atMs) / 1000) * CLOCK_TICKS_PER_S;
    return {
      userPct: (Math.max(0, userTicks - prev.user) / elapsedTicks) * 100,
      systemPct: (Math.max(0, systemTicks - prev.system) / elapsedTicks) * 100,
    };
  }
}

export function emptyUsage(): ResourceUsage {
  return {
    MemoryStats: { RSS: 0, Cache: 0, Swap: 0, Usage: 0, MaxUsage: 0, KernelUsage: 0, KernelMaxUsage: 0, Measured: ['RSS', 'Swap'] },
    CpuStats: { SystemMode: 0, UserMode: 0, TotalTicks: 0, ThrottledPeriods: 0, ThrottledTime: 0, Percent: 0, Measured: ['System Mode', 'User Mode', 'Percent'] },
    DeviceStats: null,
  };
}

/** Sums a process group's processes into Nomad's TaskResourceUsage; TotalTicks is MHz consumed. */
export async function processGroupUsage(groupId: number, tracker: CpuRateTracker, cpuMhzPerCore: number): Promise<TaskResourceUsage> {
  const samples = await sampleProcessGroup(groupId);
  let user = 0;
  let system = 0;
  let rss = 0;
  for (const s of samples) {
    user += s.userTicks;
    system += s.systemTicks;
    rss += s.rssBytes;
  }
  const { userPct, systemPct } = tracker.update(Date.now(), user, system);
  const usage = emptyUsage();
  usage.MemoryStats.RSS = rss;
  usage.CpuStats.UserMode = userPct;
  usage.CpuStats.SystemMode = systemPct;
  usage.CpuStats.Percent = userPct + systemPct;
  usage.CpuStats.TotalTicks = ((userPct + systemPct) / 100) * cpuMhzPerCore;
  return { ResourceUsage: usage, Timestamp: nowNs(), Pids: null };
}
