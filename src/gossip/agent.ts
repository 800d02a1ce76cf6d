// The face of the gossip layer for the server agent: Serf-like membership with Nomad's statuses.

import { EventEmitter } from 'node:events';
import { DELEGATE_CUR } from './constants.js';
import { GossipDriver, silentLogger, type DriverCounters, type GossipLogger } from './driver.js';
import { Keyring, KeyringError, type KeyringListing } from './keyring.js';
import type { Rng } from './rng.js';
import type { CoreCounters } from './stats.js';
import { resolveTimings, type GossipTimings, type TimingsProfile } from './timings.js';
import type { Member, MemberEvent, MemberEventType, MemberStatus, Tags } from './types.js';

export interface GossipAgentOptions {
  /** Unique member name (Nomad: "<node name>.<region>"). */
  readonly name: string;
  readonly bindAddr: string;
  /** 0 picks a free port (tests); Nomad's default is 4648. */
  readonly bindPort: number;
  readonly advertiseAddr?: string;
  readonly advertisePort?: number;
  readonly tags?: Tags;
  /** Base64 AES key of 16, 24 or 32 bytes, as Nomad's `encrypt`. Enables encryption. */
  readonly encryptKey?: string;
  /** Timing profile ('lan' by default) with overrides. */
  readonly timingsProfile?: TimingsProfile;
  readonly timings?: Partial<GossipTimings>;
  readonly logger?: GossipLogger;
  /** Randomness for peer selection; Math.random unless a test wants a fixed one. */
  readonly rng?: Rng;
  /** UDP payload budget before encryption overhead (memberlist's UDPBufferSize). */
  readonly udpPayloadBytes?: number;
  /** TCP fallback probes; on by default as in memberlist. */
  readonly tcpFallback?: boolean;
}

export interface GossipStats {
  readonly name: string;
  readonly incarnation: number;
  /** 0 is healthy; up to awarenessMaxMultiplier - 1 when we look slow to ourselves. */
  readonly healthScore: number;
  readonly members: Readonly<Record<MemberStatus, number>>;
  readonly queuedBroadcasts: number;
  readonly droppedBroadcasts: number;
  readonly encrypted: boolean;
  readonly core: Readonly<CoreCounters>;
  readonly transport: Readonly<DriverCounters>;
}

export interface GossipKeyring {
  install(key: string): void;
  use(key: string): void;
  remove(key: string): void;
  list(): KeyringListing;
}

export interface GossipAgentEvents {
  'member-join': [Member, MemberEvent];
  'member-leave': [Member, MemberEvent];
  'member-failed': [Member, MemberEvent];
  'member-update': [Member, MemberEvent];
  'member-reap': [Member, MemberEvent];
}

export class GossipAgent {
  readonly keyring: GossipKeyring;
  private readonly emitter = new EventEmitter();
  private readonly driver: GossipDriver;
  private readonly ring: Keyring;
  private readonly encrypted: boolean;
  private state: 'new' | 'running' | 'left' | 'shutdown' = 'new';

  constructor(opts: GossipAgentOptions) {
    if (typeof opts.name !== 'string' || opts.name.length === 0) throw new RangeError('name is required');
    if (!Number.isInteger(opts.bindPort) || opts.bindPort < 0 || opts.bindPort > 65535) throw new RangeError(`bad bindPort ${opts.bindPort}`);
    const timings = resolveTimings(opts.timings ?? {}, opts.timingsProfile ?? 'lan');
    this.ring = new Keyring(opts.encryptKey === undefined ? [] : [opts.encryptKey]);
    this.encrypted = this.ring.enabled;
    this.keyring = this.keyringOps();
    this.emitter.setMaxListeners(100);
    this.driver = new GossipDriver({
      name: opts.name,
      bindAddr: opts.bindAddr,
      bindPort: opts.bindPort,
      advertiseAddr: opts.advertiseAddr,
      advertisePort: opts.advertisePort,
      tags: opts.tags ?? {},
      timings,
      keyring: this.ring,
      logger: opts.logger ?? silentLogger,
      rng: opts.rng ?? Math.random,
      udpPayloadBytes: opts.udpPayloadBytes,
      tcpFallback: opts.tcpFallback,
      onEvent: (e) => this.emitter.emit(e.type, e.member, e),
    });
  }

  /** The port actually bound (useful with bindPort 0). */
  get port(): number {
    return this.driver.boundPort;
  }

  get name(): string {
    return this.driver.gossipCore.name;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`cannot start a gossip agent that is ${this.state}`);
    await this.driver.start();
    this.state = 'running';
  }

  /** Joins through "host[:port]" addresses; resolves with how many answered, rejects if none. */
  join(addrs: readonly string[]): Promise<number> {
    this.mustRun('join');
    return this.driver.join(addrs);
  }

  /** Graceful leave: others see this member `left`. Resolves once the news has spread (bounded). */
  async leave(): Promise<void> {
    if (this.state !== 'running') return;
    await this.driver.leave();
    this.state = 'left';
  }

  /** Marks a failed member left (Nomad's `server force-leave`). False if it is not failed. */
  forceLeave(name: string): boolean {
    this.mustRun('force-leave');
    return this.driver.withCore((c, t) => c.forceLeave(t, name));
  }

  members(): Member[] {
    if (this.state === 'new') return [];
    return this.driver.gossipCore.members();
  }

  localMember(): Member {
    const m = this.driver.gossipCore.member(this.driver.gossipCore.name);
    if (m === undefined) throw new Error('invariant: local member missing');
    return m;
  }

  /** Replaces this member's tags and spreads them. */
  setTags(tags: Tags): void {
    this.mustRun('set tags');
    this.driver.withCore((c, t) => c.setTags(t, tags));
  }

  on<E extends MemberEventType>(event: E, listener: (...args: GossipAgentEvents[E]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends MemberEventType>(event: E, listener: (...args: GossipAgentEvents[E]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  stats(): GossipStats {
    const core = this.driver.gossipCore;
    const members: Record<MemberStatus, number> = { alive: 0, suspect: 0, failed: 0, left: 0, leaving: 0 };
    for (const m of core.members()) members[m.status]++;
    return {
      name: core.name,
      incarnation: core.incarnation,
      healthScore: core.healthScore,
      members,
      queuedBroadcasts: core.queuedBroadcasts,
      droppedBroadcasts: core.droppedBroadcasts,
      encrypted: this.encrypted,
      core: { ...core.counters },
      transport: { ...this.driver.counters },
    };
  }

  /** Stops without leaving: to others this looks like a crash (they will mark us failed). */
  async shutdown(): Promise<void> {
    if (this.state === 'shutdown') return;
    this.state = 'shutdown';
    await this.driver.shutdown();
  }

  /** The delegate protocol version this build speaks (Serf's tag protocol). */
  static readonly delegateVersion = DELEGATE_CUR;

  private mustRun(what: string): void {
    if (this.state !== 'running') throw new Error(`cannot ${what}: gossip agent is ${this.state}`);
  }

  private keyringOps(): GossipKeyring {
    const guard = (): void => {
      if (!this.encrypted) throw new KeyringError('keyring operations are unavailable: gossip encryption is not enabled');
    };
    return {
      install: (key) => (guard(), this.ring.install(key)),
      use: (key) => (guard(), this.ring.use(key)),
      remove: (key) => (guard(), this.ring.remove(key)),
      list: () => (guard(), this.ring.list()),
    };
  }
}
