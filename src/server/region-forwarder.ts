// Requests for another region: the gossip pool holds the servers of every region (Nomad's one
// WAN pool), and a request whose region is not this server's goes to a live server of that
// region, which serves it as its own. The server is picked at random; when it cannot be reached
// (the transport proves nothing was processed) the next one is tried, within a bound, so that a
// region whose servers are all gone fails in seconds with an error that says so.
import { NomadError } from '../structs/errors.js';
import type { Clock, Random } from '../structs/clock.js';
import { provedNotProcessed, type PeerRpc } from './forwarding.js';
import type { Logger } from './logger.js';
import type { ServerMember, ServerMembership } from './server-members.js';
import type { Metrics } from '../structs/metrics.js';

/** Calls and server-to-caller streams to other servers; the RPC pool satisfies it. */
export interface RegionRpc extends PeerRpc {
  stream(addr: string, method: string, args: unknown, opts?: { timeoutMs?: number; signal?: AbortSignal }): AsyncIterable<unknown>;
  /** Both ways at once (an interactive session); absent where the transport has none (simulations). */
  duplex?(addr: string, method: string, args: unknown, data: AsyncIterable<Uint8Array>, opts?: { timeoutMs?: number; signal?: AbortSignal }): AsyncIterable<unknown>;
}

/** Nomad's answer for a region no live server is known of. */
export const NO_REGION_PATH = 'No path to region';

/**
 * No further server of the region is tried once this long has passed since the first attempt:
 * an unreachable server costs at most the RPC pool's connect bound (5 s), so a region whose
 * servers are all gone answers within a few seconds, however many it had.
 */
export const REGION_FAILOVER_BUDGET_MS = 5_000;

export interface RegionForwarderOptions {
  region: string;
  /** Every server of every region; absent on a server that talks to no other (dev mode). */
  membership: ServerMembership | null;
  rpc: RegionRpc | null;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Each request sent to another region counts as Nomad's nomad.rpc.cross-region, by region. */
  metrics?: Metrics;
}

export interface RegionCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class RegionForwarder {
  constructor(private readonly opts: RegionForwarderOptions) {}

  get localRegion(): string {
    return this.opts.region;
  }

  /** The regions with at least one live server, this one always among them, sorted (Nomad's Region.List). */
  regions(): string[] {
    const names = new Set<string>([this.opts.region]);
    if (this.opts.rpc) for (const m of this.opts.membership?.members() ?? []) if (m.status === 'alive' && m.region) names.add(m.region);
    return [...names].sort();
  }

  /** Live servers of a region, as the gossip pool sees them now. */
  serversOf(region: string): ServerMember[] {
    if (!this.opts.rpc) return [];
    return (this.opts.membership?.members() ?? []).filter((m) => m.region === region && m.status === 'alive' && m.rpcAddr !== '');
  }

  /** Runs `method` on a live server of `region`, failing over while servers prove unreachable. */
  async call<T = unknown>(region: string, method: string, args: unknown, opts: RegionCallOptions = {}): Promise<T> {
    const rpc = this.opts.rpc;
    return this.overServers(region, (addr) => rpc!.call<T>(addr, method, args, opts));
  }

  /**
   * The items of a stream served by a live server of `region`. Another server is tried only
   * while nothing came from the first: once an item arrived, a failure ends the stream.
   */
  stream(region: string, method: string, args: unknown, opts: RegionCallOptions = {}): AsyncIterable<unknown> {
    return this.itemsFrom(region, (addr) => this.opts.rpc!.stream(addr, method, args, opts));
  }

  /**
   * A duplex exchange (caller's bytes in, items out) with a live server of `region`. The data is
   * read only once a connection is up, so a server that cannot be reached leaves it for the next.
   */
  duplex(region: string, method: string, args: unknown, data: AsyncIterable<Uint8Array>, opts: RegionCallOptions = {}): AsyncIterable<unknown> {
    const rpc = this.opts.rpc;
    if (rpc && !rpc.duplex) throw new NomadError('internal', `this server's transport cannot carry a session to region "${region}"`);
    return this.itemsFrom(region, (addr) => rpc!.duplex!(addr, method, args, data, opts));
  }

  /** Another server is tried only while nothing came from the first: once an item arrived, a failure ends it. */
  private itemsFrom(region: string, open: (addr: string) => AsyncIterable<unknown>): AsyncIterable<unknown> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        let first: { iterator: AsyncIterator<unknown>; head: IteratorResult<unknown> } | null = null;
        first = await self.overServers(region, async (addr) => {
          const iterator = open(addr)[Symbol.asyncIterator]();
          return { iterator, head: await iterator.next() };
        });
        const { iterator } = first;
        let next = first.head;
        try {
          while (!next.done) {
            yield next.value;
            next = await iterator.next();
          }
        } finally {
          if (!next.done) await iterator.return?.();
        }
      },
    };
  }

  private async overServers<T>(region: string, attempt: (addr: string) => Promise<T>): Promise<T> {
    const servers = this.shuffled(this.serversOf(region));
    if (servers.length === 0) {
      this.opts.logger.warn('no path found to region', { region });
      throw new NomadError('internal', NO_REGION_PATH);
    }
    this.opts.metrics?.incrCounter('nomad.rpc.cross-region', 1, { region });
    const { clock } = this.opts;
    const giveUpAtMs = clock.nowMs() + REGION_FAILOVER_BUDGET_MS;
    const failures: string[] = [];
    for (const s of servers) {
      try {
        return await attempt(s.rpcAddr);
      } catch (e) {
        if (!provedNotProcessed(e)) throw e;
        failures.push(`${s.name} at ${s.rpcAddr}: ${(e as Error).message}`);
        this.opts.logger.debug('server of another region unreachable', { region, server: s.name, error: (e as Error).message });
        if (clock.nowMs() >= giveUpAtMs) break;
      }
    }
    this.opts.logger.warn('no server of the region answered', { region, tried: failures.length });
    throw new NomadError('internal', `Failed to reach region "${region}": no server of the region answered (${failures.join('; ')})`);
  }

  private shuffled(list: ServerMember[]): ServerMember[] {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.opts.random.float() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
