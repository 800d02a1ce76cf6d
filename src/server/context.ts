// What the server's endpoints share: the store to read, the one way to write (through the log,
// on the leader), heartbeats and identity. Endpoints get this instead of the whole Server.
import type { LogEntry } from '../state/log-entries.js';
import type { StateStoreView } from '../state/reader.js';
import type { ApplyResult } from './consensus.js';
import type { HeartbeatTimers } from './heartbeat.js';
import type { Logger } from './logger.js';
import type { ServerEnv } from './eval-factory.js';

export interface ServerContext extends ServerEnv {
  readonly region: string;
  readonly datacenter: string;
  readonly store: StateStoreView;
  readonly heartbeats: HeartbeatTimers;
  readonly logger: Logger;
  /** Writes an entry through the log (forwarding or failing with no_leader when not leader); throws what the FSM raised. */
  write(entry: LogEntry): Promise<ApplyResult>;
  leaderRpcAddr(): string;
  serverRpcAddrs(): string[];
}

/** Applies and turns an FSM error result into a thrown error. */
export async function writeChecked(ctx: Pick<ServerContext, 'write'>, entry: LogEntry): Promise<number> {
  const res = await ctx.write(entry);
  if (res.result instanceof Error) throw res.result;
  return res.index;
}
