// `nomad alloc status`: one allocation in full: placement, addresses, per-task resources with live
// usage, task events; -verbose adds placement metrics.
import type { Allocation, AllocListStub, AllocMetric, TaskState } from '../../structs/index.js';
import type { NomadClient } from '../../api/index.js';
import type { AllocResourceUsage } from '../../rpc/client-endpoints.js';
import type { Io } from '../context.js';
import { argsError, defineCommand, errText } from '../base.js';
import {
  BYTES_PER_MIB,
  FULL_ID_LENGTH,
  SHORT_ID_LENGTH,
  formatDuration,
  formatG3,
  formatKV,
  formatList,
  formatTime,
  formatUnixNanoTime,
  humanizeBytes,
  limit,
  parseRfc3339Ms,
  prettyTimeDiff,
} from '../format.js';
import { formatAllocList, formatAllocMetrics } from '../views.js';

/** Nomad takes an even number of hex digits of a UUID prefix; an odd last digit is dropped. */
export function sanitizeUuidPrefix(prefix: string): string {
  const hyphens = (prefix.match(/-/g) ?? []).length;
  return (prefix.length - hyphens) % 2 === 0 ? prefix : prefix.slice(0, -1);
}

export type AllocLookup = { alloc: Allocation } | { multiple: AllocListStub[] } | { code: number };

/** Resolves an allocation ID prefix to one allocation, printing Nomad's messages otherwise. */
export async function resolveAlloc(client: NomadClient, io: Io, given: string): Promise<AllocLookup> {
  if (given.length === 1) {
    io.err('Alloc ID must contain at least two characters.');
    return { code: 1 };
  }
  const prefix = sanitizeUuidPrefix(given);
  let allocs: AllocListStub[];
  try {
    allocs = (await client.allocations.list({ prefix })).body ?? [];
  } catch (err) {
    io.err(`Error querying allocation: ${errText(err)}`);
    return { code: 1 };
  }
  if (allocs.length === 0) {
    io.err(`No allocation(s) with prefix or id "${given}" found`);
    return { code: 1 };
  }
  if (allocs.length > 1) return { multiple: allocs };
  try {
    return { alloc: (await client.allocations.info(allocs[0]!.ID)).body };
  } catch (err) {
    io.err(`Error querying allocation: ${errText(err)}`);
    return { code: 1 };
  }
}

export const allocStatusCommand = defineCommand({
  name: 'alloc status',
  synopsis: 'Display allocation status information and metadata',
  help: `Usage: nomad alloc status [options] <allocation>

  Shows one allocation: where it runs, its status, its network addresses, and
  for each task its resources, live usage and recent events.

Alloc Status Options:

  -short
    Show only the allocation's basic information.

  -stats
    Show detailed resource usage.

  -verbose
    Show full IDs, absolute times and the placement metrics.

  -json
    Print the allocation as JSON.
`,
  api: true,
  flags: (fs) => fs.bool('short').bool('stats').bool('verbose').bool('json').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'alloc status', 'This command takes one of the following argument conditions:\n * A single <allocation>');
    const verbose = flags.bool('verbose');
    const idLength = verbose ? FULL_ID_LENGTH : SHORT_ID_LENGTH;
    const api = client();
    const found = await resolveAlloc(api, io, args[0]!);
    if ('code' in found) return found.code;
    if ('multiple' in found) {
      io.out(`Prefix matched multiple allocations\n\n${formatAllocList(found.multiple, verbose, idLength, io.nowMs())}`);
      return 0;
    }
    const alloc = found.alloc;
    if (flags.bool('json')) {
      io.out(JSON.stringify(alloc, null, 4));
      return 0;
    }
    io.out(formatAllocBasicInfo(alloc, verbose, idLength, io.nowMs(), await rescheduleAtMs(api, alloc)));
    if (flags.bool('short')) return 0;

    const addresses = formatAllocAddresses(alloc);
    if (addresses) io.out(`\nAllocation Addresses\n${addresses}`);

    let stats: AllocResourceUsage | null = null;
    try {
      stats = (await api.allocations.stats(alloc.ID)).body;
    } catch (err) {
      io.out('');
      io.err(`Couldn't retrieve stats: ${errText(err)}`);
    }
    for (const task of Object.keys(alloc.TaskStates ?? {}).sort()) {
      io.out('\n' + formatTaskDetails(alloc, task, stats, flags.bool('stats')));
    }
    if (verbose && alloc.Metrics) {
      const m = formatPlacementMetrics(alloc.Metrics);
      if (m) io.out(`\nPlacement Metrics\n${m}`);
    }
    return 0;
  },
});

/**
 * When the follow-up eval of a failed allocation waiting for its reschedule delay runs. Not
 * worth failing the command over: null on errors, as Nomad leaves the line out then.
 */
