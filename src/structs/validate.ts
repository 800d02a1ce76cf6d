// Validation of a canonical job: every problem at once, each message led by the field path that
// holds it ("TaskGroups[0].Tasks[1].Driver: ..."), so that an API caller and a job file author
// can both find it. Returns [] for a valid job.
import type { Job, NetworkResource, Task, TaskGroup } from './job.js';
import { MAX_JOB_PRIORITY, MIN_JOB_PRIORITY } from './defaults.js';
import { scalingPolicyProblems } from './scaling.js';
import { validateAffinities, validateConstraints, validateSpreads } from './validate-placement.js';
import { validateGroupVolumes, validateTaskVolumeMounts } from './validate-volumes.js';
import { validatePeriodic, validateParameterized, validateServices, validateVault } from './validate-specs.js';

const JOB_TYPES = new Set(['service', 'batch', 'system', 'sysbatch']);
const RESTART_MODES = new Set(['fail', 'delay']);
const DELAY_FUNCTIONS = new Set(['constant', 'exponential', 'fibonacci']);
const HEALTH_CHECKS = new Set(['checks', 'task_states', 'manual']);
const LIFECYCLE_HOOKS = new Set(['prestart', 'poststart', 'poststop']);
const MAX_PORT = 65535;

export function validateJob(job: Job): string[] {
  const errs: string[] = [];
  const add = (path: string, msg: string) => errs.push(`${path}: ${msg}`);

  if (!job.ID) add('ID', 'missing job ID');
  // Nomad refuses a space, not other white space: a tab is a valid (if odd) character of an ID.
  else if (job.ID.includes(' ')) add('ID', `job ID "${job.ID}" contains a space`);
  else if (job.ID.includes('\0')) add('ID', 'job ID contains a null character');
  if (!job.Name) add('Name', 'missing job name');
  if (!job.Namespace) add('Namespace', 'job must be in a namespace');
  if (!JOB_TYPES.has(job.Type)) add('Type', `invalid job type "${job.Type}": must be one of service, batch, system, sysbatch`);
  if (!Number.isInteger(job.Priority) || job.Priority < MIN_JOB_PRIORITY || job.Priority > MAX_JOB_PRIORITY) {
    add('Priority', `job priority must be between ${MIN_JOB_PRIORITY} and ${MAX_JOB_PRIORITY}, got ${job.Priority}`);
  }
  if (job.Datacenters.length === 0) add('Datacenters', 'missing job datacenters');
  job.Datacenters.forEach((dc, i) => {
    if (!dc) add(`Datacenters[${i}]`, 'empty datacenter name');
  });
  validateConstraints(job.Constraints, 'Constraints', add);
  validateAffinities(job.Affinities, 'Affinities', add);
  validateSpreads(job.Spreads, 'Spreads', add);
  if (job.Periodic) validatePeriodic(job.Periodic, add);
  if (job.ParameterizedJob) validateParameterized(job.ParameterizedJob, add);
  if (job.TaskGroups.length === 0) add('TaskGroups', 'missing job task groups');
  if (job.Periodic && job.Periodic.Enabled) {
    if (!job.Periodic.Spec) add('Periodic.Spec', 'periodic job must have a cron spec');
    if (job.Type !== 'batch' && job.Type !== 'sysbatch') add('Periodic', `periodic can only be used with batch jobs, not "${job.Type}"`);
  }
  if (job.ParameterizedJob && job.Type !== 'batch' && job.Type !== 'sysbatch') {
    add('ParameterizedJob', `parameterized job can only be used with batch jobs, not "${job.Type}"`);
  }

  const groupNames = new Map<string, number>();
  job.TaskGroups.forEach((tg, gi) => {
    const path = `TaskGroups[${gi}]`;
    if (!tg.Name) add(`${path}.Name`, 'missing task group name');
    else if (groupNames.has(tg.Name)) add(`${path}.Name`, `duplicate task group name "${tg.Name}" (also TaskGroups[${groupNames.get(tg.Name)}])`);
    else groupNames.set(tg.Name, gi);
    validateGroup(job, tg, path, add);
  });
  return errs;
}

