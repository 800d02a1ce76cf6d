// Joining the servers' gossip pool at start-up: `start_join` once and synchronously (a failure
// stops the agent, as in Nomad), `retry_join` in the background every `retry_interval` until it
// succeeds, the agent stops, or `retry_max` attempts have failed.
import type { AgentConfig } from './config.js';
import type { Logger } from './logger.js';
import { formatDurationNs } from '../structs/time.js';

/** Nomad's default pause between retry-join attempts. */
export const DEFAULT_RETRY_INTERVAL_MS = 30_000;

export interface JoinPlan {
  startJoin: string[];
  retryJoin: string[];
  retryIntervalMs: number;
  /** Retries after the first attempt; 0 means no limit other than the agent's life (Nomad's). */
  retryMax: number;
}

/**
 * The checks Nomad makes on the two spellings of the join settings (`server { start_join ... }`
 * and `server { server_join { ... } }`), with its wording: mixing them is an error.
 */
export function checkJoinConfig(c: AgentConfig): string | null {
  const s = c.server;
  const sj = s.serverJoin;
  const usesStanza = sj.startJoin.length > 0 || sj.retryJoin.length > 0 || sj.retryIntervalMs !== null || sj.retryMax !== null;
  if (usesStanza) {
    const prefer = 'cannot both be defined; prefer setting the server_join stanza';
    if (s.startJoin.length > 0) return `server_join and start_join ${prefer}`;
    if (s.retryJoin.length > 0) return `server_join and retry_join ${prefer}`;
    if (s.retryMax !== null) return `server_join and retry_max ${prefer}`;
    if (s.retryIntervalMs !== null) return `server_join and retry_interval ${prefer}`;
  }
  const interval = sj.retryIntervalMs ?? s.retryIntervalMs;
  if (interval !== null && interval <= 0) return 'retry_interval must be a positive duration';
  const max = sj.retryMax ?? s.retryMax;
  if (max !== null && max < 0) return 'retry_max must not be negative';
  return null;
}

/** A client's `server_join`: servers to find by retrying; start_join joins a gossip pool, which clients have none of. */
export function checkClientJoin(c: AgentConfig): string | null {
  const sj = c.client.serverJoin;
  if (sj.startJoin.length > 0) return 'client.server_join.start_join is not supported: clients find their servers with retry_join (or client.servers)';
  if (sj.retryIntervalMs !== null && sj.retryIntervalMs <= 0) return 'client.server_join.retry_interval must be a positive duration';
  if (sj.retryMax !== null && sj.retryMax < 0) return 'client.server_join.retry_max must not be negative';
  return null;
}

export function joinPlan(c: AgentConfig): JoinPlan {
  const s = c.server;
  const sj = s.serverJoin;
  return {
    startJoin: [...s.startJoin, ...sj.startJoin],
    retryJoin: [...s.retryJoin, ...sj.retryJoin],
    retryIntervalMs: sj.retryIntervalMs ?? s.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS,
    retryMax: sj.retryMax ?? s.retryMax ?? 0,
  };
}

export interface RetryJoinerOptions {
  addrs: string[];
  intervalMs: number;
  /** Failed attempts allowed after the first one; 0 means until joined or stopped. */
  maxRetries: number;
  join(addrs: string[]): Promise<number>;
  logger: Logger;
  /** Called once when every allowed attempt has failed; the agent then stops, as Nomad's does. */
  onExhausted(): void;
  /** Named in the log line of a completed join. */
  agentMode?: 'server' | 'client';
}

/** One background retry-join loop. Attempts never overlap; stop() ends it between attempts. */
export class RetryJoiner {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private attempts = 0;
  /** Settles when the loop ends for any reason: joined, exhausted or stopped. */
  readonly done: Promise<'joined' | 'exhausted' | 'stopped'>;
  private finish: (how: 'joined' | 'exhausted' | 'stopped') => void = () => undefined;

  constructor(private readonly opts: RetryJoinerOptions) {
    if (!(opts.intervalMs > 0)) throw new RangeError(`retry interval must be > 0, got ${opts.intervalMs}`);
    if (!Number.isInteger(opts.maxRetries) || opts.maxRetries < 0) throw new RangeError(`bad retry max ${opts.maxRetries}`);
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  get attemptCount(): number {
    return this.attempts;
  }

  start(): void {
    this.opts.logger.info('starting retry join', { servers: this.opts.addrs.join(' ') });
    void this.attempt();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.finish('stopped');
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    this.attempts++;
    let error: unknown;
    try {
      const n = await this.opts.join(this.opts.addrs);
      if (this.stopped) return;
      this.stopped = true;
      this.opts.logger.info('retry join completed', { initial_servers: n, agent_mode: this.opts.agentMode ?? 'server' });
      this.finish('joined');
      return;
    } catch (e) {
      error = e;
    }
    if (this.stopped) return;
    if (this.opts.maxRetries > 0 && this.attempts > this.opts.maxRetries) {
      this.stopped = true;
      this.opts.logger.error('max join retry exhausted, exiting');
      this.finish('exhausted');
      this.opts.onExhausted();
      return;
    }
    this.opts.logger.warn('join failed', { error: error instanceof Error ? error.message : String(error), retry: formatDurationNs(this.opts.intervalMs * 1e6) });
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.attempt();
    }, this.opts.intervalMs);
  }
}
