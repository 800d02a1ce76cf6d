// The task driver interface, in the spirit of Nomad's driver plugins: one driver runs one kind
// of workload (a host process, an isolated process, a JVM, a container) behind the same calls,
// so that the task runner never needs to know which kind it is driving.
import type { TaskResourceUsage } from '../rpc/client-endpoints.js';
import type { ExecOptions, ExecSession } from './exec-session.js';

/** What a driver reports about itself on this host (Node.Drivers[name]). */
export interface DriverFingerprint {
  Detected: boolean;
  Healthy: boolean;
  HealthDescription: string;
  /** Attributes merged into Node.Attributes, e.g. {"driver.raw_exec": "1"}. */
  Attributes: Record<string, string>;
}

export interface DriverCapabilities {
  /** The driver can deliver arbitrary signals to a running task. */
  sendSignals: boolean;
  /** The driver can run a command inside a running task (alloc exec). */
  exec: boolean;
  /** How the task's file system is isolated from the host. */
  fsIsolation: 'none' | 'chroot' | 'image';
  /** Network isolation modes the driver supports beyond host networking. */
  networkIsolationModes: Array<'host' | 'group' | 'task'>;
}

/** Where a task's output goes; the client hands in its rotating log writers. */
export interface LogSink {
  write(chunk: Buffer): void;
  /**
   * The rotated files behind the sink. Drivers that run host processes give these to the task's
   * executor, which writes them itself, so that output is kept while the client is down.
   */
  readonly files?: LogFiles;
}

/** One stream's log files: alloc/logs/<baseName>.<N>, rotated at maxFileSizeBytes, at most maxFiles kept. */
export interface LogFiles {
  dir: string;
  baseName: string;
  maxFiles: number;
  maxFileSizeBytes: number;
}

/** The resources the scheduler granted, for drivers that enforce limits. */
export interface TaskResourceLimits {
  cpuShares: number;
  memoryMB: number;
  memoryMaxMB: number;
  /** Cores reserved for the task (`resources { cores = N }`); isolating drivers pin to them. */
  reservedCores?: number[];
}

/** A host volume mounted into a task (`volume_mount`), resolved by the client. */
export interface VolumeMountSpec {
  /** The group's volume name. */
  volume: string;
  hostPath: string;
  /** Where the task sees it: in the container, or below the chroot's root. */
  destination: string;
  readOnly: boolean;
}

/** Everything a driver needs to start one task. Driver config is already interpolated. */
export interface TaskConfig {
  /** Unique per start: `<allocID>/<task>/<random>`, so restarts get new ids. */
  id: string;
  allocId: string;
  taskName: string;
  jobName: string;
  taskGroupName: string;
  /** The task's driver config block (`config { ... }`), interpolated. */
  config: Record<string, unknown>;
  env: Record<string, string>;
  user: string;
  /** The task directory (cwd for raw_exec): <alloc dir>/<task>. */
  taskDir: string;
  allocDir: string;
  resources: TaskResourceLimits;
  /** Host volumes to mount (none when absent). */
  mounts?: VolumeMountSpec[];
  stdout: LogSink;
  stderr: LogSink;
}

/** What the client persists to reattach to a task after a restart. */
export interface TaskHandle {
  version: 1;
  driver: string;
  config: Pick<TaskConfig, 'id' | 'allocId' | 'taskName'>;
  state: 'running' | 'exited';
  /** Driver-specific reattach data (a pid for raw_exec). JSON-serializable. */
  driverState: Record<string, unknown>;
  startedAtMs: number;
}

/** How a task ended, as the OS (or the container runtime) reported it. */
export interface ExitResult {
  ExitCode: number;
  /** The signal number that ended the task, 0 when it exited by itself. */
  Signal: number;
  OOMKilled: boolean;
  /** A driver-level failure (could not wait, lost the process), null when the task simply exited. */
  Err: string | null;
}

export interface TaskStatus {
  id: string;
  name: string;
  state: 'running' | 'exited' | 'unknown';
  startedAtMs: number;
  completedAtMs: number | null;
  exitResult: ExitResult | null;
  driverAttributes: Record<string, string>;
}

/** Raised by startTask; `recoverable` tells the restart policy whether to retry. */
export class DriverStartError extends Error {
  readonly recoverable: boolean;
  constructor(message: string, recoverable: boolean) {
    super(message);
    this.recoverable = recoverable;
    this.name = 'DriverStartError';
  }
}

export interface TaskDriver {
  readonly name: string;
  readonly capabilities: DriverCapabilities;
  fingerprint(): Promise<DriverFingerprint>;
  /** Problems with a task's config block, each naming its field path ("config.command: ..."). */
  validateConfig(config: Record<string, unknown>): string[];
  startTask(cfg: TaskConfig): Promise<TaskHandle>;
  /** Resolves once the task has ended (immediately when it already has). */
  waitTask(id: string): Promise<ExitResult>;
  /** Sends `signal`, then SIGKILL after timeoutMs; resolves once the task has ended. */
  stopTask(id: string, timeoutMs: number, signal: string): Promise<void>;
  /** Forgets a task; with force, kills it first when it is still running. */
  destroyTask(id: string, force: boolean): Promise<void>;
  inspectTask(id: string): TaskStatus;
  taskStats(id: string): Promise<TaskResourceUsage>;
  signalTask(id: string, signal: string): Promise<void>;
  /** Reattaches to a task started by an earlier client process; throws when it is gone. */
  recoverTask(handle: TaskHandle, stdout: LogSink, stderr: LogSink): Promise<void>;
  /** Runs a command inside the running task (drivers whose capabilities say exec). */
  execTask?(id: string, opts: ExecOptions): Promise<ExecSession>;
}

export type TaskSupervision = 'executor' | 'agent';

/** What the client gives every driver when it builds them. */
export interface DriverContext {
  devMode: boolean;
  /** Client options (`client { options { ... } }`), e.g. "driver.raw_exec.enable". */
  options: Record<string, string>;
  /** Plugin config block (`plugin "raw_exec" { config { ... } }`) by driver name. */
  pluginConfig: Record<string, Record<string, unknown>>;
  /** MHz of one core, for turning CPU percent into MHz ticks; filled by the CPU fingerprint. */
  cpuMhzPerCore: () => number;
  /** The client's `chroot_env` (host path -> path in the chroot); empty or absent means Nomad's default. */
  chrootEnv?: Record<string, string>;
  /** Where drivers keep small files that must outlive a client restart (exit status files). */
  stateDir?: string;
  /**
   * Who is the parent of a host-process task (raw_exec, exec, java):
   * - 'executor' (the default): an executor process of its own for each start, which keeps the
   *   task's output and exit status while the client is down, so that the task outlives a client
   *   restart and the restarted client reattaches to it;
   * - 'agent': the agent spawns the task itself and writes its output. The task cannot outlive
   *   the agent, so this is for agents that stop their tasks when they stop: dev agents (as
   *   Nomad's dev mode), where it spares a node process, and its start, per task.
   */
  supervision?: TaskSupervision;
  /**
   * Called by a driver whose fingerprint changed on its own (a slow probe finished), so the
   * client can fingerprint again without waiting for its next periodic round.
   */
  onFingerprintChange?: (driver: string) => void;
}

export function isTruthyOption(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v !== 'string') return false;
  return ['1', 'true', 't', 'yes', 'y', 'on'].includes(v.trim().toLowerCase());
}

export function unknownTask(driver: string, id: string): Error {
  return new Error(`${driver}: task not found: ${id}`);
}
