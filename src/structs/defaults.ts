// Nomad's default values for the parts of a job the user may leave out.
import type { EphemeralDisk, LogConfig, MigrateStrategy, ReschedulePolicy, RestartPolicy, UpdateStrategy } from './job.js';
import { NS_PER_S } from './time.js';

const MINUTE_NS = 60 * NS_PER_S;
const HOUR_NS = 60 * MINUTE_NS;

export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_REGION = 'global';

export const DEFAULT_JOB_PRIORITY = 50;
export const MIN_JOB_PRIORITY = 1;
export const MAX_JOB_PRIORITY = 100;

export function defaultUpdateStrategy(): UpdateStrategy {
  return {
    Stagger: 30 * NS_PER_S,
    MaxParallel: 1,
    HealthCheck: 'checks',
    MinHealthyTime: 10 * NS_PER_S,
    HealthyDeadline: 5 * MINUTE_NS,
    ProgressDeadline: 10 * MINUTE_NS,
    AutoRevert: false,
    AutoPromote: false,
    Canary: 0,
  };
}

/** The job-level update block keeps only what the groups do not override (Nomad's server shape). */
export function emptyJobUpdate(): UpdateStrategy {
  return {
    Stagger: 0,
    MaxParallel: 0,
    HealthCheck: '',
    MinHealthyTime: 0,
    HealthyDeadline: 0,
    ProgressDeadline: 0,
    AutoRevert: false,
    AutoPromote: false,
    Canary: 0,
  };
}

export function defaultMigrateStrategy(): MigrateStrategy {
  return { MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10 * NS_PER_S, HealthyDeadline: 5 * MINUTE_NS };
}

export function defaultRestartPolicy(jobType: string): RestartPolicy {
  if (jobType === 'batch' || jobType === 'sysbatch') {
    return { Attempts: 3, Interval: 24 * HOUR_NS, Delay: 15 * NS_PER_S, Mode: 'fail' };
  }
  return { Attempts: 2, Interval: 30 * MINUTE_NS, Delay: 15 * NS_PER_S, Mode: 'fail' };
}

export function defaultReschedulePolicy(jobType: string): ReschedulePolicy | null {
  if (jobType === 'service') {
    return { Attempts: 0, Interval: 0, Delay: 30 * NS_PER_S, DelayFunction: 'exponential', MaxDelay: HOUR_NS, Unlimited: true };
  }
  if (jobType === 'batch') {
    return { Attempts: 1, Interval: 24 * HOUR_NS, Delay: 5 * NS_PER_S, DelayFunction: 'constant', MaxDelay: 0, Unlimited: false };
  }
  return null;
}

export function defaultEphemeralDisk(): EphemeralDisk {
  return { Sticky: false, SizeMB: 300, Migrate: false };
}

export function defaultLogConfig(): LogConfig {
  return { MaxFiles: 10, MaxFileSizeMB: 10 };
}

export const DEFAULT_TASK_CPU_MHZ = 100;
export const DEFAULT_TASK_MEMORY_MB = 300;
export const DEFAULT_KILL_TIMEOUT_NS = 5 * NS_PER_S;
