// Periodic jobs: Nomad's cron dialect (that of its cronexpr library) on top of croner, the IDs of
// the children a periodic or parameterized parent launches, and the launch records the leader
// uses to notice launches missed while no server led.
import { Cron } from 'croner';
import type { Job, PeriodicConfig } from './job.js';

/** Children of a periodic job are named `<parent>/periodic-<unix seconds>`. */
export const PERIODIC_LAUNCH_SUFFIX = '/periodic-';
/** Children of a parameterized job are named `<parent>/dispatch-<unix seconds>-<8 hex>`. */
export const DISPATCH_LAUNCH_SUFFIX = '/dispatch-';
/** Largest payload a dispatch may carry, as Nomad bounds it. */
export const DISPATCH_PAYLOAD_SIZE_LIMIT_BYTES = 16 * 1024;

/** When a periodic job last launched (or was registered, before its first launch). */
export interface PeriodicLaunch {
  ID: string;
  Namespace: string;
  /** RFC 3339 with nanoseconds, as Nomad encodes time.Time. */
  Launch: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** The shorthand specs cronexpr knows, as full seven-field expressions. */
const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 0 1 1 * *',
  '@annually': '0 0 0 1 1 * *',
  '@monthly': '0 0 0 1 * * *',
  '@weekly': '0 0 0 * * 0 *',
  '@daily': '0 0 0 * * * *',
  '@hourly': '0 0 * * * * *',
};

/**
 * Nomad's spec as seven fields (seconds ... year). cronexpr reads five fields as minute to
 * day-of-week, and six fields as minute to year: croner reads six fields as seconds first, so
 * the spec is spelled out before croner sees it.
 */
export function sevenFieldSpec(spec: string): string {
  const trimmed = spec.trim();
  const nick = NICKNAMES[trimmed.toLowerCase()];
  if (nick !== undefined) return nick;
  const fields = trimmed.split(/\s+/).filter(Boolean);
  if (fields.length === 5) return `0 ${fields.join(' ')} *`;
  if (fields.length === 6) return `0 ${fields.join(' ')}`;
  if (fields.length === 7) return fields.join(' ');
  throw new Error(fields.length < 5 ? 'missing field(s)' : 'too many fields');
}

function cronOf(spec: string, timeZone: string): Cron {
  const options = { mode: '7-part' as const, sloppyRanges: true, paused: true, ...(timeZone && timeZone !== 'Local' ? { timezone: timeZone } : {}) };
  return new Cron(sevenFieldSpec(spec), options);
}

/** Why a cron spec is not valid in Nomad's dialect, or null when it is. */
export function cronSpecError(spec: string): string | null {
  try {
    cronOf(spec, 'UTC');
    return null;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).replace(/^CronPattern: /, '');
  }
}

/**
 * The first launch strictly after `afterMs` (wall-clock ms), in the job's time zone; null when
 * the spec has no later time (a year in the past) or cannot be read.
 */
export function nextLaunchMs(p: PeriodicConfig, afterMs: number): number | null {
  if (p.SpecType !== 'cron') return null;
  try {
    const next = cronOf(p.Spec, p.TimeZone).nextRun(new Date(afterMs));
    return next ? next.getTime() : null;
  } catch {
    return null;
  }
}

export function isPeriodicActive(job: Job): boolean {
  return job.Periodic !== null && job.Periodic.Enabled && job.ParameterizedJob === null && !job.Stop;
}

export function periodicChildId(parentId: string, launchMs: number): string {
  return `${parentId}${PERIODIC_LAUNCH_SUFFIX}${Math.floor(launchMs / 1000)}`;
}

/** The launch time (ms) a periodic child's ID records, or null when the ID is not a child's. */
export function launchTimeOfChild(childId: string): number | null {
  const at = childId.lastIndexOf(PERIODIC_LAUNCH_SUFFIX);
  if (at < 0) return null;
  const seconds = childId.slice(at + PERIODIC_LAUNCH_SUFFIX.length);
  return /^\d+$/.test(seconds) ? Number(seconds) * 1000 : null;
}

/** A dispatched child's ID: the parent's, the suffix, an optional prefix, the time and 8 characters of a UUID. */
export function dispatchedChildId(parentId: string, idPrefixTemplate: string, nowMs: number, uuid: string): string {
  const seconds = Math.floor(nowMs / 1000);
  const prefix = idPrefixTemplate ? `${idPrefixTemplate}-` : '';
  return `${parentId}${DISPATCH_LAUNCH_SUFFIX}${prefix}${seconds}-${uuid.slice(0, 8)}`;
}

/** The child job a periodic parent launches at `launchMs`. */
export function derivePeriodicChild(parent: Job, launchMs: number): Job {
  const id = periodicChildId(parent.ID, launchMs);
  return { ...parent, ID: id, Name: id, ParentID: parent.ID, Periodic: null, Status: '', StatusDescription: '' };
}
