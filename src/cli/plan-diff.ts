// The `job plan` printer: a job diff (as the agent computes it) drawn with +, -, +/- markers,
// names aligned within each block, annotations in parentheses; then the dry-run summary.
import type { AllocMetric, Evaluation } from '../structs/index.js';
import type { JobPlanResponse } from '../api/index.js';
import type { FieldDiff, JobDiff, ObjectDiff, TaskDiff, TaskGroupDiff } from '../structs/diff-types.js';
import { formatDurationNs } from '../structs/time.js';
import { failedNoun, formatAllocMetrics } from './views.js';

function marker(type: string): string {
  switch (type) {
    case 'Added':
      return '+ ';
    case 'Deleted':
      return '- ';
    case 'Edited':
      return '+/- ';
    default:
      return '';
  }
}

const sp = (n: number): string => ' '.repeat(Math.max(0, n));

/** Go's %q for the plain strings diffs carry. */
function quote(s: string): string {
  return JSON.stringify(s);
}

function longestPrefixes(fields: FieldDiff[] | null, objects: ObjectDiff[] | null): { field: number; marker: number } {
  let field = 0;
  let mark = 0;
  for (const f of fields ?? []) {
    field = Math.max(field, f.Name.length);
    mark = Math.max(mark, marker(f.Type).length);
  }
  for (const o of objects ?? []) mark = Math.max(mark, marker(o.Type).length);
  return { field, marker: mark };
}

function formatFieldDiff(d: FieldDiff, start: number, keyPad: number, valuePad: number): string {
  let out = `${sp(start)}${marker(d.Type)}${sp(keyPad)}${d.Name}: ${sp(valuePad)}`;
  if (d.Type === 'Added') out += quote(d.New);
  else if (d.Type === 'Deleted') out += quote(d.Old);
  else if (d.Type === 'Edited') out += `${quote(d.Old)} => ${quote(d.New)}`;
  else out += quote(d.New);
  if (d.Annotations && d.Annotations.length > 0) out += ` (${d.Annotations.join(', ')})`;
  return out;
}

function formatObjectDiff(d: ObjectDiff, start: number, keyPad: number): string {
  let out = `${sp(start)}${marker(d.Type)}${sp(keyPad)}${d.Name} {\n`;
  const p = longestPrefixes(d.Fields, d.Objects);
  out += alignedFieldsAndObjects(d.Fields, d.Objects, start + keyPad + 2, p.field, p.marker);
  return `${out}\n${sp(start + marker(d.Type).length + keyPad)}}`;
}

function alignedFieldsAndObjects(fields: FieldDiff[] | null, objects: ObjectDiff[] | null, start: number, longestField: number, longestMarker: number): string {
  const fs = fields ?? [];
  const os = objects ?? [];
  const parts: string[] = [];
  for (const f of fs) parts.push(formatFieldDiff(f, start, longestMarker - marker(f.Type).length, longestField - f.Name.length));
  for (const o of os) parts.push(formatObjectDiff(o, start, longestMarker - marker(o.Type).length));
  return parts.join('\n');
}

function formatTaskDiff(t: TaskDiff, start: number, taskPad: number, verbose: boolean): string {
  let out = `${sp(start)}${marker(t.Type)}${sp(taskPad)}Task: ${quote(t.Name)}`;
  if (t.Annotations && t.Annotations.length > 0) out += ` (${t.Annotations.join(', ')})`;
  if (t.Type === 'None') return out;
  if ((t.Type === 'Added' || t.Type === 'Deleted') && !verbose) return out;
  out += '\n';
  const p = longestPrefixes(t.Fields, t.Objects);
  return out + alignedFieldsAndObjects(t.Fields, t.Objects, start + 2, p.field, p.marker);
}

