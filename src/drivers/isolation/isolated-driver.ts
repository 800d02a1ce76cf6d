// The machinery shared by exec and java: each task gets its own cgroups, a chroot of the task
// dir with the host's system dirs bound read-only, and new mount/uts/pid/ipc namespaces, set
// up by the launcher script. Subclasses only say what to run (command and args) and how to
// fingerprint; starting, waiting, stopping, stats, recovery and cleanup live here, once.
import { chmod, mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { TaskResourceUsage } from '../../rpc/client-endpoints.js';
import { DriverStartError } from '../driver.js';
import type { DriverCapabilities, DriverContext, DriverFingerprint, ExitResult, LogSink, TaskConfig, TaskDriver, TaskHandle, TaskStatus } from '../driver.js';
import { killGroup } from '../host-process.js';
import { ExecutorProcess, type ExecutorState } from '../executor/launch.js';
import type { ExecutorStatus } from '../executor/spec.js';
import { executorExit, startTaskProcess, type TaskProcess } from '../executor/task-process.js';
import { CpuRateTracker } from '../proc-stats.js';
import { newTaskHandle, stopWithTimeout, TaskTable, type TrackedTask } from '../task-table.js';
import { cgroupUsage } from './cgroup-stats.js';
import { cgroupV1Mounts, CONTROLLERS, limitsFor, TaskCgroup, type ControllerPaths } from './cgroups-v1.js';
import { DEFAULT_CHROOT_ENV, prepareMountpoints, resolveChrootEnv } from './chroot-env.js';
import { allocSharedDir, chrootEnv, toChrootPath } from './chroot-paths.js';
import { findTools, type ToolPaths } from './host-tools.js';
import { outerScript, shq, type LaunchSpec } from './launcher.js';
import { processContext, processCredentials, startHostExec, withTerminal, type ExecOptions, type ExecSession } from '../exec-session.js';
import { childPids, waitForChroot } from './proc-tree.js';
import { resolveInChroot } from './resolve-command.js';
import { lookupUser } from './users.js';

/** The launcher mounts a dozen file systems; far longer than this means something hangs. */
const LAUNCH_TIMEOUT_MS = 10_000;
const DEFAULT_USER = 'nobody';
/** Nomad gives the secrets tmpfs 1 MiB. */
const SECRETS_SIZE_KIB = 1024;
/** Enough for a JVM's threads, small enough to stop a fork bomb. */
export const DEFAULT_PIDS_LIMIT = 4096;

/** What a subclass asks the machinery to run. */
export interface IsolatedCommand {
  command: string;
  args: string[];
  pidMode: 'private' | 'host';
  ipcMode: 'private' | 'host';
  pidsLimit: number | null;
}

interface IsolatedTask extends TrackedTask {
  /** The `unshare` process: our child, parent of the namespace's pid 1. */
  launcherPid: number;
  launcherStartTicks: number;
  /** The task itself (host pid), leader of its own process group (setsid). */
  taskPid: number;
  cgroup: TaskCgroup;
  statusFile: string;
  mountpoints: string[];
  executor: TaskProcess;
  cpu: CpuRateTracker;
  /**
   * The environment and user the task was started with, for `alloc exec`. Known at start; a
   * task reattached after a restart reads them from /proc instead (its exec is long done then,
   * while right after the start the task may still be between fork and exec).
   */
  startedAs: { env: Record<string, string>; uid: number; gid: number } | null;
}

export interface IsolationSupport {
  ok: boolean;
  reason: string;
}

/** Reads the isolation settings a client may give: chroot_env, cgroup parent, default modes. */
export function isolationSettings(ctx: DriverContext, driver: string): { chrootEnv: Record<string, string>; cgroupParent: string; defaultPidMode: 'private' | 'host'; defaultIpcMode: 'private' | 'host' } {
  const plugin = ctx.pluginConfig[driver] ?? {};
  const env = ctx.chrootEnv && Object.keys(ctx.chrootEnv).length > 0 ? ctx.chrootEnv : DEFAULT_CHROOT_ENV;
  const mode = (v: unknown): 'private' | 'host' => (v === 'host' ? 'host' : 'private');
  return {
    chrootEnv: env,
    cgroupParent: typeof plugin['cgroup_parent'] === 'string' ? (plugin['cgroup_parent'] as string) : '/nomad',
    defaultPidMode: mode(plugin['default_pid_mode']),
    defaultIpcMode: mode(plugin['default_ipc_mode']),
  };
}

/** Whether this host can isolate tasks: root, cgroup v1 controllers mounted, util-linux present. */
export async function isolationSupport(): Promise<IsolationSupport> {
  if (process.platform !== 'linux') return { ok: false, reason: 'exec driver requires Linux' };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, reason: 'exec driver must run as root' };
  const { missing } = await cgroupV1Mounts();
  if (missing.length > 0) return { ok: false, reason: `cgroup v1 controllers not mounted: ${missing.join(', ')}` };
  const tools = findTools();
  if (!tools.tools) return { ok: false, reason: `missing host tools: ${tools.missing.join(', ')}` };
  return { ok: true, reason: 'Healthy' };
}

