// The RPC transport without a network: a dev agent's client calls its own server's handlers here.
// Arguments and answers reach the other side as a msgpack round trip would give them (a plain
// copy, or the round trip itself for anything that is not plain data) and errors take the wire's
// round trip, so that both sides see what a remote peer would (no shared objects, the same error
// kinds); a deadline or a cancelled signal ends the call as the pool's would.
import { errorFromWire, errorToWire, RpcError } from './errors.js';
import { copyAsDecoded } from './plain-copy.js';
import type { RpcCallOptions, RpcCaller, RpcHandler } from './types.js';

/** Nothing in process is slower than this unless it blocks on purpose (which names its own bound). */
const DEFAULT_CALL_TIMEOUT_MS = 60_000;

export class InProcessRpc implements RpcCaller {
  private readonly handlers = new Map<string, RpcHandler>();

  handle(method: string, handler: RpcHandler): void {
    if (this.handlers.has(method)) throw new Error(`RPC method ${method} registered twice`);
    this.handlers.set(method, handler);
  }

  async call<T = unknown>(method: string, args: unknown, opts: RpcCallOptions = {}): Promise<T> {
    const handler = this.handlers.get(method);
    if (!handler) throw new RpcError('unknown_method', `no handler for ${method}`);
    if (opts.signal?.aborted) throw new RpcError('cancelled', `the call ${method} was cancelled before it was sent`);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const abort = new AbortController();
    let failure: RpcError | null = null;
    const end = (e: RpcError): void => {
      failure ??= e;
      abort.abort();
    };
    const timer = setTimeout(() => end(new RpcError('timeout', `${method} did not answer within ${timeoutMs} ms`)), timeoutMs);
    const onCancel = (): void => end(new RpcError('cancelled', `the call ${method} was cancelled`));
    opts.signal?.addEventListener('abort', onCancel, { once: true });
    const ended = new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(failure), { once: true }));
    try {
      const run = handler(copyAsDecoded(args), { remoteAddr: 'in-process', signal: abort.signal, deadlineMs: timeoutMs, tls: null }).then(
        (answer) => copyAsDecoded(answer ?? null) as T,
        (e: unknown) => {
          throw errorFromWire(errorToWire(e));
        },
      );
      return await Promise.race([run, ended]);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onCancel);
    }
  }
}