function formatTaskGroupDiff(tg: TaskGroupDiff, tgPad: number, verbose: boolean): string {
  let out = `${marker(tg.Type)}${sp(tgPad)}Task Group: ${quote(tg.Name)}`;
  const updates = Object.keys(tg.Updates ?? {}).sort();
  out += updates.length > 0 ? ` (${updates.map((u) => `${tg.Updates![u]} ${u}`).join(', ')})\n` : '\n';
  const p = longestPrefixes(tg.Fields, tg.Objects);
  let longestMarker = p.marker;
  for (const t of tg.Tasks ?? []) longestMarker = Math.max(longestMarker, marker(t.Type).length);
  const sub = tgPad + 2;
  if (tg.Type === 'Edited' || verbose) {
    const fo = alignedFieldsAndObjects(tg.Fields, tg.Objects, sub, p.field, longestMarker);
    if (fo.length > 0) out += fo + '\n';
  }
  for (const t of tg.Tasks ?? []) out += formatTaskDiff(t, sub, longestMarker - marker(t.Type).length, verbose) + '\n';
  return out;
}

export function formatJobDiff(job: JobDiff, verbose: boolean): string {
  let out = `${marker(job.Type)}Job: ${quote(job.ID)}\n`;
  const p = longestPrefixes(job.Fields, job.Objects);
  let longestMarker = p.marker;
  for (const tg of job.TaskGroups ?? []) longestMarker = Math.max(longestMarker, marker(tg.Type).length);
  if (job.Type === 'Edited' || verbose) {
    const fo = alignedFieldsAndObjects(job.Fields, job.Objects, 0, p.field, longestMarker);
    if (fo.length > 0) out += fo + '\n';
  }
  for (const tg of job.TaskGroups ?? []) out += formatTaskGroupDiff(tg, longestMarker - marker(tg.Type).length, verbose) + '\n';
  return out;
}

/** The "Scheduler dry-run:" body. */
export function formatDryRun(resp: JobPlanResponse, jobType: string, nowMs: number, drivers: Record<string, string[]> = {}): string {
  let rolling: Evaluation | undefined;
  for (const e of resp.CreatedEvals ?? []) if (e.TriggeredBy === 'rolling-update') rolling = e;
  let out: string;
  const failed = resp.FailedTGAllocs ?? {};
  const groups = Object.keys(failed).sort();
  if (groups.length === 0) {
    out = '- All tasks successfully allocated.\n';
  } else {
    out = jobType === 'system' ? '- WARNING: Failed to place allocations on all nodes.\n' : '- WARNING: Failed to place all allocations.\n';
    for (const tg of groups) {
      const m: AllocMetric = failed[tg]!;
      out += `  Task Group ${quote(tg)} (failed to place ${failedNoun(m)}):\n`;
      out += `${formatAllocMetrics(m, '    ', drivers[tg])}\n\n`;
    }
    if (!rolling) out = out.replace(/\n$/, '');
  }
  if (rolling) out += `- Rolling update, next evaluation will be in ${formatDurationNs(rolling.Wait)}.\n`;
  if (resp.NextPeriodicLaunch && !resp.NextPeriodicLaunch.startsWith('0001-')) {
    const next = Date.parse(resp.NextPeriodicLaunch);
    if (Number.isFinite(next)) {
      const diffS = Math.max(0, Math.round((next - nowMs) / 1000));
      out += `- If submitted now, next periodic launch would be at ${new Date(next).toISOString().slice(0, 19)}Z (${formatDurationNs(diffS * 1e9)} from now).\n`;
    }
  }
  return out.replace(/\n$/, '');
}

export function formatJobModifyIndex(index: number, path: string): string {
  return `Job Modify Index: ${index}
To submit the job with version verification run:

nomad job run -check-index ${index} ${path}

When running the job with the check-index flag, the job will only be run if the
job modify index given matches the server-side version. If the index has
changed, another user has modified the job and the plan's results are
potentially invalid.`;
}

/** 1 when the plan would create, destroy, migrate or replace allocations; 0 otherwise. */
export function planExitCode(resp: JobPlanResponse): number {
  for (const d of Object.values(resp.Annotations?.DesiredTGUpdates ?? {})) {
    const n = (d['Stop'] ?? 0) + (d['Place'] ?? 0) + (d['Migrate'] ?? 0) + (d['DestructiveUpdate'] ?? 0) + (d['Canary'] ?? 0);
    if (n > 0) return 1;
  }
  return 0;
}
