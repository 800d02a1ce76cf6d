// When a task ends or fails to start, should it run again, and after how long? A pure function
// of the policy, the count so far and the clock, so that every branch is tested without timers.
import type { RestartPolicy } from '../structs/job.js';
import { formatDurationNs, NS_PER_MS } from '../structs/time.js';

/** Nomad adds up to a quarter of the delay at random, so that restarts do not stampede. */
const JITTER_FRACTION = 0.25;

export const RestartReasons = {
  withinPolicy: 'Restart within policy',
  delay: 'Exceeded allowed attempts, applying a delay',
  unrecoverable: 'Error was unrecoverable',
  noRestartsAllowed: 'Policy allows no restarts',
  success: 'Restart unnecessary as task terminated successfully',
} as const;

export interface RestartTrackerState {
  /** Restarts counted in the current interval. */
  count: number;
  /** When the current interval began (ms since epoch). */
  intervalStartMs: number;
}

export type RestartInput =
  | { kind: 'exit'; exitCode: number; signal: number; err: string | null }
  | { kind: 'startError'; recoverable: boolean };

export interface RestartDecision {
  /** restart: run again after delayMs; terminate: done, not failed; fail: done, failed. */
  action: 'restart' | 'terminate' | 'fail';
  delayMs: number;
  reason: string;
  state: RestartTrackerState;
}

export function initialRestartState(nowMs: number): RestartTrackerState {
  return { count: 0, intervalStartMs: nowMs };
}

/**
 * @param restartOnSuccess true for service and system jobs (a long-running task that exits is
 *   restarted whatever its code), false for batch and sysbatch (exit 0 means done).
 * @param random in [0, 1): injected so tests are deterministic.
 */
export function decideRestart(
  policy: RestartPolicy,
  prev: RestartTrackerState,
  input: RestartInput,
  restartOnSuccess: boolean,
  nowMs: number,
  random: () => number,
): RestartDecision {
  const successful = input.kind === 'exit' && input.exitCode === 0 && input.signal === 0 && input.err === null;
  if (successful && !restartOnSuccess) return { action: 'terminate', delayMs: 0, reason: RestartReasons.success, state: prev };
  if (input.kind === 'startError' && !input.recoverable) {
    return { action: 'fail', delayMs: 0, reason: RestartReasons.unrecoverable, state: prev };
  }
  if (policy.Attempts === 0 && policy.Mode === 'fail') {
    return { action: 'fail', delayMs: 0, reason: RestartReasons.noRestartsAllowed, state: prev };
  }

  const intervalMs = policy.Interval / NS_PER_MS;
  let state = prev;
  if (intervalMs > 0 && nowMs - prev.intervalStartMs > intervalMs) state = { count: 0, intervalStartMs: nowMs };
  state = { count: state.count + 1, intervalStartMs: state.intervalStartMs };

  if (state.count > policy.Attempts) {
    if (policy.Mode === 'fail') {
      const reason = `Exceeded allowed attempts ${policy.Attempts} in interval ${formatDurationNs(policy.Interval)} and mode is "fail"`;
      return { action: 'fail', delayMs: 0, reason, state };
    }
    // delay mode: wait out the rest of the interval, then start counting afresh.
    const delayMs = Math.max(0, state.intervalStartMs + intervalMs - nowMs);
    return { action: 'restart', delayMs, reason: RestartReasons.delay, state: { count: 0, intervalStartMs: nowMs + delayMs } };
  }
  const baseMs = policy.Delay / NS_PER_MS;
  const delayMs = baseMs + Math.floor(random() * baseMs * JITTER_FRACTION);
  return { action: 'restart', delayMs, reason: RestartReasons.withinPolicy, state };
}
