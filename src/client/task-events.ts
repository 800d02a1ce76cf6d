// Task events with Nomad's Type names, Details keys and DisplayMessage texts, since the CLI's
// "Recent Events" table and users' scripts read them verbatim.
import type { TaskEvent } from '../structs/alloc.js';
import { formatDurationNs, NS_PER_MS, nowNs } from '../structs/time.js';
import { RestartReasons } from './restart-policy.js';

export const TaskEventTypes = {
  received: 'Received',
  setup: 'Task Setup',
  started: 'Started',
  terminated: 'Terminated',
  killing: 'Killing',
  killed: 'Killed',
  restarting: 'Restarting',
  notRestarting: 'Not Restarting',
  driverFailure: 'Driver Failure',
  failedValidation: 'Failed Validation',
  siblingFailed: 'Sibling Task Failed',
  setupFailure: 'Setup Failure',
  signaling: 'Signaling',
  restartSignal: 'Restart Signaled',
  leaderDead: 'Leader Task Dead',
  mainDead: 'Main Tasks Dead',
  hookFailed: 'Task hook failed',
} as const;

/** Nomad keeps this many events per task, dropping the oldest. */
export const MAX_TASK_EVENTS = 10;

export function newTaskEvent(type: string, fields: Partial<TaskEvent> = {}, timeNs: number = nowNs()): TaskEvent {
  const ev: TaskEvent = {
    Type: type,
    Time: timeNs,
    Message: '',
    DisplayMessage: '',
    Details: {},
    FailsTask: false,
    RestartReason: '',
    SetupError: '',
    DriverError: '',
    ExitCode: 0,
    Signal: 0,
    KillTimeout: 0,
    KillError: '',
    KillReason: '',
    StartDelay: 0,
    DownloadError: '',
    ValidationError: '',
    DiskLimit: 0,
    FailedSibling: '',
    VaultError: '',
    TaskSignalReason: '',
    TaskSignal: '',
    DriverMessage: '',
    GenericSource: '',
    ...fields,
  };
  ev.DisplayMessage = displayMessage(ev);
  return ev;
}

export function displayMessage(ev: TaskEvent): string {
  switch (ev.Type) {
    case TaskEventTypes.received:
      return 'Task received by client';
    case TaskEventTypes.started:
      return 'Task started by client';
    case TaskEventTypes.setup:
      return ev.Message;
    case TaskEventTypes.terminated: {
      const parts = [`Exit Code: ${ev.ExitCode}`];
      if (ev.Signal !== 0) parts.push(`Signal: ${ev.Signal}`);
      if (ev.Message !== '') parts.push(`Exit Message: ${JSON.stringify(ev.Message)}`);
      return parts.join(', ');
    }
    case TaskEventTypes.killing:
      if (ev.KillReason !== '') return `Killing task: ${ev.KillReason}`;
      if (ev.KillTimeout !== 0) return `Sent interrupt. Waiting ${formatDurationNs(ev.KillTimeout)} before force killing`;
      return 'Sent interrupt';
    case TaskEventTypes.killed:
      return ev.KillError !== '' ? ev.KillError : 'Task successfully killed';
    case TaskEventTypes.restarting: {
      const inText = `Task restarting in ${formatDurationNs(ev.StartDelay)}`;
      return ev.RestartReason !== '' && ev.RestartReason !== RestartReasons.withinPolicy ? `${ev.RestartReason} - ${inText}` : inText;
    }
    case TaskEventTypes.notRestarting:
      return ev.RestartReason !== '' ? ev.RestartReason : 'Task exceeded restart policy';
    case TaskEventTypes.driverFailure:
      return ev.DriverError !== '' ? ev.DriverError : 'Failed to start task';
    case TaskEventTypes.failedValidation:
      return ev.ValidationError !== '' ? ev.ValidationError : 'Validation of task failed';
    case TaskEventTypes.siblingFailed:
      return ev.FailedSibling !== '' ? `Task's sibling ${JSON.stringify(ev.FailedSibling)} failed` : "Task's sibling failed";
    case TaskEventTypes.setupFailure:
      return ev.SetupError !== '' ? ev.SetupError : 'Task setup failed';
    case TaskEventTypes.signaling: {
      const sig = ev.TaskSignal;
      const why = ev.TaskSignalReason;
      if (sig === '' && why === '') return 'Task being sent a signal';
      if (sig === '') return why;
      if (why === '') return `Task being sent signal ${sig}`;
      return `Task being sent signal ${sig}: ${why}`;
    }
    case TaskEventTypes.restartSignal:
      return ev.RestartReason !== '' ? ev.RestartReason : 'Task signaled to restart';
    case TaskEventTypes.leaderDead:
      return 'Leader Task in Group dead';
    case TaskEventTypes.mainDead:
      return 'Main tasks in the group died';
    default:
      return ev.Message;
  }
}