function sanitize(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '.');
}

function exitFromStatus(status: number): ExitResult {
  // sh reports a signalled child as 128+signal; report the signal too, as raw_exec does.
  const sig = status > 128 && status <= 128 + 64 ? status - 128 : 0;
  return { ExitCode: status, Signal: sig, OOMKilled: false, Err: null };
}

export abstract class IsolatedDriver implements TaskDriver {
  abstract readonly name: string;
  readonly capabilities: DriverCapabilities = { sendSignals: true, exec: true, fsIsolation: 'chroot', networkIsolationModes: ['host'] };
  protected readonly tasks = new TaskTable<IsolatedTask>(() => this.name);
  private supportCache: Promise<IsolationSupport> | null = null;

  constructor(protected readonly ctx: DriverContext) {}

  abstract fingerprint(): Promise<DriverFingerprint>;
  abstract validateConfig(config: Record<string, unknown>): string[];
  /** What to run for this task's config (already validated). */
  protected abstract buildCommand(cfg: TaskConfig): IsolatedCommand;

  /** Host facts do not change while the agent runs; check them once. */
  protected support(): Promise<IsolationSupport> {
    if (!this.supportCache) this.supportCache = isolationSupport();
    return this.supportCache;
  }

  private stateDir(): string {
    return join(this.ctx.stateDir ?? join(tmpdir(), 'nomad-driver-state'), this.name);
  }

