// docker: runs each task as a container through the Docker Engine API (unix socket, node:http).
// Images are pulled or loaded as needed, the container's output is streamed into the task's
// log files, its exit (and OOM kill) is reported, and images no task uses are removed later.
import { dockerExec } from './docker-exec.js';
import type { ExecOptions, ExecSession } from './exec-session.js';
import { createReadStream } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { TaskResourceUsage } from '../rpc/client-endpoints.js';
import { NS_PER_MS, nowNs, parseDurationNs } from '../structs/time.js';
import { DockerApiError, DockerClient, dockerSocketPath, drainProgress } from './docker-api.js';
import { planDockerTask, parseImageRef, validateDockerConfig, type DockerSettings, type DockerTaskPlan } from './docker-config.js';
import { ImageGc } from './docker-image-gc.js';
import { capturedEnd, StampedSink, StdStreamDemuxer } from './docker-logs.js';
import { DriverStartError, isTruthyOption } from './driver.js';
import type { DriverCapabilities, DriverContext, DriverFingerprint, ExitResult, LogSink, TaskConfig, TaskDriver, TaskHandle, TaskStatus } from './driver.js';
import { CpuRateTracker, emptyUsage } from './proc-stats.js';
import { newTaskHandle, recordExit, stopWithTimeout, TaskTable, type TrackedTask } from './task-table.js';

/** The fingerprint runs on the client's startup path: an absent engine must be noticed fast. */
const FINGERPRINT_TIMEOUT_MS = 200;
/** An engine that is there but slow to answer (a loaded machine) is given this long before it counts as absent. */
const SLOW_ENGINE_TIMEOUT_MS = 5_000;
/**
 * An engine that just started answers before its default bridge network exists. Until it does,
 * the bridge is looked up again this often, for at most BRIDGE_WAIT_MS, and the client is told
 * when it appears (an engine run with --bridge=none never gets one, hence the bound).
 */
const BRIDGE_RECHECK_MS = 250;
const BRIDGE_WAIT_MS = 60_000;
const API_TIMEOUT_MS = 30_000;
/** After the container exits, its last output may still be in flight on the logs stream. */
const LOG_DRAIN_TIMEOUT_MS = 2_000;
const DEFAULT_IMAGE_GC_DELAY_MS = 3 * 60_000;
const NS_PER_TICK = 1e7; // proc-stats counts CPU in 1/100 s ticks

interface DockerTask extends TrackedTask {
  containerId: string;
  imageId: string;
  logsAbort: AbortController;
  cpu: CpuRateTracker;
}

interface ContainerState {
  Running: boolean;
  ExitCode: number;
  OOMKilled: boolean;
  Error?: string;
}

