// The client's side of its calls to the servers: nomad.client.rpc counts each call, and
// nomad.client.rpc.failed those that failed (a server unreachable, or an error answered).
import type { ClientServerRpc } from '../rpc/protocol.js';
import type { Metrics } from '../structs/metrics.js';

export function countedRpc(rpc: ClientServerRpc, metrics: Metrics): ClientServerRpc {
  return new Proxy(rpc, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        metrics.incrCounter('client.rpc');
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((e: unknown) => {
          metrics.incrCounter('client.rpc.failed');
          throw e;
        });
      };
    },
  });
}
