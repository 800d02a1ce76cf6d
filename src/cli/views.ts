// Blocks of output shared by several commands: deployments, allocation lists, placement metrics.
import type { AllocListStub, AllocMetric, Deployment } from '../structs/index.js';
import { formatKV, formatList, formatTime, formatUnixNanoTime, limit, parseRfc3339Ms, prettyTimeDiff } from './format.js';

export function formatDeployment(d: Deployment, idLength: number): string {
  const base = formatKV([
    `ID|${limit(d.ID, idLength)}`,
    `Job ID|${d.JobID}`,
    `Job Version|${d.JobVersion}`,
    `Status|${d.Status}`,
    `Description|${d.StatusDescription}`,
  ]);
  if (Object.keys(d.TaskGroups ?? {}).length === 0) return base;
  return `${base}\n\nDeployed\n${formatDeploymentGroups(d)}`;
}

/** The per-group table; optional columns appear only when some group needs them. */
export function formatDeploymentGroups(d: Deployment): string {
  const names = Object.keys(d.TaskGroups ?? {}).sort();
  const states = names.map((n) => d.TaskGroups[n]!);
  const autoRevert = states.some((s) => s.AutoRevert);
  const canaries = states.some((s) => s.DesiredCanaries > 0);
  const deadline = states.some((s) => s.ProgressDeadline !== 0);
  let header = 'Task Group|';
  if (autoRevert) header += 'Auto Revert|';
  if (canaries) header += 'Promoted|';
  header += 'Desired|';
  if (canaries) header += 'Canaries|';
  header += 'Placed|Healthy|Unhealthy';
  if (deadline) header += '|Progress Deadline';
  const rows = [header];
  names.forEach((name, i) => {
    const s = states[i]!;
    let row = `${name}|`;
    if (autoRevert) row += `${s.AutoRevert}|`;
    if (canaries) row += s.DesiredCanaries > 0 ? `${s.Promoted}|` : 'N/A|';
    row += `${s.DesiredTotal}|`;
    if (canaries) row += `${s.DesiredCanaries}|`;
    row += `${s.PlacedAllocs}|${s.HealthyAllocs}|${s.UnhealthyAllocs}`;
    if (deadline) {
      const by = parseRfc3339Ms(s.RequireProgressBy);
      row += `|${Number.isNaN(by) ? 'N/A' : formatTime(by)}`;
    }
    rows.push(row);
  });
  return formatList(rows);
}

/** Newest first; allocations created together keep the agent's order (by ID). */
export function sortAllocsNewestFirst<T extends { CreateIndex: number }>(allocs: T[]): T[] {
  return allocs
    .map((a, i) => ({ a, i }))
    .sort((x, y) => y.a.CreateIndex - x.a.CreateIndex || x.i - y.i)
    .map((x) => x.a);
}

type AllocRow = Pick<AllocListStub, 'ID' | 'EvalID' | 'NodeID' | 'TaskGroup' | 'DesiredStatus' | 'ClientStatus' | 'CreateTime' | 'ModifyTime'> & {
  JobVersion?: number;
  Job?: { Version: number } | null;
};

export function formatAllocList(allocs: AllocRow[], verbose: boolean, idLength: number, nowMs: number): string {
  if (allocs.length === 0) return 'No allocations placed';
  const rows = [verbose ? 'ID|Eval ID|Node ID|Task Group|Version|Desired|Status|Created|Modified' : 'ID|Node ID|Task Group|Version|Desired|Status|Created|Modified'];
  for (const a of allocs) {
    const version = a.JobVersion ?? a.Job?.Version ?? 0;
    const created = verbose ? formatUnixNanoTime(a.CreateTime) : prettyTimeDiff(a.CreateTime / 1e6, nowMs);
    const modified = verbose ? formatUnixNanoTime(a.ModifyTime) : prettyTimeDiff(a.ModifyTime / 1e6, nowMs);
    const cells = [limit(a.ID, idLength)];
    if (verbose) cells.push(limit(a.EvalID, idLength));
    cells.push(limit(a.NodeID, idLength), a.TaskGroup, String(version), a.DesiredStatus, a.ClientStatus, created, modified);
    rows.push(cells.join('|'));
  }
  return formatList(rows);
}

/** The drivers each group's tasks use: a "missing drivers" failure names them. */
export function groupDrivers(job: { TaskGroups?: Array<{ Name?: string | null; Tasks?: Array<{ Driver?: string | null }> | null }> | null } | null | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const g of job?.TaskGroups ?? []) {
    if (g.Name) out[g.Name] = [...new Set((g.Tasks ?? []).map((t) => t.Driver ?? '').filter(Boolean))].sort();
  }
  return out;
}

/**
 * Why a task group could not be placed, one "* ..." line per reason. With the group's drivers,
 * the "missing drivers" line says which drivers the nodes lack.
 */
export function formatAllocMetrics(m: AllocMetric, prefix: string, drivers: readonly string[] = []): string {
  const lines: string[] = [];
  if (m.NodesEvaluated === 0) lines.push(`${prefix}* No nodes were eligible for evaluation`);
  for (const [dc, n] of sortedEntries(m.NodesAvailable)) {
    if (n === 0) lines.push(`${prefix}* No nodes are available in datacenter "${dc}"`);
  }
  for (const [cls, n] of sortedEntries(m.ClassFiltered)) lines.push(`${prefix}* Class "${cls}": ${n} nodes excluded by filter`);
  for (const [c, n] of sortedEntries(m.ConstraintFiltered)) {
    const which = c === 'missing drivers' && drivers.length > 0 ? ` (the group's tasks use driver${drivers.length > 1 ? 's' : ''} ${drivers.map((d) => `"${d}"`).join(', ')})` : '';
    lines.push(`${prefix}* Constraint "${c}": ${n} nodes excluded by filter${which}`);
  }
  if (m.NodesExhausted > 0) lines.push(`${prefix}* Resources exhausted on ${m.NodesExhausted} nodes`);
  for (const [cls, n] of sortedEntries(m.ClassExhausted)) lines.push(`${prefix}* Class "${cls}" exhausted on ${n} nodes`);
  for (const [dim, n] of sortedEntries(m.DimensionExhausted)) lines.push(`${prefix}* Dimension "${dim}" exhausted on ${n} nodes`);
  for (const q of m.QuotaExhausted ?? []) lines.push(`${prefix}* Quota limit hit "${q}"`);
  return lines.join('\n');
}

export function failedNoun(m: AllocMetric): string {
  return `${m.CoalescedFailures + 1} allocation${m.CoalescedFailures > 0 ? 's' : ''}`;
}

function sortedEntries(rec: Record<string, number> | null | undefined): Array<[string, number]> {
  return Object.entries(rec ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