function pluginValue(v: unknown): Record<string, unknown> {
  if (Array.isArray(v)) return pluginValue(v[0]);
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

export class DockerDriver implements TaskDriver {
  readonly name = 'docker';
  readonly capabilities: DriverCapabilities = { sendSignals: true, exec: true, fsIsolation: 'image', networkIsolationModes: ['host', 'group', 'task'] };
  readonly client: DockerClient;
  readonly imageGc: ImageGc;
  private readonly tasks = new TaskTable<DockerTask>(() => this.name);

  constructor(private readonly ctx: DriverContext) {
    const plugin = ctx.pluginConfig['docker'] ?? {};
    this.client = new DockerClient(dockerSocketPath(typeof plugin['endpoint'] === 'string' ? plugin['endpoint'] : undefined));
    const gc = pluginValue(plugin['gc']);
    const delayNs = typeof gc['image_delay'] === 'string' ? parseDurationNs(gc['image_delay']) : null;
    const optDelayNs = ctx.options['docker.cleanup.image.delay'] ? parseDurationNs(ctx.options['docker.cleanup.image.delay']) : null;
    const delayMs = delayNs !== null ? delayNs / NS_PER_MS : optDelayNs !== null ? optDelayNs / NS_PER_MS : DEFAULT_IMAGE_GC_DELAY_MS;
    const enabled = gc['image'] !== false && ctx.options['docker.cleanup.image'] !== 'false';
    this.imageGc = new ImageGc(delayMs, enabled, async (imageId) => {
      await this.client.call('DELETE', `/images/${encodeURIComponent(imageId)}`, { timeoutMs: API_TIMEOUT_MS });
    });
  }

  private settings(): DockerSettings {
    const plugin = this.ctx.pluginConfig['docker'] ?? {};
    return {
      allowPrivileged: plugin['allow_privileged'] === true || isTruthyOption(this.ctx.options['docker.privileged.enabled']),
      volumesEnabled: pluginValue(plugin['volumes'])['enabled'] === true || isTruthyOption(this.ctx.options['docker.volumes.enabled']),
      cpuMhzPerCore: this.ctx.cpuMhzPerCore(),
    };
  }

  async fingerprint(): Promise<DriverFingerprint> {
    let version: { Version?: string; Os?: string };
    const absent: DriverFingerprint = { Detected: false, Healthy: false, HealthDescription: 'Failed to connect to docker daemon', Attributes: {} };
    try {
      version = await this.client.json('GET', '/version', { timeoutMs: FINGERPRINT_TIMEOUT_MS });
    } catch (e) {
      // No engine fails at once (no socket, refused); a timeout means one that is slow to answer.
      if (!/timed out/.test((e as Error).message)) return absent;
      try {
        version = await this.client.json('GET', '/version', { timeoutMs: SLOW_ENGINE_TIMEOUT_MS });
      } catch {
        return absent;
      }
    }
    const s = this.settings();
    const attrs: Record<string, string> = { 'driver.docker': '1', 'driver.docker.version': version.Version ?? '', 'driver.docker.os_type': version.Os ?? 'linux' };
    const bridge = await this.bridgeIp();
    if (bridge) attrs['driver.docker.bridge_ip'] = bridge;
    else this.awaitBridge();
    if (s.allowPrivileged) attrs['driver.docker.privileged.enabled'] = '1';
    if (s.volumesEnabled) attrs['driver.docker.volumes.enabled'] = '1';
    return { Detected: true, Healthy: true, HealthDescription: 'Healthy', Attributes: attrs };
  }

  private bridgeWatch: NodeJS.Timeout | null = null;

  /** Looks for the bridge again until it exists or the bound passes; a found bridge is a changed fingerprint. */
  private awaitBridge(): void {
    if (this.bridgeWatch !== null) return;
    const deadline = Date.now() + BRIDGE_WAIT_MS;
    const check = async (): Promise<void> => {
      const ip = await this.bridgeIp();
      if (ip) {
        this.bridgeWatch = null;
        this.ctx.onFingerprintChange?.('docker');
        return;
      }
      if (Date.now() >= deadline) {
        this.bridgeWatch = null;
        return;
      }
      this.bridgeWatch = setTimeout(() => void check(), BRIDGE_RECHECK_MS);
      this.bridgeWatch.unref();
    };
    this.bridgeWatch = setTimeout(() => void check(), BRIDGE_RECHECK_MS);
    this.bridgeWatch.unref();
  }

  /** The default bridge's gateway address: from the network's IPAM config, else its interface. */
  private async bridgeIp(): Promise<string> {
    try {
      const net = await this.client.json<{ IPAM?: { Config?: Array<{ Gateway?: string }> }; Options?: Record<string, string> }>('GET', '/networks/bridge', { timeoutMs: FINGERPRINT_TIMEOUT_MS });
      const gw = net.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
      if (gw) return gw;
      const ifName = net.Options?.['com.docker.network.bridge.name'] ?? 'docker0';
      return networkInterfaces()[ifName]?.find((a) => a.family === 'IPv4')?.address ?? '';
    } catch {
      return ''; // no bridge network (e.g. the engine runs with --bridge=none)
    }
  }

  validateConfig(config: Record<string, unknown>): string[] {
    return validateDockerConfig(config);
  }

  async startTask(cfg: TaskConfig): Promise<TaskHandle> {
    this.tasks.assertNew(cfg.id);
    const { plan, errors } = planDockerTask(cfg, this.settings());
    if (!plan) throw new DriverStartError(errors.join('; '), false);
    const imageId = await this.ensureImage(plan);
    const containerId = await this.createContainer(plan);
    try {
      await this.client.call('POST', `/containers/${containerId}/start`, { timeoutMs: API_TIMEOUT_MS });
    } catch (err) {
      await this.client.call('DELETE', `/containers/${containerId}`, { query: { force: true, v: true }, timeoutMs: API_TIMEOUT_MS }).catch(() => undefined);
      throw new DriverStartError(`failed to start container ${containerId}: ${(err as Error).message}`, true);
    }
    this.imageGc.acquire(imageId);
    const task = this.track(cfg.id, cfg.taskName, containerId, imageId, Date.now(), cfg.stdout, cfg.stderr, false);
    return newTaskHandle(this.name, cfg, { containerId, imageId }, task.startedAtMs);
  }

  /** Loads or pulls the image as the config asks; returns its id. */
  /** A command in the running container, through the engine's exec API. */
  async execTask(id: string, opts: ExecOptions): Promise<ExecSession> {
    const t = this.tasks.get(id);
    if (t.exit) throw new Error(`task ${t.name} is not running`);
    return dockerExec(this.client, t.containerId, opts);
  }

  private async ensureImage(plan: DockerTaskPlan): Promise<string> {
    if (plan.loadPath) {
      try {
        const res = await this.client.stream('POST', '/images/load', { query: { quiet: true }, body: createReadStream(plan.loadPath), headers: { 'Content-Type': 'application/x-tar' } });
        await drainProgress(res);
      } catch (err) {
        throw new DriverStartError(`failed to load image from "${plan.loadPath}": ${(err as Error).message}`, false);
      }
    }
    const existing = await this.imageId(plan.image);
    const { repo, tag } = parseImageRef(plan.image);
    // As Nomad: "latest" (or no tag) is always pulled, unless the image was just loaded.
    const wantPull = plan.forcePull || existing === null || (tag === 'latest' && !plan.loadPath);
    if (!wantPull) return existing!;
    try {
      const headers: Record<string, string> = {};
      if (plan.auth) headers['X-Registry-Auth'] = Buffer.from(JSON.stringify(plan.auth)).toString('base64url');
      const res = await this.client.stream('POST', '/images/create', { query: { fromImage: repo, tag }, headers });
      await drainProgress(res);
    } catch (err) {
      throw new DriverStartError(`Failed to pull \`${plan.image}\`: ${(err as Error).message}`, true);
    }
    const pulled = await this.imageId(plan.image);
    if (pulled === null) throw new DriverStartError(`Failed to pull \`${plan.image}\`: image not found after pull`, true);
    return pulled;
  }

  private async imageId(image: string): Promise<string | null> {
    try {
      const info = await this.client.json<{ Id: string }>('GET', `/images/${encodeURIComponent(image)}/json`, { timeoutMs: API_TIMEOUT_MS });
      return info.Id;
    } catch (err) {
      if (err instanceof DockerApiError && err.status === 404) return null;
      throw new DriverStartError(`failed to inspect image "${image}": ${(err as Error).message}`, true);
    }
  }

  /** Creates the container; one left by an earlier start of this task (same name) is removed first. */
  private async createContainer(plan: DockerTaskPlan): Promise<string> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const r = await this.client.json<{ Id: string }>('POST', '/containers/create', { query: { name: plan.containerName }, body: plan.createBody, timeoutMs: API_TIMEOUT_MS });
        return r.Id;
      } catch (err) {
        if (err instanceof DockerApiError && err.status === 409 && attempt === 0) {
          await this.client.call('DELETE', `/containers/${encodeURIComponent(plan.containerName)}`, { query: { force: true, v: true }, timeoutMs: API_TIMEOUT_MS }).catch(() => undefined);
          continue;
        }
        const recoverable = !(err instanceof DockerApiError && err.status === 400);
        throw new DriverStartError(`failed to create container: ${(err as Error).message}`, recoverable);
      }
    }
    throw new DriverStartError('failed to create container: name still in use', true);
  }

  /** Streams logs and waits for the exit; `resumed` skips the output a previous client captured. */
  private track(id: string, name: string, containerId: string, imageId: string, startedAtMs: number, stdout: LogSink, stderr: LogSink, resumed: boolean): DockerTask {
    const logsAbort = new AbortController();
    const logsDone = this.followLogs(containerId, stdout, stderr, resumed ? startedAtMs : null, logsAbort.signal);
    const task: DockerTask = {
      id,
      name,
      containerId,
      imageId,
      startedAtMs,
      completedAtMs: null,
      exit: null,
      exited: this.waitContainer(containerId, logsDone),
      logsAbort,
      cpu: new CpuRateTracker(),
    };
    void task.exited.then((r) => recordExit(task, r));
    this.tasks.add(task);
    return task;
  }

  /**
   * The engine keeps a container's output: after a client restart it is asked again, with each
   * message's time, from a little before what the previous client last wrote to the task's log
   * files (or from the start), and what those files already hold is dropped (StampedSink). So
   * the output of a task whose client was down reaches its logs once.
   */
  private async followLogs(containerId: string, stdout: LogSink, stderr: LogSink, resumeAfterStartMs: number | null, signal: AbortSignal): Promise<void> {
    try {
      let demux: StdStreamDemuxer;
      let resume = {};
      if (resumeAfterStartMs === null) demux = new StdStreamDemuxer(stdout, stderr);
      else {
        const ends = [capturedEnd(stdout), capturedEnd(stderr)];
        const fromUs = Math.min(...ends.map((e) => e?.mtimeUs ?? resumeAfterStartMs * 1000));
        resume = { since: Math.max(0, Math.floor(fromUs / 1e6) - 1), timestamps: 1 };
        demux = new StdStreamDemuxer(new StampedSink(stdout, ends[0]!), new StampedSink(stderr, ends[1]!));
      }
      const res = await this.client.stream('GET', `/containers/${containerId}/logs`, { query: { follow: 1, stdout: 1, stderr: 1, ...resume }, signal });
      for await (const chunk of res) demux.push(new Uint8Array(chunk as Buffer));
    } catch {
      // The stream ends with an error when aborted or when the engine goes away: output stops.
    }
  }

  private async waitContainer(containerId: string, logsDone: Promise<void>): Promise<ExitResult> {
    try {
      const r = await this.client.json<{ StatusCode: number; Error?: { Message?: string } | null }>('POST', `/containers/${containerId}/wait`);
      const info = await this.client.json<{ State: ContainerState }>('GET', `/containers/${containerId}/json`, { timeoutMs: API_TIMEOUT_MS });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([logsDone, new Promise((resolve) => (timer = setTimeout(resolve, LOG_DRAIN_TIMEOUT_MS)))]);
      clearTimeout(timer);
      return exitFromState(r.StatusCode, info.State, r.Error?.Message ?? '');
    } catch (err) {
      return { ExitCode: 0, Signal: 0, OOMKilled: false, Err: `failed to wait for container ${containerId}: ${(err as Error).message}` };
    }
  }

  waitTask(id: string): Promise<ExitResult> {
    return this.tasks.get(id).exited;
  }

  private async kill(t: DockerTask, signal: string): Promise<void> {
    try {
      await this.client.call('POST', `/containers/${t.containerId}/kill`, { query: { signal }, timeoutMs: API_TIMEOUT_MS });
    } catch (err) {
      // 409: the container is no longer running, which is what we wanted.
      if (!(err instanceof DockerApiError && err.status === 409)) throw err;
    }
  }

  async stopTask(id: string, timeoutMs: number, signal: string): Promise<void> {
    const t = this.tasks.get(id);
    await stopWithTimeout(
      t,
      signal,
      timeoutMs,
      (sig) => this.kill(t, sig).catch(() => undefined),
      () => void this.kill(t, 'SIGKILL').catch(() => undefined),
    );
  }

  async destroyTask(id: string, force: boolean): Promise<void> {
    const t = await this.tasks.endForDestroy(id, force, (running) => this.kill(running, 'SIGKILL').catch(() => undefined));
    if (!t) return;
    this.tasks.remove(id);
    t.logsAbort.abort();
    try {
      await this.client.call('DELETE', `/containers/${t.containerId}`, { query: { force: true, v: true }, timeoutMs: API_TIMEOUT_MS });
    } catch (err) {
      if (!(err instanceof DockerApiError && err.status === 404)) throw new Error(`failed to remove container ${t.containerId}: ${(err as Error).message}`);
    }
    this.imageGc.release(t.imageId);
  }

  inspectTask(id: string): TaskStatus {
    return this.tasks.status(id, (t) => ({ container_id: t.containerId, image_id: t.imageId }));
  }

  async taskStats(id: string): Promise<TaskResourceUsage> {
    const t = this.tasks.get(id);
    const s = await this.client.json<DockerStats>('GET', `/containers/${t.containerId}/stats`, { query: { stream: false, 'one-shot': true }, timeoutMs: API_TIMEOUT_MS });
    return usageFromStats(s, t.cpu, this.ctx.cpuMhzPerCore());
  }

  async signalTask(id: string, signal: string): Promise<void> {
    const { task, sig } = this.tasks.signalTarget(id, signal);
    await this.kill(task, sig);
  }

  async recoverTask(handle: TaskHandle, stdout: LogSink, stderr: LogSink): Promise<void> {
    const id = handle.config.id;
    if (this.tasks.has(id)) return;
    const containerId = String(handle.driverState['containerId'] ?? '');
    let info: { State: ContainerState; Image: string };
    try {
      info = await this.client.json('GET', `/containers/${encodeURIComponent(containerId)}/json`, { timeoutMs: API_TIMEOUT_MS });
    } catch (err) {
      throw new Error(`${this.name}: failed to reattach to task ${id}: container ${containerId}: ${(err as Error).message}`);
    }
    const imageId = String(handle.driverState['imageId'] ?? info.Image);
    this.imageGc.acquire(imageId);
    // What the container printed while no client was collecting it is asked for again (followLogs).
    this.track(id, handle.config.taskName, containerId, imageId, handle.startedAtMs, stdout, stderr, true);
  }
}

