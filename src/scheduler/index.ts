// The schedulers, by job type. Pure: reads a state snapshot, talks to the world only through the Planner.
import { NomadError } from '../structs/errors.js';
import type { StateReader } from '../state/reader.js';
import { GenericScheduler } from './generic.js';
import type { Planner, Scheduler, SchedulerOptions } from './planner.js';
import { SystemScheduler } from './system.js';

export type { Planner, Scheduler, SchedulerOptions, SchedulerFactory } from './planner.js';
export { GenericScheduler } from './generic.js';
export { SystemScheduler } from './system.js';

export const SCHEDULER_TYPES = ['service', 'batch', 'system', 'sysbatch'] as const;

export function newScheduler(jobType: string, state: StateReader, planner: Planner, options: SchedulerOptions): Scheduler {
  switch (jobType) {
    case 'service':
      return new GenericScheduler(state, planner, options, false);
    case 'batch':
      return new GenericScheduler(state, planner, options, true);
    case 'system':
      return new SystemScheduler(state, planner, options, false);
    case 'sysbatch':
      return new SystemScheduler(state, planner, options, true);
    default:
      throw new NomadError('bad_request', `unknown scheduler type "${jobType}": expected one of ${SCHEDULER_TYPES.join(', ')}`, 'Evaluation.Type');
  }
}
