// The shapes callers and handlers of the RPC transport see.
import type { PeerCertificate } from 'node:tls';

export interface RpcCallOptions {
  /** Bound for the whole call (connecting included); it travels with the request to the handler. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Whatever can make a call: the pool (to one address), a client's server list, the in-process channel. */
export interface RpcCaller {
  call<T = unknown>(method: string, args: unknown, opts?: RpcCallOptions): Promise<T>;
}

export interface RpcRequestContext {
  /** "ip:port" of the peer socket. */
  remoteAddr: string;
  /** Aborted when the caller cancels, times out or the connection drops. */
  signal: AbortSignal;
  /** The caller's deadline as remaining ms when the request arrived; null when it set none. */
  deadlineMs: number | null;
  tls: { peerCertificate: PeerCertificate; authorized: boolean } | null;
}

export type RpcHandler = (args: unknown, ctx: RpcRequestContext) => Promise<unknown>;

/** Server-to-caller stream (log follow, event stream, blocking streams): write() yields back-pressure. */
export interface RpcStreamWriter {
  write(chunk: unknown): Promise<void>;
  readonly signal: AbortSignal;
}

export type RpcStreamHandler = (args: unknown, ctx: RpcRequestContext, out: RpcStreamWriter) => Promise<void>;

/** Caller-to-server upload (Raft snapshot install): the handler consumes the data then answers. */
export type RpcUploadHandler = (args: unknown, data: AsyncIterable<Uint8Array>, ctx: RpcRequestContext) => Promise<unknown>;

/**
 * Both directions at once (an interactive session): the caller's bytes arrive as `data`, paced
 * by credit as an upload's; the handler writes items back as a stream's. It ends when the handler returns.
 */
export type RpcDuplexHandler = (args: unknown, data: AsyncIterable<Uint8Array>, ctx: RpcRequestContext, out: RpcStreamWriter) => Promise<void>;

/** One-way message, no answer (Raft messages): dropped, never blocking, when queues are full. */
export type RpcNotifyHandler = (args: unknown, ctx: RpcRequestContext) => void;

/** Satisfied by the agent's logger and the server's; fields are structured context. */
export interface RpcLogger {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export const silentRpcLogger: RpcLogger = { debug() {}, info() {}, warn() {}, error() {} };
