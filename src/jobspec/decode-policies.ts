// restart, reschedule, update, migrate and ephemeral_disk: how a group's allocations are
// restarted, replaced, rolled out and moved.

import type { EphemeralDisk, MigrateStrategy, ReschedulePolicy, RestartPolicy, UpdateStrategy, DeepPartial } from '../structs/job.js';
import { defined, type BlockReader } from './block-reader.js';


export function decodeRestart(r: BlockReader): DeepPartial<RestartPolicy> {
  return defined({
    Attempts: r.int('attempts'),
    Interval: r.duration('interval'),
    Delay: r.duration('delay'),
    Mode: r.string('mode'),
  });
}

export function decodeReschedule(r: BlockReader): DeepPartial<ReschedulePolicy> {
  return defined({
    Attempts: r.int('attempts'),
    Interval: r.duration('interval'),
    Delay: r.duration('delay'),
    DelayFunction: r.string('delay_function'),
    MaxDelay: r.duration('max_delay'),
    Unlimited: r.bool('unlimited'),
  });
}

export function decodeUpdate(r: BlockReader): DeepPartial<UpdateStrategy> {
  return defined({
    Stagger: r.duration('stagger'),
    MaxParallel: r.int('max_parallel'),
    HealthCheck: r.string('health_check'),
    MinHealthyTime: r.duration('min_healthy_time'),
    HealthyDeadline: r.duration('healthy_deadline'),
    ProgressDeadline: r.duration('progress_deadline'),
    AutoRevert: r.bool('auto_revert'),
    AutoPromote: r.bool('auto_promote'),
    Canary: r.int('canary'),
  });
}

export function decodeMigrate(r: BlockReader): DeepPartial<MigrateStrategy> {
  return defined({
    MaxParallel: r.int('max_parallel'),
    HealthCheck: r.string('health_check'),
    MinHealthyTime: r.duration('min_healthy_time'),
    HealthyDeadline: r.duration('healthy_deadline'),
  });
}

export function decodeEphemeralDisk(r: BlockReader): DeepPartial<EphemeralDisk> {
  return defined({
    Sticky: r.bool('sticky'),
    SizeMB: r.int('size'),
    Migrate: r.bool('migrate'),
  });
}
