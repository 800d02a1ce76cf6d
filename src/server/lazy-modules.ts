// Modules that other parts of the project provide and that the server only needs at run time.
// They are loaded on first use, so that the server (and its tests) work while a part is still
// being built, and a missing part shows up as a clear error instead of a failed start.
import type { Planner, Scheduler, SchedulerOptions } from '../scheduler/planner.js';
import type { StateReader } from '../state/reader.js';

export type NewScheduler = (jobType: string, state: StateReader, planner: Planner, options: SchedulerOptions) => Scheduler;

// Specifiers held in variables: the compiler does not resolve them, the runtime does.
const SCHEDULER_MODULE = '../scheduler/index.js';

let schedulerLoad: Promise<NewScheduler> | null = null;

export function loadNewScheduler(): Promise<NewScheduler> {
  schedulerLoad ??= import(SCHEDULER_MODULE).then((m: { newScheduler?: NewScheduler }) => {
    if (typeof m.newScheduler !== 'function') throw new Error('src/scheduler/index.js does not export newScheduler');
    return m.newScheduler;
  });
  // A failed load is retried next time (the module may appear later in development).
  schedulerLoad.catch(() => {
    schedulerLoad = null;
  });
  return schedulerLoad;
}