async function rescheduleAtMs(api: NomadClient, alloc: Allocation): Promise<number | null> {
  if (!alloc.FollowupEvalID) return null;
  try {
    const ev = (await api.evaluations.info(alloc.FollowupEvalID)).body;
    const at = ev.WaitUntil ? parseRfc3339Ms(ev.WaitUntil) : NaN;
    return Number.isFinite(at) && at > 0 ? at : null;
  } catch {
    return null;
  }
}

export function formatAllocBasicInfo(alloc: Allocation, verbose: boolean, idLength: number, nowMs: number, rescheduleAt: number | null = null): string {
  const when = (ns: number): string => (verbose ? formatUnixNanoTime(ns) : prettyTimeDiff(ns / 1e6, nowMs));
  const rows = [
    `ID|${alloc.ID}`,
    `Eval ID|${limit(alloc.EvalID, idLength)}`,
    `Name|${alloc.Name}`,
    `Node ID|${limit(alloc.NodeID, idLength)}`,
    `Node Name|${alloc.NodeName ?? ''}`,
    `Job ID|${alloc.JobID}`,
    `Job Version|${alloc.Job?.Version ?? 0}`,
    `Client Status|${alloc.ClientStatus}`,
    `Client Description|${alloc.ClientDescription ?? ''}`,
    `Desired Status|${alloc.DesiredStatus}`,
    `Desired Description|${alloc.DesiredDescription ?? ''}`,
    `Created|${when(alloc.CreateTime)}`,
    `Modified|${when(alloc.ModifyTime)}`,
  ];
  if (alloc.DeploymentID) {
    let health = 'unset';
    const ds = alloc.DeploymentStatus;
    if (ds && ds.Healthy !== null && ds.Healthy !== undefined) health = ds.Healthy ? 'healthy' : 'unhealthy';
    rows.push(`Deployment ID|${limit(alloc.DeploymentID, idLength)}`, `Deployment Health|${health}`);
    if (ds?.Canary) rows.push('Canary|true');
  }
  const events = alloc.RescheduleTracker?.Events ?? [];
  const policy = alloc.Job?.TaskGroups?.find((g) => g.Name === alloc.TaskGroup)?.ReschedulePolicy;
  if (events.length > 0 && policy && !policy.Unlimited && policy.Attempts > 0) {
    rows.push(`Reschedule Attempts|${events.length}/${policy.Attempts}`);
  }
  if (alloc.NextAllocation) rows.push(`Replacement Alloc ID|${limit(alloc.NextAllocation, idLength)}`);
  // Only a time still ahead is shown: once passed, the follow-up eval is due or done.
  if (rescheduleAt !== null && rescheduleAt > nowMs) rows.push(`Reschedule Eligibility|${prettyTimeDiff(rescheduleAt, nowMs)}`);
  if (verbose && alloc.Metrics) {
    const m = alloc.Metrics;
    rows.push(
      `Evaluated Nodes|${m.NodesEvaluated}`,
      `Filtered Nodes|${m.NodesFiltered}`,
      `Exhausted Nodes|${m.NodesExhausted}`,
      `Allocation Time|${formatDuration(m.AllocationTime)}`,
      `Failures|${m.CoalescedFailures}`,
    );
  }
  return formatKV(rows);
}

function formatAllocAddresses(alloc: Allocation): string {
  const rows = ['Label|Dynamic|Address'];
  for (const nw of alloc.AllocatedResources?.Shared?.Networks ?? []) {
    for (const p of nw.DynamicPorts ?? []) rows.push(`*${p.Label}|yes|${nw.IP}:${p.Value}${p.To > 0 ? ` -> ${p.To}` : ''}`);
    for (const p of nw.ReservedPorts ?? []) rows.push(`*${p.Label}|no|${nw.IP}:${p.Value}${p.To > 0 ? ` -> ${p.To}` : ''}`);
  }
  return rows.length > 1 ? formatList(rows) : '';
}