function validateGroup(job: Job, tg: TaskGroup, path: string, add: (p: string, m: string) => void): void {
  const label = tg.Name ? ` (group "${tg.Name}")` : '';
  if (!Number.isInteger(tg.Count) || tg.Count < 0) add(`${path}.Count`, `count must be a whole number zero or more, got ${tg.Count}${label}`);
  if ((job.Type === 'system' || job.Type === 'sysbatch') && tg.Count > 1) {
    add(`${path}.Count`, `${job.Type} jobs run one allocation per node: count must be 0 or 1, got ${tg.Count}${label}`);
  }
  if (tg.Tasks.length === 0) add(`${path}.Tasks`, `missing tasks for task group${label}`);
  validateConstraints(tg.Constraints, `${path}.Constraints`, add);
  if (tg.Scaling) {
    for (const p of scalingPolicyProblems(tg.Scaling, tg.Count)) add(`${path}.Scaling.${p.field}`, `Scaling policy invalid: ${p.message}${label}`);
  }
  validateAffinities(tg.Affinities, `${path}.Affinities`, add);
  validateSpreads(tg.Spreads, `${path}.Spreads`, add);
  validateServices(tg.Services, `${path}.Services`, add);
  if (tg.StopAfterClientDisconnect !== null && tg.StopAfterClientDisconnect < 0) add(`${path}.StopAfterClientDisconnect`, 'stop_after_client_disconnect must be a positive value');
  if (tg.ShutdownDelay !== null && tg.ShutdownDelay < 0) add(`${path}.ShutdownDelay`, 'ShutdownDelay must be a positive value');

  const rp = tg.RestartPolicy;
  if (rp) {
    if (!RESTART_MODES.has(rp.Mode)) add(`${path}.RestartPolicy.Mode`, `unsupported restart mode "${rp.Mode}": must be "fail" or "delay"`);
    if (rp.Attempts < 0) add(`${path}.RestartPolicy.Attempts`, `must not be negative, got ${rp.Attempts}`);
    if (rp.Attempts > 0 && rp.Interval > 0 && rp.Delay * rp.Attempts > rp.Interval) {
      add(`${path}.RestartPolicy`, `${rp.Attempts} attempts with a delay of ${rp.Delay / 1e9}s do not fit in an interval of ${rp.Interval / 1e9}s`);
    }
  }
  const rs = tg.ReschedulePolicy;
  if (rs) {
    if (!DELAY_FUNCTIONS.has(rs.DelayFunction)) add(`${path}.ReschedulePolicy.DelayFunction`, `invalid delay function "${rs.DelayFunction}": must be constant, exponential or fibonacci`);
    if (rs.Attempts < 0) add(`${path}.ReschedulePolicy.Attempts`, `must not be negative, got ${rs.Attempts}`);
    if (rs.Delay < 0) add(`${path}.ReschedulePolicy.Delay`, 'must not be negative');
    if (!rs.Unlimited && rs.Attempts > 0 && rs.Interval <= 0) add(`${path}.ReschedulePolicy.Interval`, 'an interval is required when attempts are limited');
    if (rs.DelayFunction !== 'constant' && rs.MaxDelay > 0 && rs.MaxDelay < rs.Delay) add(`${path}.ReschedulePolicy.MaxDelay`, 'max_delay must not be less than delay');
  }
  const up = tg.Update;
  if (up) {
    if (!HEALTH_CHECKS.has(up.HealthCheck)) add(`${path}.Update.HealthCheck`, `invalid health check "${up.HealthCheck}": must be checks, task_states or manual`);
    if (up.MaxParallel < 0) add(`${path}.Update.MaxParallel`, `must not be negative, got ${up.MaxParallel}`);
    if (up.Canary < 0) add(`${path}.Update.Canary`, `must not be negative, got ${up.Canary}`);
    if (up.MinHealthyTime < 0) add(`${path}.Update.MinHealthyTime`, 'must not be negative');
    if (up.HealthyDeadline <= 0) add(`${path}.Update.HealthyDeadline`, 'must be greater than zero');
    if (up.ProgressDeadline < 0) add(`${path}.Update.ProgressDeadline`, 'must not be negative');
    if (up.MinHealthyTime >= up.HealthyDeadline) add(`${path}.Update.MinHealthyTime`, 'min_healthy_time must be less than healthy_deadline');
    if (up.ProgressDeadline !== 0 && up.HealthyDeadline >= up.ProgressDeadline) add(`${path}.Update.HealthyDeadline`, 'healthy_deadline must be less than progress_deadline');
  }
  if (tg.EphemeralDisk && tg.EphemeralDisk.SizeMB <= 0) add(`${path}.EphemeralDisk.SizeMB`, `must be greater than zero, got ${tg.EphemeralDisk.SizeMB}`);
  validateNetworks(tg.Networks, `${path}.Networks`, add);
  validateGroupVolumes(tg, path, add);

  const taskNames = new Map<string, number>();
  let leaders = 0;
  tg.Tasks.forEach((task, ti) => {
    const tpath = `${path}.Tasks[${ti}]`;
    if (!task.Name) add(`${tpath}.Name`, 'missing task name');
    else if (taskNames.has(task.Name)) add(`${tpath}.Name`, `duplicate task name "${task.Name}" in group "${tg.Name}" (also Tasks[${taskNames.get(task.Name)}])`);
    else taskNames.set(task.Name, ti);
    if (task.Leader) leaders++;
    validateTask(task, tpath, add, tg);
  });
  if (leaders > 1) add(`${path}.Tasks`, `only one task may be the leader, found ${leaders}${label}`);
}