  /**
   * A command inside the task as the task itself runs: in its cgroups, namespaces and chroot,
   * as its user, with its environment.
   */
  async execTask(id: string, opts: ExecOptions): Promise<ExecSession> {
    const t = this.tasks.get(id);
    if (t.exit || t.taskPid === 0) throw new Error(`task ${t.name} is not running`);
    const { env, uid, gid } = t.startedAs ?? { ...(await processContext(t.taskPid)), ...(await processCredentials(t.taskPid)) };
    const join = t.cgroup.procsFiles().map((f) => `echo $$ > ${shq(f)}`).join(' && ');
    // The terminal is made inside the task, so that it is one of the task's own (its /dev/pts).
    const inside = withTerminal(opts.command, opts).replace(/^exec /, '');
    const enter = `exec nsenter --target ${t.taskPid} --mount --uts --ipc --pid --root --wd --setuid ${uid} --setgid ${gid} -- /bin/sh -c ${shq(`exec ${inside}`)}`;
    return startHostExec({ shellCommand: `${join ? `{ ${join}; } || exit 126; ` : ''}${enter}`, env: { ...env, PATH: env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin' }, cwd: '/' }, opts);
  }

  async startTask(cfg: TaskConfig): Promise<TaskHandle> {
    this.tasks.assertNew(cfg.id);
    const problems = this.validateConfig(cfg.config);
    if (problems.length > 0) throw new DriverStartError(problems.join('; '), false);
    const sup = await this.support();
    if (!sup.ok) throw new DriverStartError(`${this.name} driver cannot isolate tasks on this host: ${sup.reason}`, false);
    const { mounts } = await cgroupV1Mounts();
    const tools = findTools().tools;
    if (!mounts || !tools) throw new DriverStartError(`${this.name} driver: cgroups or host tools disappeared`, true);
    const settings = isolationSettings(this.ctx, this.name);
    const root = cfg.taskDir;
    const allocShared = allocSharedDir(cfg.allocDir);
    const pathMap = { taskDir: root, allocShared };
    const built = this.buildCommand(cfg);
    // Interpolation used host paths (${NOMAD_TASK_DIR}); inside the chroot they are /local and friends.
    const cmd = { ...built, command: toChrootPath(built.command, pathMap), args: built.args.map((a) => toChrootPath(a, pathMap)) };
    const userName = cfg.user || DEFAULT_USER;
    const user = await lookupUser(userName);
    if (!user) throw new DriverStartError(`failed to identify user "${userName}": user not found`, false);

    let binds;
    try {
      binds = await resolveChrootEnv(settings.chrootEnv);
    } catch (err) {
      throw new DriverStartError((err as Error).message, false);
    }
    const env = chrootEnv(cfg.env, pathMap);
    const command = await resolveInChroot(cmd.command, root, binds, env['PATH']!);
    if (command === null) throw new DriverStartError(`failed to launch command with executor: exec: "${cmd.command}": executable file not found in $PATH`, false);
    const mountpoints = await prepareMountpoints(root, binds);
    for (const d of ['data', 'tmp']) await chmod(join(allocShared, d), d === 'tmp' ? 0o1777 : 0o777).catch(() => undefined);

    const stateDir = this.stateDir();
    await mkdir(stateDir, { recursive: true });
    const statusFile = join(stateDir, `${sanitize(cfg.id)}.exit`);
    await rm(statusFile, { force: true });
    let cgroup: TaskCgroup;
    try {
      const limits = limitsFor(cfg.resources.memoryMB, cfg.resources.memoryMaxMB, cfg.resources.cpuShares, cfg.resources.reservedCores, cmd.pidsLimit);
      cgroup = await TaskCgroup.create(mounts, settings.cgroupParent, sanitize(cfg.id), limits);
    } catch (err) {
      throw new DriverStartError(`failed to create cgroups for task: ${(err as Error).message}`, true);
    }
    const spec: LaunchSpec = {
      root,
      allocShared,
      binds,
      uid: user.uid,
      gid: user.gid,
      command,
      args: cmd.args,
      pidMode: cmd.pidMode,
      ipcMode: cmd.ipcMode,
      cgroupProcs: cgroup.procsFiles(),
      statusFile,
      secretsSizeKiB: SECRETS_SIZE_KIB,
      // normalize keeps a target with .. inside the root.
      volumes: (cfg.mounts ?? []).map((m) => ({ hostPath: m.hostPath, target: posix.normalize('/' + m.destination), readOnly: m.readOnly })),
    };
    try {
      return await this.launch(cfg, spec, tools, cgroup, mountpoints);
    } catch (err) {
      await cgroup.remove().catch(() => undefined);
      throw err;
    }
  }

  private async launch(cfg: TaskConfig, spec: LaunchSpec, tools: ToolPaths, cgroup: TaskCgroup, mountpoints: string[]): Promise<TaskHandle> {
    const env = chrootEnv(cfg.env, { taskDir: spec.root, allocShared: spec.allocShared });
    // The launcher runs under the task's executor (which keeps its output and exit status while
    // the client is down), or a dev agent's own supervision; it reports its set-up on fd 3.
    const executor = await startTaskProcess(this.ctx, this.name, cfg, { command: '/bin/sh', args: ['-c', outerScript(spec, tools)], cwd: spec.root, env, passFd3: true });
    const control = executor.fd3!;
    let controlText = '';
    const ready = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('error: timed out setting up the task'), LAUNCH_TIMEOUT_MS);
      const finish = (v: string): void => {
        clearTimeout(timer);
        resolve(v);
      };
      control.on('data', (b: Buffer) => {
        controlText += b.toString('utf8');
        const line = controlText.split('\n')[0]!;
        if (controlText.includes('\n')) finish(line);
      });
      control.once('end', () => finish(controlText.split('\n')[0] || 'error: the launcher ended before starting the task'));
    });
    control.destroy();
    const launcherPid = executor.pid;
    if (ready !== 'ready') {
      try {
        process.kill(-launcherPid, 'SIGKILL');
      } catch {
        // already gone
      }
      await executor.exited;
      executor.cleanup();
      throw new DriverStartError(`failed to launch command with executor: ${ready.replace(/^error: /, '')}`, false);
    }
    const [pid1] = await childPids(launcherPid);
    const [taskPid] = pid1 !== undefined ? await childPids(pid1) : [];
    if (taskPid !== undefined) await waitForChroot(taskPid, LAUNCH_TIMEOUT_MS);
    const task = this.track(cfg.id, cfg.taskName, executor, {
      launcherPid,
      launcherStartTicks: executor.startTicks,
      // The task may already have ended; 0 then, and signals go nowhere.
      taskPid: taskPid ?? 0,
      cgroup,
      statusFile: spec.statusFile,
      mountpoints,
      startedAtMs: Date.now(),
      startedAs: { env, uid: spec.uid, gid: spec.gid },
    });
    const driverState = {
      launcherPid,
      launcherStartTicks: task.launcherStartTicks,
      taskPid: task.taskPid,
      cgroups: cgroup.paths,
      statusFile: spec.statusFile,
      mountpoints,
      executor: executor.reattachState ? { ...executor.reattachState } : null,
    };
    return newTaskHandle(this.name, cfg, driverState, task.startedAtMs);
  }