function formatTaskDetails(alloc: Allocation, task: string, stats: AllocResourceUsage | null, detailed: boolean): string {
  const state = alloc.TaskStates![task]!;
  const parts = [`Task "${task}" is "${state.State}"`, `Task Resources\n${formatTaskResources(alloc, task, stats)}`];
  const usage = stats?.Tasks?.[task]?.ResourceUsage;
  if (detailed && usage) {
    // As Nomad: one table per kind with a column for each figure the driver measures, names sorted.
    const sections: string[] = [];
    const m = usage.MemoryStats;
    const memory = measuredTable(m.Measured, {
      RSS: humanizeBytes(m.RSS),
      Cache: humanizeBytes(m.Cache),
      Swap: humanizeBytes(m.Swap),
      Usage: humanizeBytes(m.Usage),
      'Max Usage': humanizeBytes(m.MaxUsage),
      'Kernel Usage': humanizeBytes(m.KernelUsage),
      'Kernel Max Usage': humanizeBytes(m.KernelMaxUsage),
    });
    if (memory) sections.push(`Memory Stats\n${memory}`);
    const c = usage.CpuStats;
    const cpu = measuredTable(c.Measured, {
      Percent: `${c.Percent.toFixed(2)}%`,
      'Throttled Periods': String(c.ThrottledPeriods),
      'Throttled Time': String(c.ThrottledTime),
      'User Mode': `${c.UserMode.toFixed(2)}%`,
      'System Mode': `${c.SystemMode.toFixed(2)}%`,
    });
    if (cpu) sections.push(`CPU Stats\n${cpu}`);
    if (sections.length > 0) parts.push(`\n${sections.join('\n\n')}`);
  }
  return `${parts.join('\n')}\n\n${formatTaskEvents(state)}`;
}

/** A header row of the measured names (sorted) over a row of their values; '' when none is measured. */
function measuredTable(measured: string[] | null | undefined, values: Record<string, string>): string {
  const names = [...(measured ?? [])].sort().filter((n) => n in values);
  if (names.length === 0) return '';
  return formatList([names.join('|'), names.map((n) => values[n]!).join('|')]);
}

function formatTaskResources(alloc: Allocation, task: string, stats: AllocResourceUsage | null): string {
  const legacy = alloc.TaskResources?.[task];
  const allocated = alloc.AllocatedResources?.Tasks?.[task];
  const cpuMHz = legacy?.CPU ?? allocated?.Cpu.CpuShares ?? 0;
  const memMiB = legacy?.MemoryMB ?? allocated?.Memory.MemoryMB ?? 0;
  let cpu = String(cpuMHz);
  let mem = humanizeBytes(memMiB * BYTES_PER_MIB);
  const usage = stats?.Tasks?.[task]?.ResourceUsage;
  if (usage) {
    cpu = `${Math.floor(usage.CpuStats.TotalTicks)}/${cpu}`;
    const ms = usage.MemoryStats;
    const used = (ms.Measured ?? []).includes('RSS') || ms.Usage === 0 ? ms.RSS : ms.Usage;
    mem = `${humanizeBytes(used)}/${mem}`;
  }
  const diskMiB = alloc.Resources?.DiskMB ?? alloc.AllocatedResources?.Shared?.DiskMB ?? 0;
  const addrs: string[] = [];
  for (const nw of legacy?.Networks ?? []) {
    for (const p of [...(nw.DynamicPorts ?? []), ...(nw.ReservedPorts ?? [])]) addrs.push(`${p.Label}: ${nw.IP}:${p.Value}`);
  }
  const rows = ['CPU|Memory|Disk|Addresses', `${cpu} MHz|${mem}|${humanizeBytes(diskMiB * BYTES_PER_MIB)}|${addrs[0] ?? ''}`];
  for (const a of addrs.slice(1)) rows.push(`|||${a}`);
  return formatList(rows);
}

function formatTaskEvents(state: TaskState): string {
  const started = parseRfc3339Ms(state.StartedAt);
  const finished = parseRfc3339Ms(state.FinishedAt);
  const lastRestart = parseRfc3339Ms(state.LastRestart);
  const kv = formatKV([
    `Started At|${Number.isNaN(started) ? 'N/A' : formatTime(started)}`,
    `Finished At|${Number.isNaN(finished) ? 'N/A' : formatTime(finished)}`,
    `Total Restarts|${state.Restarts}`,
    `Last Restart|${Number.isNaN(lastRestart) ? 'N/A' : formatTime(lastRestart)}`,
  ]);
  const rows = ['Time|Type|Description'];
  const events = state.Events ?? [];
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    rows.push(`${formatUnixNanoTime(e.Time)}|${e.Type}|${(e.DisplayMessage || e.Message || '').replace(/\|/g, '/')}`);
  }
  return `Task Events:\n${kv}\n\nRecent Events:\n${formatList(rows)}`;
}

function formatPlacementMetrics(m: AllocMetric): string {
  const out: string[] = [];
  const reasons = formatAllocMetrics(m, '');
  if (reasons) out.push(reasons);
  const metas = m.ScoreMetaData ?? [];
  if (metas.length > 0) {
    const names = [...new Set(metas.flatMap((s) => Object.keys(s.Scores ?? {})))].sort();
    const rows = [['Node', ...names, 'final score'].join('|')];
    for (const s of metas) rows.push([s.NodeID, ...names.map((n) => formatG3(s.Scores?.[n] ?? 0)), formatG3(s.NormScore)].join('|'));
    out.push(formatList(rows));
  }
  return out.join('\n');
}
