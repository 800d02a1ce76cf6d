// What this client answers about its allocations and host (fs, logs, stats, restart, signal),
// for the HTTP layer in the same agent or for servers forwarding a request to this node.
import type { Readable } from 'node:stream';
import type { AllocFileInfo, AllocResourceUsage, ClientEndpoints, LogsRequest, StreamFrame } from '../rpc/client-endpoints.js';
import { NomadError, badRequest, notFound } from '../structs/errors.js';
import type { ExecOptions, ExecSession } from '../drivers/exec-session.js';
import { confinePath, listDir, readFileRange, statPath } from './alloc-fs.js';
import { streamFile } from './file-stream.js';
import type { AllocRunner } from './alloc-runner.js';
import { HostStatsCollector } from './host-stats.js';
import { streamLogs } from './logs-stream.js';
import type { TaskRunner } from './task-runner.js';

/** The part of the client the endpoints read; the Client class provides it. */
export interface ClientView {
  readonly nodeId: string;
  readonly allocRoot: string;
  allocRunner(id: string): AllocRunner | undefined;
  stats(): Record<string, string>;
  /** Exec into tasks is refused (client disable_remote_exec). */
  readonly remoteExecDisabled: boolean;
}

export class ClientEndpointsImpl implements ClientEndpoints {
  private readonly host: HostStatsCollector;

  constructor(
    private readonly client: ClientView,
    mhzPerCore: () => number,
  ) {
    this.host = new HostStatsCollector(client.allocRoot, mhzPerCore);
  }

  nodeId(): string {
    return this.client.nodeId;
  }

  allocNamespace(allocId: string): string | null {
    return this.client.allocRunner(allocId)?.alloc.Namespace ?? null;
  }

  hasAlloc(allocId: string): boolean {
    return this.client.allocRunner(allocId) !== undefined;
  }

  private runner(allocId: string): AllocRunner {
    const r = this.client.allocRunner(allocId);
    if (!r) throw notFound(`Unknown allocation "${allocId}"`);
    return r;
  }

  private task(r: AllocRunner, task: string): TaskRunner {
    const t = r.taskRunner(task);
    if (!t) throw notFound(`unknown task name "${task}"`);
    return t;
  }

  allocLogs(req: LogsRequest): AsyncIterable<StreamFrame> {
    const r = this.runner(req.allocId);
    this.task(r, req.task);
    if (req.type !== 'stdout' && req.type !== 'stderr') throw badRequest(`log type must be "stdout" or "stderr", got "${String(req.type)}"`, 'type');
    if (req.origin !== 'start' && req.origin !== 'end') throw badRequest(`origin must be "start" or "end", got "${String(req.origin)}"`, 'origin');
    if (!Number.isInteger(req.offset) || req.offset < 0) throw badRequest(`offset must be a non-negative integer, got ${req.offset}`, 'offset');
    return streamLogs({ logsDir: r.allocDir.logsDir, task: req.task, type: req.type, origin: req.origin, offset: req.offset, follow: req.follow, signal: req.signal });
  }

  fsList(allocId: string, path: string): Promise<AllocFileInfo[]> {
    return listDir(this.runner(allocId).allocDir.allocDir, path);
  }

  fsStat(allocId: string, path: string): Promise<AllocFileInfo> {
    return statPath(this.runner(allocId).allocDir.allocDir, path);
  }

  fsCat(allocId: string, path: string): Promise<Readable> {
    return readFileRange(this.runner(allocId).allocDir.allocDir, path, 0, null);
  }

  fsReadAt(allocId: string, path: string, offset: number, limit: number | null): Promise<Readable> {
    return readFileRange(this.runner(allocId).allocDir.allocDir, path, offset, limit);
  }

  async fsStream(allocId: string, path: string, origin: 'start' | 'end', offset: number, signal: AbortSignal): Promise<AsyncIterable<StreamFrame>> {
    const real = await confinePath(this.runner(allocId).allocDir.allocDir, path);
    const info = await statPath(this.runner(allocId).allocDir.allocDir, path);
    if (info.IsDir) throw badRequest(`path "${path}" is a directory`, 'path');
    return streamFile({ path: real, name: path, origin, offset, signal });
  }

  allocStats(allocId: string): Promise<AllocResourceUsage> {
    return this.runner(allocId).stats();
  }

  async hostStats(): Promise<Record<string, unknown>> {
    return { ...(await this.host.collect()) };
  }

  async allocRestart(allocId: string, task: string | null): Promise<void> {
    const r = this.runner(allocId);
    const names = task ? [this.task(r, task).name] : r.taskNames().filter((n) => !r.taskRunner(n)!.isDead);
    for (const n of names) await r.taskRunner(n)!.restart();
  }

  async allocSignal(allocId: string, task: string | null, signal: string): Promise<void> {
    const r = this.runner(allocId);
    const names = task ? [this.task(r, task).name] : r.taskNames().filter((n) => !r.taskRunner(n)!.isDead);
    for (const n of names) await r.taskRunner(n)!.signal(signal);
  }

  stats(): Record<string, string> {
    return this.client.stats();
  }

  async allocExec(allocId: string, task: string, opts: ExecOptions, authorize: (fsIsolation: 'none' | 'chroot' | 'image') => void): Promise<ExecSession> {
    if (this.client.remoteExecDisabled) throw new NomadError('forbidden', 'Permission denied');
    const t = this.task(this.runner(allocId), task);
    return t.exec(opts, authorize);
  }
}
