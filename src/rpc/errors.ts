// Two kinds of failure reach a caller: the server answered with an error (a NomadError, as the
// handler threw it), or the transport could not get an answer (an RpcError). A caller may try
// another server on the second, never on the first.
import { MultiError, NomadError } from '../structs/errors.js';
import type { ErrorKind } from '../structs/errors.js';

export type RpcErrorCode =
  /** Could not connect (refused, unreachable, connect timeout, or the peer is in backoff). Nothing was sent. */
  | 'connect'
  /** The TLS handshake failed or a certificate was refused. Nothing was processed. */
  | 'tls'
  /** The deadline passed before an answer came. The server may have acted on the request. */
  | 'timeout'
  /** The caller cancelled (its AbortSignal). The server may have acted on the request. */
  | 'cancelled'
  /** The connection closed before the answer. The server may have acted on the request. */
  | 'closed'
  /** The server has no handler of that name and kind. Nothing was processed. */
  | 'unknown_method'
  /** Too many requests in flight (on the connection, or too many connections). Nothing was processed. */
  | 'overloaded'
  /** The peer broke the protocol (bad frame, over a limit); the connection was closed. */
  | 'protocol';

const CODES = new Set<string>(['connect', 'tls', 'timeout', 'cancelled', 'closed', 'unknown_method', 'overloaded', 'protocol']);

export class RpcError extends Error {
  readonly code: RpcErrorCode;
  constructor(code: RpcErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'RpcError';
  }

  /** True when the server certainly did not act on the request, so any server may be asked again. */
  get notProcessed(): boolean {
    return this.code === 'connect' || this.code === 'tls' || this.code === 'unknown_method' || this.code === 'overloaded';
  }
}

export function isRpcErrorCode(s: unknown): s is RpcErrorCode {
  return typeof s === 'string' && CODES.has(s);
}

const KINDS = new Set<string>(['bad_request', 'not_found', 'conflict', 'forbidden', 'no_leader', 'unavailable', 'internal']);

/**
 * What an ERROR frame carries: [source, code, message, where, errors]. Source 'nomad' is an
 * error the handler raised (code = its kind); source 'rpc' is the transport's own (code = RpcErrorCode).
 */
export type WireError = [source: 'nomad' | 'rpc', code: string, message: string, where: string | null, errors: string[] | null];

/** A handler's error as the caller will see it: NomadErrors keep kind, message and where; anything else is internal. */
export function errorToWire(e: unknown): WireError {
  if (e instanceof MultiError) return ['nomad', e.kind, e.message, e.where ?? null, [...e.errors]];
  if (e instanceof NomadError) return ['nomad', e.kind, e.message, e.where ?? null, null];
  const message = e instanceof Error ? e.message : String(e);
  return ['nomad', 'internal', message, null, null];
}

export function rpcErrorToWire(code: RpcErrorCode, message: string): WireError {
  return ['rpc', code, message, null, null];
}

/** Rebuilds the error on the caller's side; a malformed one becomes a protocol error. */
export function errorFromWire(w: unknown): NomadError | RpcError {
  if (!Array.isArray(w) || w.length < 3 || typeof w[1] !== 'string' || typeof w[2] !== 'string') {
    return new RpcError('protocol', 'the server sent a malformed error');
  }
  const [source, code, message, where, errors] = w as WireError;
  if (source === 'rpc' && isRpcErrorCode(code)) return new RpcError(code, message);
  if (source === 'nomad' && KINDS.has(code)) {
    const kind = code as ErrorKind;
    if (Array.isArray(errors) && errors.every((x) => typeof x === 'string')) return new MultiError(errors, kind);
    return new NomadError(kind, message, typeof where === 'string' ? where : undefined);
  }
  return new NomadError('internal', message);
}