function validateTask(task: Task, path: string, add: (p: string, m: string) => void, tg: TaskGroup): void {
  const label = task.Name ? ` (task "${task.Name}")` : '';
  if (!task.Name) {
    // reported by the caller
  } else if (/[\/\0]/.test(task.Name)) add(`${path}.Name`, `task name "${task.Name}" must not contain "/" or a null character`);
  if (!task.Driver) add(`${path}.Driver`, `missing task driver${label}`);
  if (task.KillTimeout < 0) add(`${path}.KillTimeout`, 'must not be negative');
  if (task.ShutdownDelay < 0) add(`${path}.ShutdownDelay`, 'must not be negative');
  const r = task.Resources;
  if (r.CPU < 1 && r.Cores === 0) add(`${path}.Resources.CPU`, `minimum CPU value is 1, got ${r.CPU}${label}`);
  if (r.CPU > 0 && r.Cores > 0) add(`${path}.Resources`, `only one of cpu or cores may be set${label}`);
  if (r.MemoryMB < 10) add(`${path}.Resources.MemoryMB`, `minimum MemoryMB value is 10, got ${r.MemoryMB}${label}`);
  if (r.MemoryMaxMB !== 0 && r.MemoryMaxMB < r.MemoryMB) add(`${path}.Resources.MemoryMaxMB`, `memory_max (${r.MemoryMaxMB}) must not be less than memory (${r.MemoryMB})${label}`);
  if (r.Cores < 0) add(`${path}.Resources.Cores`, 'must not be negative');
  validateNetworks(r.Networks, `${path}.Resources.Networks`, add);
  if (task.LogConfig) {
    if (task.LogConfig.MaxFiles < 1) add(`${path}.LogConfig.MaxFiles`, `must be at least 1, got ${task.LogConfig.MaxFiles}`);
    if (task.LogConfig.MaxFileSizeMB < 1) add(`${path}.LogConfig.MaxFileSizeMB`, `must be at least 1, got ${task.LogConfig.MaxFileSizeMB}`);
    const logMB = task.LogConfig.MaxFiles * task.LogConfig.MaxFileSizeMB;
    if (tg.EphemeralDisk && logMB >= tg.EphemeralDisk.SizeMB) {
      add(`${path}.LogConfig`, `log storage (${task.LogConfig.MaxFiles} files x ${task.LogConfig.MaxFileSizeMB} MB) exceeds the group's ephemeral disk of ${tg.EphemeralDisk.SizeMB} MB`);
    }
  }
  if (task.Lifecycle && !LIFECYCLE_HOOKS.has(task.Lifecycle.Hook)) {
    add(`${path}.Lifecycle.Hook`, `invalid lifecycle hook "${task.Lifecycle.Hook}": must be prestart, poststart or poststop`);
  }
  validateConstraints(task.Constraints, `${path}.Constraints`, add);
  validateAffinities(task.Affinities, `${path}.Affinities`, add);
  validateServices(task.Services, `${path}.Services`, add);
  validateTaskVolumeMounts(task, tg, path, add);
  if (task.Vault) validateVault(task.Vault, `${path}.Vault`, add);
  (task.Artifacts ?? []).forEach((a, i) => {
    if (!a.GetterSource) add(`${path}.Artifacts[${i}].GetterSource`, 'artifact source must be given');
    if (a.RelativeDest.startsWith('..') || a.RelativeDest.includes('/../')) add(`${path}.Artifacts[${i}].RelativeDest`, 'destination escapes the task directory');
  });
  (task.Templates ?? []).forEach((t, i) => {
    if (!t.SourcePath && !t.EmbeddedTmpl) add(`${path}.Templates[${i}]`, 'a template needs a source or data');
    if (!t.DestPath) add(`${path}.Templates[${i}].DestPath`, 'template destination must be given');
  });
}

function validateNetworks(nets: NetworkResource[] | null, path: string, add: (p: string, m: string) => void): void {
  const labels = new Map<string, string>();
  const statics = new Map<number, string>();
  (nets ?? []).forEach((n, ni) => {
    const check = (kind: 'ReservedPorts' | 'DynamicPorts') =>
      (n[kind] ?? []).forEach((p, pi) => {
        const pp = `${path}[${ni}].${kind}[${pi}]`;
        if (!p.Label) add(`${pp}.Label`, 'port label must be given');
        else if (labels.has(p.Label)) add(`${pp}.Label`, `duplicate port label "${p.Label}" (also ${labels.get(p.Label)})`);
        else labels.set(p.Label, pp);
        if (kind === 'ReservedPorts') {
          if (p.Value <= 0 || p.Value > MAX_PORT) add(`${pp}.Value`, `static port must be between 1 and ${MAX_PORT}, got ${p.Value}`);
          else if (statics.has(p.Value)) add(`${pp}.Value`, `static port ${p.Value} is used twice (also ${statics.get(p.Value)})`);
          else statics.set(p.Value, pp);
        }
        if (p.To < -1 || p.To > MAX_PORT) add(`${pp}.To`, `port mapping must be between -1 and ${MAX_PORT}, got ${p.To}`);
      });
    check('ReservedPorts');
    check('DynamicPorts');
  });
}