  private track(
    id: string,
    name: string,
    executor: TaskProcess,
    t: Pick<IsolatedTask, 'launcherPid' | 'launcherStartTicks' | 'taskPid' | 'cgroup' | 'statusFile' | 'mountpoints' | 'startedAtMs' | 'startedAs'>,
  ): IsolatedTask {
    const task: IsolatedTask = {
      ...t,
      id,
      name,
      executor,
      completedAtMs: null,
      exit: null,
      exited: executor.exited.then(async (status) => {
        // pid 1 of the namespace records the task's own status; the launcher's carries it too.
        const recorded = await readFile(t.statusFile, 'utf8').catch(() => '');
        const base = /^\d+/.test(recorded.trim()) ? exitFromStatus(Number(recorded.trim())) : launcherExit(status);
        return this.withOom(t.cgroup, base);
      }),
      cpu: new CpuRateTracker(),
      pollTimer: null,
    };
    void task.exited.then((r) => this.tasks.markExited(id, r));
    this.tasks.add(task);
    return task;
  }

  private async withOom(cgroup: TaskCgroup, base: ExitResult): Promise<ExitResult> {
    if (!(await cgroup.oomKilled())) return base;
    // As Nomad's drivers do: the exit message of an OOM kill says so.
    return { ...base, OOMKilled: true, Err: 'OOM Killed' };
  }

  waitTask(id: string): Promise<ExitResult> {
    return this.tasks.get(id).exited;
  }

  async stopTask(id: string, timeoutMs: number, signal: string): Promise<void> {
    const t = this.tasks.get(id);
    await stopWithTimeout(
      t,
      signal,
      timeoutMs,
      (sig) => killGroup(t.taskPid, sig),
      () => {
        killGroup(t.taskPid, 'SIGKILL');
        // Children that left the task's process group are still in its cgroup.
        void t.cgroup.killAll();
      },
    );
  }

  async destroyTask(id: string, force: boolean): Promise<void> {
    const t = await this.tasks.endForDestroy(id, force, (running) => running.cgroup.killAll());
    if (!t) return;
    this.tasks.remove(id);
    // Everything left in the cgroup (children that left the task's process group) goes with it.
    await t.cgroup.remove();
    await rm(t.statusFile, { force: true });
    t.executor.cleanup();
    // The mounts died with the namespace; the empty mountpoints in the task dir can go too.
    for (const p of [...t.mountpoints].reverse()) await rmdir(p).catch(() => rm(p, { force: true }).catch(() => undefined));
  }

  inspectTask(id: string): TaskStatus {
    return this.tasks.status(id, (t) => ({ pid: String(t.taskPid) }));
  }

  async taskStats(id: string): Promise<TaskResourceUsage> {
    const t = this.tasks.get(id);
    return cgroupUsage(t.cgroup, t.cpu, this.ctx.cpuMhzPerCore());
  }

  async signalTask(id: string, signal: string): Promise<void> {
    const { task, sig } = this.tasks.signalTarget(id, signal);
    process.kill(task.taskPid, sig);
  }

  async recoverTask(handle: TaskHandle, _stdout: LogSink, _stderr: LogSink): Promise<void> {
    const id = handle.config.id;
    if (this.tasks.has(id)) return;
    const s = handle.driverState;
    const paths = s['cgroups'] as ControllerPaths | undefined;
    const executor = s['executor'] ? await ExecutorProcess.reattach(s['executor'] as ExecutorState) : null;
    if (!executor || !paths || CONTROLLERS.some((c) => typeof paths[c] !== 'string')) {
      throw new Error(`${this.name}: failed to reattach to task ${id}: launcher process ${String(s['launcherPid'])} is gone`);
    }
    this.track(id, handle.config.taskName, executor, {
      launcherPid: Number(s['launcherPid']),
      launcherStartTicks: Number(s['launcherStartTicks'] ?? 0),
      taskPid: Number(s['taskPid'] ?? 0),
      cgroup: TaskCgroup.fromPaths(paths),
      statusFile: String(s['statusFile'] ?? ''),
      mountpoints: Array.isArray(s['mountpoints']) ? (s['mountpoints'] as unknown[]).map(String) : [],
      startedAtMs: handle.startedAtMs,
      startedAs: null,
    });
  }
}

/** The launcher's own end, when pid 1 recorded nothing (it could not set the task up, or was killed). */
function launcherExit(s: ExecutorStatus): ExitResult {
  if (s.signal) return executorExit(s);
  if (s.code !== null) return exitFromStatus(s.code);
  return executorExit(s);
}
