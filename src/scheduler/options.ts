// Defaults for what SchedulerOptions leaves out.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { SchedulerOptions } from './planner.js';
import { NS_PER_MS, nowNs } from '../structs/time.js';

export const defaultIdGenerator = (): string => randomUUID();

export const defaultMonotonicMs = (): number => performance.now();

/** The evaluation's notion of now in ns since the epoch, from the injected clock when given. */
export function nowNsFrom(options: SchedulerOptions): number {
  return options.nowMs ? Math.round(options.nowMs() * NS_PER_MS) : nowNs();
}