function exitFromState(statusCode: number, state: ContainerState, waitError: string): ExitResult {
  if (state.OOMKilled) return { ExitCode: statusCode, Signal: 0, OOMKilled: true, Err: 'OOM Killed' };
  const err = waitError || state.Error || '';
  return { ExitCode: statusCode, Signal: 0, OOMKilled: false, Err: err === '' ? null : err };
}

interface DockerStats {
  memory_stats?: { usage?: number; max_usage?: number; stats?: Record<string, number> };
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; usage_in_usermode?: number; usage_in_kernelmode?: number };
    throttling_data?: { throttled_periods?: number; throttled_time?: number };
  };
}

export function usageFromStats(s: DockerStats, tracker: CpuRateTracker, cpuMhzPerCore: number): TaskResourceUsage {
  const out = emptyUsage();
  const ms = s.memory_stats?.stats ?? {};
  const m = out.MemoryStats;
  m.RSS = ms['total_rss'] ?? ms['rss'] ?? ms['anon'] ?? 0;
  m.Cache = ms['total_cache'] ?? ms['cache'] ?? ms['file'] ?? 0;
  m.Swap = ms['total_swap'] ?? ms['swap'] ?? 0;
  m.Usage = s.memory_stats?.usage ?? 0;
  m.MaxUsage = s.memory_stats?.max_usage ?? 0;
  m.Measured = ['RSS', 'Cache', 'Swap', 'Usage', 'Max Usage'];
  const cu = s.cpu_stats?.cpu_usage ?? {};
  const { userPct, systemPct } = tracker.update(Date.now(), (cu.usage_in_usermode ?? 0) / NS_PER_TICK, (cu.usage_in_kernelmode ?? 0) / NS_PER_TICK);
  const c = out.CpuStats;
  c.UserMode = userPct;
  c.SystemMode = systemPct;
  c.Percent = userPct + systemPct;
  c.TotalTicks = (c.Percent / 100) * cpuMhzPerCore;
  c.ThrottledPeriods = s.cpu_stats?.throttling_data?.throttled_periods ?? 0;
  c.ThrottledTime = s.cpu_stats?.throttling_data?.throttled_time ?? 0;
  c.Measured = ['Throttled Periods', 'Throttled Time', 'User Mode', 'System Mode', 'Percent'];
  return { ResourceUsage: out, Timestamp: nowNs(), Pids: null };
}
