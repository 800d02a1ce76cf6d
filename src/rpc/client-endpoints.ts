// What a client node answers about its own allocations and host: file system, logs, stats.
// The HTTP layer calls it directly when the agent runs the client; servers reach a remote
// client through the rpc transport with the same calls.
import type { Readable } from 'node:stream';
import type { ExecOptions, ExecSession } from '../drivers/exec-session.js';

export interface AllocFileInfo {
  Name: string;
  IsDir: boolean;
  Size: number;
  FileMode: string; // e.g. "-rw-r--r--", "drwxrwxrwx"
  ModTime: string; // RFC3339 with nanoseconds
  ContentType?: string;
}

export interface LogsRequest {
  allocId: string;
  task: string;
  type: 'stdout' | 'stderr';
  follow: boolean;
  /** 'start' counts offset from the beginning; 'end' from the end. */
  origin: 'start' | 'end';
  offset: number;
  /** Stop streaming (when following) once aborted. */
  signal?: AbortSignal;
}

/** One frame of Nomad's streaming file API: {"File","Offset","Data"(base64),"FileEvent"}. */
export interface StreamFrame {
  File?: string;
  Offset?: number;
  Data?: string;
  FileEvent?: string;
}

export interface ResourceUsage {
  MemoryStats: {
    RSS: number;
    Cache: number;
    Swap: number;
    Usage: number;
    MaxUsage: number;
    KernelUsage: number;
    KernelMaxUsage: number;
    Measured: string[] | null;
  };
  CpuStats: {
    SystemMode: number;
    UserMode: number;
    TotalTicks: number;
    ThrottledPeriods: number;
    ThrottledTime: number;
    Percent: number;
    Measured: string[] | null;
  };
  DeviceStats: unknown[] | null;
}

export interface TaskResourceUsage {
  ResourceUsage: ResourceUsage;
  Timestamp: number; // ns
  Pids: Record<string, ResourceUsage> | null;
}

export interface AllocResourceUsage {
  ResourceUsage: ResourceUsage;
  Tasks: Record<string, TaskResourceUsage>;
  Timestamp: number; // ns
}

export interface ClientEndpoints {
  nodeId(): string;
  /** The namespace of an allocation this client runs; null for one it does not know. */
  allocNamespace(allocId: string): string | null;
  /** Whether the allocation runs (or ran) on this client: an agent answers only for its own. */
  hasAlloc(allocId: string): boolean;
  /** Streams log frames; rejects with NomadError('not_found') for an unknown alloc or task. */
  allocLogs(req: LogsRequest): AsyncIterable<StreamFrame>;
  fsList(allocId: string, path: string): Promise<AllocFileInfo[]>;
  fsStat(allocId: string, path: string): Promise<AllocFileInfo>;
  fsCat(allocId: string, path: string): Promise<Readable>;
  /** `limit` bytes from `offset`, or (null) to the end of the file. */
  fsReadAt(allocId: string, path: string, offset: number, limit: number | null): Promise<Readable>;
  allocStats(allocId: string): Promise<AllocResourceUsage>;
  /** Follows one file of the allocation directory (refused at once when the path is bad). */
  fsStream(allocId: string, path: string, origin: 'start' | 'end', offset: number, signal: AbortSignal): Promise<AsyncIterable<StreamFrame>>;
  /** GET /v1/client/stats: host CPU, memory, disk, uptime. */
  hostStats(): Promise<Record<string, unknown>>;
  /** Stops and restarts as Nomad's alloc restart / alloc signal do. */
  allocRestart(allocId: string, task: string | null): Promise<void>;
  allocSignal(allocId: string, task: string | null, signal: string): Promise<void>;
  /**
   * Runs a command in a running task (alloc exec). `authorize` is called with the task driver's
   * file system isolation before anything runs, and may refuse by throwing.
   */
  allocExec(allocId: string, task: string, opts: ExecOptions, authorize: (fsIsolation: 'none' | 'chroot' | 'image') => void): Promise<ExecSession>;
  /** Client info for /v1/agent/self stats: heartbeat_ttl, known_servers, last_heartbeat, node_id, num_allocations. */
  stats(): Record<string, string>;
}
