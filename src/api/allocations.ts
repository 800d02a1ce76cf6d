// /v1/allocations, /v1/allocation/:id, and the client-side endpoints /v1/client/allocation/...,
// /v1/client/fs/... (logs and files stream from the node that runs the allocation).
import type { AllocListStub, Allocation } from '../structs/index.js';
import { FrameDecoder, type StreamFrame } from './frames.js';
import { esc, type HttpTransport } from './http.js';
import type { Answer, QueryOptions, WriteMeta, WriteOptions } from './query.js';
import type { AllocStopResponse } from './types.js';
import type { AllocFileInfo, AllocResourceUsage } from '../rpc/client-endpoints.js';
import { ExecSession, type ExecOutput } from './exec.js';

export interface LogsOptions {
  task: string;
  type: 'stdout' | 'stderr';
  follow: boolean;
  origin: 'start' | 'end';
  offsetBytes: number;
  signal?: AbortSignal;
}

export class Allocations {
  constructor(private readonly http: HttpTransport) {}

  list(q?: QueryOptions): Promise<Answer<AllocListStub[]>> {
    return this.http.query('/v1/allocations', q);
  }

  info(allocId: string, q?: QueryOptions): Promise<Answer<Allocation>> {
    return this.http.query(`/v1/allocation/${esc(allocId)}`, q);
  }

  stop(allocId: string, w?: WriteOptions): Promise<{ body: AllocStopResponse; meta: WriteMeta }> {
    return this.http.write('POST', `/v1/allocation/${esc(allocId)}/stop`, undefined, w);
  }

  stats(allocId: string, q?: QueryOptions): Promise<Answer<AllocResourceUsage>> {
    return this.http.query(`/v1/client/allocation/${esc(allocId)}/stats`, q);
  }

  restart(allocId: string, task: string, w?: WriteOptions): Promise<{ body: unknown; meta: WriteMeta }> {
    return this.http.write('PUT', `/v1/client/allocation/${esc(allocId)}/restart`, { TaskName: task }, w);
  }

  signal(allocId: string, task: string, signal: string, w?: WriteOptions): Promise<{ body: unknown; meta: WriteMeta }> {
    return this.http.write('PUT', `/v1/client/allocation/${esc(allocId)}/signal`, { Task: task, Signal: signal }, w);
  }

  /** Streams log frames until the agent closes the stream (or `signal` aborts when following). */
  async *logs(allocId: string, opts: LogsOptions): AsyncGenerator<StreamFrame> {
    const params: Record<string, string> = {
      task: opts.task,
      type: opts.type,
      follow: String(opts.follow),
      origin: opts.origin,
      offset: String(opts.offsetBytes),
    };
    yield* this.frames(`/v1/client/fs/logs/${esc(allocId)}`, params, opts.signal);
  }

  /** Runs a command in a task of the allocation over a WebSocket (alloc exec). */
  exec(allocId: string, task: string, command: string[], tty: boolean, out: ExecOutput, namespace?: string): Promise<ExecSession> {
    return ExecSession.open(this.http, allocId, task, command, tty, out, namespace);
  }

  /** Follows a file of the allocation (GET /v1/client/fs/stream), from `offset` counted from `origin`. */
  fsStream(allocId: string, path: string, origin: 'start' | 'end', offsetBytes: number, signal?: AbortSignal): AsyncGenerator<StreamFrame> {
    return this.frames(`/v1/client/fs/stream/${esc(allocId)}`, { path, origin, offset: String(offsetBytes) }, signal);
  }

  /** The frames of a streaming file endpoint until the agent closes the stream (or `signal` aborts). */
  private async *frames(path: string, params: Record<string, string>, signal?: AbortSignal): AsyncGenerator<StreamFrame> {
    const res = await this.http.stream(path, { params }, signal);
    const decoder = new FrameDecoder();
    try {
      for await (const chunk of res) {
        for (const f of decoder.push((chunk as Buffer).toString('utf8'))) yield f;
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      res.destroy();
    }
  }

  /** `limit` bytes (all when absent) from `offset` of a file of the allocation. */
  fsReadAt(allocId: string, path: string, offset: number, limit?: number): Promise<Answer<string>> {
    const params: Record<string, string> = { path, offset: String(offset) };
    if (limit !== undefined) params['limit'] = String(limit);
    return this.http.queryText(`/v1/client/fs/readat/${esc(allocId)}`, { params });
  }

  fsList(allocId: string, path: string): Promise<Answer<AllocFileInfo[]>> {
    return this.http.query(`/v1/client/fs/ls/${esc(allocId)}`, { params: { path } });
  }

  fsStat(allocId: string, path: string): Promise<Answer<AllocFileInfo>> {
    return this.http.query(`/v1/client/fs/stat/${esc(allocId)}`, { params: { path } });
  }

  fsCat(allocId: string, path: string): Promise<Answer<string>> {
    return this.http.queryText(`/v1/client/fs/cat/${esc(allocId)}`, { params: { path } });
  }
}
