// A client's calls to "the servers": each call goes to the first server of the list; when the
// transport fails (refused, unreachable, the connection dropped, no answer in time) the server
// goes to the back and the next one is asked, so a client rides out the loss of a server without
// registering again. Every client call is safe to repeat (registration replaces the node, updates
// carry the whole state), so a call is retried whatever the transport failure. An answer from a
// server (even an error) ends the call: any other server would say the same.
import { RpcError } from '../rpc/errors.js';
import type { RpcCallOptions, RpcCaller } from '../rpc/types.js';
import type { ServerList } from './server-list.js';

export class ServerFailoverCaller implements RpcCaller {
  constructor(
    private readonly pool: PoolLike,
    private readonly servers: ServerList,
  ) {}

  async call<T = unknown>(method: string, args: unknown, opts: RpcCallOptions = {}): Promise<T> {
    const order = this.servers.ordered();
    if (order.length === 0) throw new RpcError('connect', `no servers known to call ${method}: set client.servers, -servers or client.server_join`);
    const failures: string[] = [];
    for (const addr of order) {
      try {
        return await this.pool.call<T>(addr, method, args, opts);
      } catch (e) {
        if (!(e instanceof RpcError) || e.code === 'cancelled' || opts.signal?.aborted) throw e;
        this.servers.failed(addr);
        failures.push(`${addr}: ${e.message}`);
      }
    }
    throw new RpcError('connect', `no server answered ${method} (tried ${failures.length}): ${failures.join('; ')}`);
  }
}

/** The pool's call to one address. */
export interface PoolLike {
  call<T = unknown>(addr: string, method: string, args: unknown, opts?: RpcCallOptions): Promise<T>;
}
