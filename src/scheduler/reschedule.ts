// Rescheduling of failed allocations: when the next attempt is due (delay functions with a cap)
// and whether the policy still allows one (attempts within an interval, or unlimited).
import type { Allocation, RescheduleEvent } from '../structs/alloc.js';
import type { ReschedulePolicy } from '../structs/job.js';

/** Reschedules due within this window are done now rather than in a follow-up eval. */
export const RESCHEDULE_WINDOW_NS = 1_000_000_000;
/** Follow-up evals for failures due within this window of each other are shared. */
export const FOLLOWUP_BATCH_WINDOW_NS = 5_000_000_000;
/** An unlimited policy keeps only this many past events on the replacement. */
export const MAX_PAST_RESCHEDULE_EVENTS = 5;

export function reschedulePolicyOf(a: Allocation): ReschedulePolicy | null {
  const tg = a.Job?.TaskGroups.find((g) => g.Name === a.TaskGroup);
  return tg?.ReschedulePolicy ?? null;
}

/** When the allocation last changed on the client: its latest task finish, else its ModifyTime. */
export function lastEventTimeNs(a: Allocation): number {
  let last = 0;
  for (const name in a.TaskStates ?? {}) {
    const f = a.TaskStates![name]!.FinishedAt;
    if (!f) continue;
    const ms = Date.parse(f);
    if (Number.isNaN(ms)) continue;
    // Keep the sub-millisecond digits RFC3339Nano carries.
    const frac = /\.(\d+)Z$/.exec(f)?.[1] ?? '';
    const ns = Math.floor(ms / 1000) * 1_000_000_000 + Number((frac + '000000000').slice(0, 9));
    if (ns > last) last = ns;
  }
  return last > 0 ? last : a.ModifyTime;
}

/** The delay before the next attempt, from the policy's delay function and the past events. */
export function nextDelayNs(a: Allocation, policy: ReschedulePolicy, lastEventNs = lastEventTimeNs(a)): number {
  const events: RescheduleEvent[] = a.RescheduleTracker?.Events ?? [];
  let delay = policy.Delay;
  if (events.length === 0) return delay;
  switch (policy.DelayFunction) {
    case 'exponential':
      delay = events[events.length - 1]!.Delay * 2;
      break;
    case 'fibonacci':
      if (events.length >= 2) {
        const n1 = events[events.length - 1]!.Delay;
        const n2 = events[events.length - 2]!.Delay;
        // After a reset to the base delay a new series starts.
        delay = n2 === policy.MaxDelay && n1 === policy.Delay ? n1 : n1 + n2;
      }
      break;
    default:
      return delay;
  }
  if (policy.MaxDelay > 0 && delay > policy.MaxDelay) {
    delay = policy.MaxDelay;
    // Once the allocation has run for longer than the cap since the last attempt, start over.
    const sinceLast = lastEventNs - events[events.length - 1]!.RescheduleTime;
    if (sinceLast > delay) delay = policy.Delay;
  }
  return delay;
}

export interface RescheduleTiming {
  timeNs: number;
  eligible: boolean;
}

export function nextRescheduleTime(a: Allocation): RescheduleTiming {
  const policy = reschedulePolicyOf(a);
  const failNs = lastEventTimeNs(a);
  if (a.DesiredStatus === 'stop' || a.ClientStatus !== 'failed' || failNs === 0 || !policy) return { timeNs: 0, eligible: false };
  const delay = nextDelayNs(a, policy, failNs);
  const events = a.RescheduleTracker?.Events ?? null;
  let eligible = policy.Unlimited || (policy.Attempts > 0 && (events === null || events.length === 0));
  if (!policy.Unlimited && policy.Attempts > 0 && events && events.length > 0) {
    let attempted = 0;
    for (const e of events) if (failNs - e.RescheduleTime < policy.Interval) attempted++;
    eligible = attempted < policy.Attempts && delay < policy.Interval;
  }
  return { timeNs: failNs + delay, eligible };
}

/** The reschedule history a replacement carries: recent events plus this attempt. */
export function nextRescheduleTracker(prev: Allocation, nowNs: number): { Events: RescheduleEvent[] } {
  const policy = reschedulePolicyOf(prev);
  const past = prev.RescheduleTracker?.Events ?? [];
  let kept: RescheduleEvent[];
  if (policy && policy.Attempts > 0 && !policy.Unlimited) {
    kept = past.filter((e) => policy.Interval > 0 && nowNs - e.RescheduleTime <= policy.Interval);
  } else {
    kept = past.slice(Math.max(0, past.length - MAX_PAST_RESCHEDULE_EVENTS));
  }
  const delay = policy ? nextDelayNs(prev, policy) : 0;
  return {
    Events: [...kept.map((e) => ({ ...e })), { RescheduleTime: nowNs, PrevAllocID: prev.ID, PrevNodeID: prev.NodeID, Delay: delay }],
  };
}
