// The scheduler is loaded on first use: an agent that never schedules (or not yet) does not pay
// for loading it at start-up.
import type { Planner, Scheduler, SchedulerOptions } from '../scheduler/planner.js';
import type { StateReader } from '../state/reader.js';

export type NewScheduler = (jobType: string, state: StateReader, planner: Planner, options: SchedulerOptions) => Scheduler;

let schedulerLoad: Promise<NewScheduler> | null = null;

export function loadNewScheduler(): Promise<NewScheduler> {
  schedulerLoad ??= import('../scheduler/index.js').then((m) => m.newScheduler);
  return schedulerLoad;
}