export const events = {
  received: () => newTaskEvent(TaskEventTypes.received),
  setup: (message = 'Building Task Directory') => newTaskEvent(TaskEventTypes.setup, { Message: message, Details: { message } }),
  started: () => newTaskEvent(TaskEventTypes.started),
  terminated: (exitCode: number, signal: number, oomKilled: boolean, message = '') =>
    newTaskEvent(TaskEventTypes.terminated, {
      ExitCode: exitCode,
      Signal: signal,
      Message: message,
      Details: { oom_killed: String(oomKilled), exit_code: String(exitCode), signal: String(signal) },
    }),
  killing: (killTimeoutMs: number, reason = '') =>
    newTaskEvent(TaskEventTypes.killing, {
      KillTimeout: killTimeoutMs * NS_PER_MS,
      KillReason: reason,
      Details: reason ? { kill_timeout: formatDurationNs(killTimeoutMs * NS_PER_MS), kill_reason: reason } : { kill_timeout: formatDurationNs(killTimeoutMs * NS_PER_MS) },
    }),
  killed: (killError = '') => newTaskEvent(TaskEventTypes.killed, killError ? { KillError: killError, Details: { kill_error: killError } } : {}),
  restarting: (delayMs: number, reason: string) =>
    newTaskEvent(TaskEventTypes.restarting, {
      StartDelay: Math.round(delayMs * NS_PER_MS),
      RestartReason: reason,
      Details: { start_delay: String(Math.round(delayMs * NS_PER_MS)), restart_reason: reason },
    }),
  notRestarting: (reason: string) =>
    newTaskEvent(TaskEventTypes.notRestarting, { RestartReason: reason, FailsTask: true, Details: { restart_reason: reason, fails_task: 'true' } }),
  driverFailure: (err: string) => newTaskEvent(TaskEventTypes.driverFailure, { DriverError: err, Details: { driver_error: err } }),
  failedValidation: (err: string) =>
    newTaskEvent(TaskEventTypes.failedValidation, { ValidationError: err, FailsTask: true, Details: { validation_error: err, fails_task: 'true' } }),
  siblingFailed: (sibling: string) =>
    newTaskEvent(TaskEventTypes.siblingFailed, { FailedSibling: sibling, Details: { failed_sibling: sibling } }),
  setupFailure: (err: string) =>
    newTaskEvent(TaskEventTypes.setupFailure, { SetupError: err, FailsTask: true, Details: { setup_error: err, fails_task: 'true' } }),
  signaling: (signal: string, reason: string) =>
    newTaskEvent(TaskEventTypes.signaling, { TaskSignal: signal, TaskSignalReason: reason, Details: { task_signal: signal, task_signal_reason: reason } }),
  restartSignal: (reason: string) => newTaskEvent(TaskEventTypes.restartSignal, { RestartReason: reason, Details: { restart_reason: reason } }),
  leaderDead: () => newTaskEvent(TaskEventTypes.leaderDead),
  mainDead: () => newTaskEvent(TaskEventTypes.mainDead),
};
