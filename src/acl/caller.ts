// Whose behalf a call runs on, carried along the asynchronous path of a request: the HTTP layer
// (or a node's RPC handler) sets the caller's secret once, and a server that sends the call on to
// its leader puts it in the forwarded request, where the leader checks it again. Nothing else
// reads it: local calls were authorized where they entered.
import { AsyncLocalStorage } from 'node:async_hooks';

const callerSecret = new AsyncLocalStorage<string>();

/** Runs `fn` on behalf of the caller holding `secret` ('' for the anonymous token). */
export function runAsCaller<T>(secret: string, fn: () => T): T {
  return callerSecret.run(secret, fn);
}

/** The secret of the caller this code runs for; undefined outside any caller's request. */
export function currentCallerSecret(): string | undefined {
  return callerSecret.getStore();
}
