// Servers and pools on loopback for the RPC tests, and bounded waits on conditions.
import { RpcPool, RpcServer } from '../../../src/rpc/index.js';
import type { RpcPoolOptions, RpcServerOptions } from '../../../src/rpc/index.js';
import { CaptureLogger } from './capture-logger.js';

export interface TestServer {
  readonly server: RpcServer;
  readonly addr: string;
  readonly port: number;
  readonly logger: CaptureLogger;
}

export async function startServer(opts: Partial<RpcServerOptions> = {}): Promise<TestServer> {
  const logger = new CaptureLogger();
  const server = new RpcServer({ bindHost: '127.0.0.1', port: 0, logger, ...opts });
  const { host, port } = await server.listen();
  return { server, addr: `${host}:${port}`, port, logger };
}

export function newPool(opts: Partial<RpcPoolOptions> = {}): { pool: RpcPool; logger: CaptureLogger } {
  const logger = new CaptureLogger();
  return { pool: new RpcPool({ logger, ...opts }), logger };
}

/** Polls `predicate` (each turn of the event loop, then every few ms) until it holds; throws after timeoutMs. */
export async function until(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A promise and the functions that settle it. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves once `signal` aborts, with its reason; rejects if it does not within timeoutMs. */
export function aborted(signal: AbortSignal, timeoutMs = 5000): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the signal did not abort within ${timeoutMs} ms`)), timeoutMs);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve(signal.reason);
      },
      { once: true },
    );
  });
}
