// The SWIM/Lifeguard protocol machine. Pure: it is fed the time, packets and user requests, and
// it answers with packets to send and member events. No clock, no sockets, no Math.random, so
// the simulation can run hundreds of members in one process and replay any seed exactly.

import { Awareness } from './awareness.js';
import { BroadcastQueue, retransmitLimit } from './broadcast-queue.js';
import {
  CodecError,
  compoundBytes,
  decodeMessage,
  decodePacket,
  encodeCompound,
  encodedTagsBytes,
  encodeMessage,
  type AliveMsg,
  type DeadMsg,
  type ForceLeaveMsg,
  type IndirectPingMsg,
  type Message,
  type PushNodeState,
  type SuspectMsg,
} from './codec.js';
import {
  COMPOUND_HEADER_BYTES,
  COMPOUND_PART_OVERHEAD_BYTES,
  DELEGATE_CUR,
  DELEGATE_MAX,
  DELEGATE_MIN,
  MAX_COMPOUND_PARTS,
  MAX_META_BYTES,
  MsgType,
  PROTOCOL_CUR,
  PROTOCOL_MAX,
  PROTOCOL_MIN,
} from './constants.js';
import { sameTags, statusOf, toMember, type NodeRecord } from './node-record.js';
import { kRandom, randomInt, shuffle, type Rng } from './rng.js';
import { newCounters, type CoreCounters } from './stats.js';
import { Suspicion, suspicionBounds } from './suspicion.js';
import type { GossipTimings } from './timings.js';
import type { Address, Member, MemberEvent, MemberEventType, NodeState, Tags, VersionVector } from './types.js';

export interface CoreConfig {
  readonly name: string;
  readonly advertise: Address;
  readonly tags: Tags;
  readonly timings: GossipTimings;
  readonly rng: Rng;
  readonly startMs: number;
  /** Plaintext budget of one UDP packet (the driver subtracts encryption overhead). */
  readonly maxPacketBytes: number;
  /** memberlist's TCP fallback probe; on unless a network forbids TCP between members. */
  readonly tcpFallback?: boolean;
  readonly maxMembers?: number;
  readonly maxBroadcasts?: number;
  readonly maxPendingRelays?: number;
  readonly maxPendingEvents?: number;
  readonly maxPendingOutputs?: number;
}

export type CoreOutput =
  | { readonly kind: 'udp'; readonly to: Address; readonly bytes: Uint8Array }
  /** Send `bytes` (a ping) over TCP, expect an ack, report with `tcpPingResult(seq, ok)`. */
  | { readonly kind: 'tcp-ping'; readonly seq: number; readonly to: Address; readonly bytes: Uint8Array; readonly deadlineMs: number }
  /** Send `bytes` over TCP, feed the answer to `mergePushPull`. */
  | { readonly kind: 'push-pull'; readonly to: Address; readonly bytes: Uint8Array };

interface Probe {
  readonly seq: number;
  readonly target: NodeRecord;
  /** The target's incarnation and address when the probe started: a failed probe accuses only these. */
  readonly incarnation: number;
  readonly addr: string;
  readonly port: number;
  phase: 'direct' | 'indirect';
  readonly directDeadlineMs: number;
  readonly endDeadlineMs: number;
  expectedNacks: number;
  nacks: number;
}

interface Relay {
  readonly originSeq: number;
  readonly origin: Address;
  readonly nack: boolean;
  readonly deadlineMs: number;
}

const VSN: VersionVector = [PROTOCOL_MIN, PROTOCOL_MAX, PROTOCOL_CUR, DELEGATE_MIN, DELEGATE_MAX, DELEGATE_CUR];
/** Above this many members the push-pull interval grows with log2(n), as memberlist does. */
const PUSH_PULL_SCALE_THRESHOLD = 32;

export class GossipCore {
  readonly name: string;
  readonly counters: CoreCounters = newCounters();

  private readonly t: GossipTimings;
  private readonly rng: Rng;
  private readonly tcpFallback: boolean;
  private readonly maxMembers: number;
  private readonly maxPendingRelays: number;
  private readonly maxPendingEvents: number;
  private readonly maxPendingOutputs: number;
  private readonly maxPacketBytes: number;

  private nowMs: number;
  private readonly self: NodeRecord;
  private readonly nodes = new Map<string, NodeRecord>();
  /** Same records as `nodes`, as an array for random choice. */
  private readonly nodeList: NodeRecord[] = [];
  private readonly countByState: Record<NodeState, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };
  private probeOrder: NodeRecord[] = [];
  private probeIndex = 0;

  private readonly broadcasts: BroadcastQueue;
  private readonly awareness: Awareness;
  private readonly suspicions = new Map<string, Suspicion>();
  private readonly relays = new Map<number, Relay>();
  private probe: Probe | null = null;
  private seq = 0;

  private nextProbeAtMs: number;
  private nextGossipAtMs: number;
  private nextPushPullAtMs: number;
  private nextReconnectAtMs: number;
  private nextReapAtMs: number;

  /**
   * A peer's ping said it counts more live members than we do. Gossip has a long tail: a rumor
   * sent its full retransmit budget can still miss a member, and the periodic push-pull comes
   * only every 30-60 s. If we are still behind a while later, we pull that peer's state.
   */
  private behind: { sinceMs: number; peer: Address; live: number } | null = null;
  private nextRepairAtMs: number;

  private leaving = false;
  private leavePropagated = false;
  private stopped = false;

  private outputs: CoreOutput[] = [];
  private events: MemberEvent[] = [];

  constructor(cfg: CoreConfig) {
    if (cfg.name.length === 0) throw new RangeError('member name must not be empty');
    if (cfg.maxPacketBytes < 512) throw new RangeError('maxPacketBytes must be >= 512');
    checkTagsSize(cfg.tags);
    this.name = cfg.name;
    this.t = cfg.timings;
    this.rng = cfg.rng;
    this.tcpFallback = cfg.tcpFallback ?? true;
    this.maxMembers = cfg.maxMembers ?? 10_000;
    this.maxPendingRelays = cfg.maxPendingRelays ?? 512;
    this.maxPendingEvents = cfg.maxPendingEvents ?? 10_000;
    this.maxPendingOutputs = cfg.maxPendingOutputs ?? 10_000;
    this.maxPacketBytes = cfg.maxPacketBytes;
    this.broadcasts = new BroadcastQueue(cfg.maxBroadcasts ?? 4096);
    this.awareness = new Awareness(this.t.awarenessMaxMultiplier);
    this.nowMs = cfg.startMs;

    this.self = {
      name: cfg.name,
      addr: cfg.advertise.addr,
      port: cfg.advertise.port,
      meta: Object.freeze({ ...cfg.tags }),
      incarnation: 0,
      state: 'alive',
      stateChangeMs: cfg.startMs,
      vsn: VSN,
    };
    this.addRecord(this.self);
    this.emit('member-join', this.self);

    // Spread the periodic work of many members started together over one interval.
    const start = cfg.startMs;
    this.nextProbeAtMs = start + randomInt(this.rng, this.t.probeIntervalMs);
    this.nextGossipAtMs = start + randomInt(this.rng, this.t.gossipIntervalMs);
    this.nextPushPullAtMs = start + this.t.pushPullIntervalMs + randomInt(this.rng, Math.max(1, this.t.pushPullIntervalMs));
    this.nextReconnectAtMs = start + this.t.reconnectIntervalMs;
    this.nextReapAtMs = start + this.t.reapIntervalMs;
    this.nextRepairAtMs = start;
  }

  // --- outputs ------------------------------------------------------------------------------

  drainOutputs(): CoreOutput[] {
    const out = this.outputs;
    this.outputs = [];
    return out;
  }

  drainEvents(): MemberEvent[] {
    const ev = this.events;
    this.events = [];
    return ev;
  }

  /** The earliest time at which `tick` has work to do. */
  nextDeadlineMs(): number {
    if (this.stopped) return Infinity;
    let d = Math.min(this.nextGossipAtMs, this.nextReapAtMs);
    if (!this.leaving) d = Math.min(d, this.nextProbeAtMs, this.nextPushPullAtMs, this.nextReconnectAtMs);
    if (!this.leaving && this.behind !== null) d = Math.min(d, Math.max(this.behind.sinceMs + this.repairDelayMs(), this.nextRepairAtMs));
    const p = this.probe;
    if (p !== null) d = Math.min(d, p.phase === 'direct' ? p.directDeadlineMs : p.endDeadlineMs);
    for (const r of this.relays.values()) d = Math.min(d, r.deadlineMs);
    for (const s of this.suspicions.values()) d = Math.min(d, s.deadlineMs);
    return d;
  }

  // --- queries ------------------------------------------------------------------------------

  members(): Member[] {
    return this.nodeList.map((r) => this.memberOf(r));
  }

  member(name: string): Member | undefined {
    const r = this.nodes.get(name);
    return r === undefined ? undefined : this.memberOf(r);
  }

  get healthScore(): number {
    return this.awareness.score;
  }

  get incarnation(): number {
    return this.self.incarnation;
  }

  get queuedBroadcasts(): number {
    return this.broadcasts.size;
  }

  get droppedBroadcasts(): number {
    return this.broadcasts.droppedCount;
  }

  get isLeaving(): boolean {
    return this.leaving;
  }

  /** True once our leave rumor has been sent as often as any rumor is (or there is no one to tell). */
  get isLeavePropagated(): boolean {
    return this.leavePropagated;
  }

  countOf(state: NodeState): number {
    return this.countByState[state];
  }

  // --- user requests ------------------------------------------------------------------------

  /** Our full state, to send in a join or push-pull request over TCP. */
  localState(join: boolean): Uint8Array {
    const states: PushNodeState[] = this.nodeList.map((r) => ({
      name: r.name,
      addr: r.addr,
      port: r.port,
      meta: r.meta,
      inc: r.incarnation,
      state: r === this.self && this.leavePropagated ? 'left' : r.state,
      vsn: r.vsn,
    }));
    return encodeMessage({ type: MsgType.PushPull, join, from: this.name, states });
  }

  setTags(nowMs: number, tags: Tags): void {
    this.advance(nowMs);
    checkTagsSize(tags);
    if (this.leaving) throw new Error('cannot update tags while leaving');
    this.self.meta = Object.freeze({ ...tags });
    this.self.incarnation++;
    this.broadcastAlive(this.self);
    this.emit('member-update', this.self);
  }

  /** Starts a graceful leave: others will see us `left`, never `failed`. */
  leave(nowMs: number): void {
    this.advance(nowMs);
    if (this.leaving) return;
    this.leaving = true;
    this.probe = null;
    const msg: DeadMsg = { type: MsgType.Dead, inc: this.self.incarnation, node: this.name, from: this.name };
    const bytes = encodeMessage(msg);
    const peers = this.countByState.alive + this.countByState.suspect - 1;
    if (peers <= 0) {
      this.leavePropagated = true;
      return;
    }
    this.broadcasts.enqueue(this.name, bytes, () => {
      this.leavePropagated = true;
    });
    // Tell a few members right away rather than waiting for the next gossip round.
    const direct = kRandom(this.rng, this.nodeList, this.t.gossipNodes, (r) => r !== this.self && (r.state === 'alive' || r.state === 'suspect'));
    for (const r of direct) this.sendPacket(r, [bytes], false);
  }

  /** Moves a failed member to left, as Serf's force-leave does. False if it is not failed. */
  forceLeave(nowMs: number, name: string): boolean {
    this.advance(nowMs);
    const r = this.nodes.get(name);
    if (r === undefined || r === this.self || r.state !== 'dead') return false;
    this.onForceLeave({ type: MsgType.ForceLeave, inc: r.incarnation, node: name, from: this.name });
    return true;
  }

  /**
   * Adopts a membership without gossiping it or raising events: for a member restored from a
   * saved state, or a simulation that starts from an already converged cluster.
   */
  seedState(nowMs: number, bytes: Uint8Array): boolean {
    const ok = this.mergePushPull(nowMs, bytes);
    this.broadcasts.clear();
    this.events = [];
    return ok;
  }

  /** Stops all activity; a stopped core is as good as a crashed process. */
  stop(): void {
    this.stopped = true;
    this.broadcasts.clear();
    this.outputs = [];
  }

  // --- network inputs -----------------------------------------------------------------------

  receivePacket(nowMs: number, from: Address, bytes: Uint8Array): void {
    if (this.stopped) return;
    this.advance(nowMs);
    this.counters.packetsIn++;
    this.counters.bytesIn += bytes.length;
    let msgs: Message[];
    try {
      msgs = decodePacket(bytes);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      this.counters.badPackets++;
      return;
    }
    for (const m of msgs) this.handleMessage(m, from);
  }

  /** The message a stream carried, or null (counted as a bad packet) when it does not decode. */
  private decodeStream(bytes: Uint8Array): Message | null {
    try {
      return decodeMessage(bytes);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      this.counters.badPackets++;
      return null;
    }
  }

  /** Serves one TCP request (push-pull or fallback ping). Returns the answer, or null to close. */
  handleStream(nowMs: number, bytes: Uint8Array): Uint8Array | null {
    if (this.stopped) return null;
    this.advance(nowMs);
    const msg = this.decodeStream(bytes);
    if (msg === null) return null;
    if (msg.type === MsgType.Ping) {
      if (msg.node !== '' && msg.node !== this.name) {
        this.counters.ignoredMessages++;
        return null;
      }
      return encodeMessage({ type: MsgType.Ack, seq: msg.seq });
    }
    if (msg.type === MsgType.PushPull) {
      this.counters.pushPulls++;
      // Merge before answering: if the caller thinks we are dead, our answer carries the refutation.
      this.mergeStates(msg.states, msg.from);
      return this.localState(false);
    }
    this.counters.ignoredMessages++;
    return null;
  }

  /** The answer to a push-pull or join request we sent. False if it was not a valid state. */
  mergePushPull(nowMs: number, bytes: Uint8Array): boolean {
    if (this.stopped) return false;
    this.advance(nowMs);
    const msg = this.decodeStream(bytes);
    if (msg === null) return false;
    if (msg.type !== MsgType.PushPull) {
      this.counters.badPackets++;
      return false;
    }
    this.counters.pushPulls++;
    this.mergeStates(msg.states, msg.from);
    return true;
  }

  /** The outcome of a `tcp-ping` output: the answer's bytes, or null if the exchange failed. */
  tcpPingResult(nowMs: number, seq: number, answer: Uint8Array | null): void {
    if (this.stopped) return;
    this.advance(nowMs);
    const p = this.probe;
    if (p === null || p.seq !== seq || answer === null) return;
    let msg: Message;
    try {
      msg = decodeMessage(answer);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      this.counters.badPackets++;
      return;
    }
    if (msg.type !== MsgType.Ack || msg.seq !== seq) return;
    this.counters.tcpFallbackSuccesses++;
    this.finishProbe(true);
  }

  // --- time ---------------------------------------------------------------------------------

  tick(nowMs: number): void {
    if (this.stopped) return;
    this.advance(nowMs);
    const now = this.nowMs;

    for (const [name, s] of this.suspicions) {
      if (s.deadlineMs > now) continue;
      this.suspicions.delete(name);
      const r = this.nodes.get(name);
      if (r !== undefined && r.state === 'suspect' && r.incarnation === s.incarnation) {
        this.onDead({ type: MsgType.Dead, inc: s.incarnation, node: name, from: this.name });
      }
    }

    for (const [seq, r] of this.relays) {
      if (r.deadlineMs > now) continue;
      this.relays.delete(seq);
      if (r.nack) this.sendTo(r.origin, [encodeMessage({ type: MsgType.Nack, seq: r.originSeq })], true);
    }

    const p = this.probe;
    if (p !== null) {
      if (p.phase === 'direct' && now >= p.directDeadlineMs) this.startIndirect(p);
      if (now >= p.endDeadlineMs) this.finishProbe(false);
    }

    if (!this.leaving && now >= this.nextProbeAtMs) {
      // A probe still running past the interval (health-scaled) finishes first, as a ticker would skip.
      if (this.probe === null) this.startProbe();
      this.recheckSuspect();
      this.nextProbeAtMs = now + this.awareness.scaleMs(this.t.probeIntervalMs);
    }

    if (now >= this.nextGossipAtMs) {
      this.gossip();
      this.nextGossipAtMs = now + this.t.gossipIntervalMs;
    }

    if (!this.leaving && now >= this.nextPushPullAtMs) {
      this.pushPullRandom();
      this.nextPushPullAtMs = now + this.pushPullIntervalMs();
    }

    if (!this.leaving) this.repairIfBehind();

    if (!this.leaving && now >= this.nextReconnectAtMs) {
      this.reconnect();
      this.nextReconnectAtMs = now + this.t.reconnectIntervalMs;
    }

    if (now >= this.nextReapAtMs) {
      this.reap();
      this.nextReapAtMs = now + this.t.reapIntervalMs;
    }
  }

  // --- failure detection --------------------------------------------------------------------

  private startProbe(): void {
    const target = this.nextProbeTarget();
    if (target === null) return;
    const seq = this.nextSeq();
    const now = this.nowMs;
    this.counters.probes++;
    this.probe = {
      seq,
      target,
      incarnation: target.incarnation,
      addr: target.addr,
      port: target.port,
      phase: 'direct',
      directDeadlineMs: now + this.t.probeTimeoutMs,
      endDeadlineMs: now + this.awareness.scaleMs(this.t.probeIntervalMs),
      expectedNacks: 0,
      nacks: 0,
    };
    const parts = [encodeMessage({ type: MsgType.Ping, seq, node: target.name, from: this.name, live: this.liveCount() })];
    // A suspect target hears the accusation with the ping, so it can refute at once.
    if (target.state === 'suspect') {
      parts.push(encodeMessage({ type: MsgType.Suspect, inc: target.incarnation, node: target.name, from: this.name }));
    }
    this.sendPacket(target, parts, true);
  }

  /**
   * Round-robin may not come back to a suspect before its timer runs out, and a refutation that
   * missed us (lossy link) would then turn into a false failure. So each period one suspect also
   * gets a ping carrying the accusation: its answer piggybacks the refutation if there is one.
   * No ack is awaited; this only shortens the way for news, it never accuses.
   */
  private recheckSuspect(): void {
    if (this.suspicions.size === 0) return;
    const names = [...this.suspicions.keys()];
    const r = this.nodes.get(names[randomInt(this.rng, names.length)]!);
    if (r === undefined || r.state !== 'suspect' || r === this.probe?.target) return;
    this.sendPacket(r, [
      encodeMessage({ type: MsgType.Ping, seq: this.nextSeq(), node: r.name, from: this.name, live: this.liveCount() }),
      encodeMessage({ type: MsgType.Suspect, inc: r.incarnation, node: r.name, from: this.name }),
    ], true);
  }

  /** Randomized round-robin: every member is probed once per pass, in a fresh order each pass. */
  private nextProbeTarget(): NodeRecord | null {
    for (let checked = 0; checked <= this.probeOrder.length; checked++) {
      if (this.probeIndex >= this.probeOrder.length) {
        this.probeOrder = shuffle(this.rng, this.nodeList.slice());
        this.probeIndex = 0;
        if (this.probeOrder.length === 0) return null;
      }
      const r = this.probeOrder[this.probeIndex++]!;
      if (r === this.self || this.nodes.get(r.name) !== r) continue;
      if (r.state === 'alive' || r.state === 'suspect') return r;
    }
    return null;
  }

  private startIndirect(p: Probe): void {
    p.phase = 'indirect';
    const target = p.target;
    const intermediaries = kRandom(this.rng, this.nodeList, this.t.indirectChecks, (r) => r !== this.self && r !== target && r.state === 'alive');
    const req: IndirectPingMsg = { type: MsgType.IndirectPing, seq: p.seq, node: target.name, addr: target.addr, port: target.port, nack: true };
    const bytes = encodeMessage(req);
    for (const h of intermediaries) {
      this.counters.indirectProbes++;
      p.expectedNacks++;
      this.sendPacket(h, [bytes], true);
    }
    if (this.tcpFallback) {
      const ping = encodeMessage({ type: MsgType.Ping, seq: p.seq, node: target.name, from: this.name });
      this.pushOutput({ kind: 'tcp-ping', seq: p.seq, to: addressOf(target), bytes: ping, deadlineMs: p.endDeadlineMs });
    }
  }

  private finishProbe(success: boolean): void {
    const p = this.probe;
    if (p === null) return;
    this.probe = null;
    if (success) {
      this.awareness.applyDelta(-1);
      return;
    }
    this.counters.probeFailures++;
    // Lifeguard: intermediaries that did not even nack point at our own slowness, not the target's.
    this.awareness.applyDelta(p.expectedNacks > 0 ? Math.max(0, p.expectedNacks - p.nacks) : 1);
    const target = p.target;
    if (this.nodes.get(target.name) !== target || (target.state !== 'alive' && target.state !== 'suspect')) return;
    // A probe can outlive what it probed: stretched by a poor health score it lasts up to several
    // periods, in which the target may have been declared dead, left and come back (a restarted
    // process, a new incarnation, maybe a new address). The silence we measured belongs to the
    // incarnation we pinged, never to its successor (memberlist accuses the probed copy's
    // incarnation, and a suspicion older than the record is ignored).
    if (target.incarnation !== p.incarnation || target.addr !== p.addr || target.port !== p.port) {
      this.counters.staleProbesDropped++;
      return;
    }
    this.onSuspect({ type: MsgType.Suspect, inc: p.incarnation, node: target.name, from: this.name });
  }

  // --- message handling ---------------------------------------------------------------------

  private handleMessage(m: Message, from: Address): void {
    switch (m.type) {
      case MsgType.Ping:
        if (m.node !== '' && m.node !== this.name) {
          // Meant for a previous owner of this address: answering would vouch for the wrong member.
          this.counters.ignoredMessages++;
          return;
        }
        this.sendTo(from, [encodeMessage({ type: MsgType.Ack, seq: m.seq })], true);
        if (m.live !== undefined) this.notePeerLive(from, m.live);
        return;
      case MsgType.IndirectPing:
        this.relayPing(m, from);
        return;
      case MsgType.Ack:
        this.onAck(m.seq);
        return;
      case MsgType.Nack:
        if (this.probe !== null && this.probe.seq === m.seq) this.probe.nacks++;
        return;
      case MsgType.Suspect:
        this.counters.suspectMessages++;
        this.onSuspect(m);
        return;
      case MsgType.Alive:
        this.counters.aliveMessages++;
        this.onAlive(m);
        return;
      case MsgType.Dead:
        this.counters.deadMessages++;
        this.onDead(m);
        return;
      case MsgType.ForceLeave:
        this.onForceLeave(m);
        return;
      case MsgType.PushPull:
        // Full state only travels over TCP.
        this.counters.ignoredMessages++;
        return;
    }
  }

  private relayPing(m: IndirectPingMsg, from: Address): void {
    if (this.relays.size >= this.maxPendingRelays) {
      this.counters.relaysRejectedFull++;
      return;
    }
    const seq = this.nextSeq();
    this.relays.set(seq, { originSeq: m.seq, origin: from, nack: m.nack, deadlineMs: this.nowMs + this.t.probeTimeoutMs });
    this.sendTo({ addr: m.addr, port: m.port }, [encodeMessage({ type: MsgType.Ping, seq, node: m.node, from: this.name, live: this.liveCount() })], true);
  }

  private onAck(seq: number): void {
    if (this.probe !== null && this.probe.seq === seq) {
      this.finishProbe(true);
      return;
    }
    const relay = this.relays.get(seq);
    if (relay !== undefined) {
      this.relays.delete(seq);
      this.sendTo(relay.origin, [encodeMessage({ type: MsgType.Ack, seq: relay.originSeq })], true);
    }
  }

  private onSuspect(m: SuspectMsg): void {
    const r = this.nodes.get(m.node);
    if (r === undefined) return;
    if (m.inc < r.incarnation) {
      if (r === this.self) this.answerStaleAccusation();
      return;
    }
    if (r === this.self) {
      if (!this.leaving) this.refute(m.inc);
      return;
    }
    const existing = this.suspicions.get(m.node);
    if (existing !== undefined && r.state === 'suspect') {
      if (m.inc === existing.incarnation && existing.confirm(m.from)) this.broadcasts.enqueue(m.node, encodeMessage(m));
      return;
    }
    if (r.state !== 'alive') return;
    this.counters.suspicionsStarted++;
    r.incarnation = m.inc;
    this.setState(r, 'suspect');
    const alive = this.countByState.alive + this.countByState.suspect;
    const bounds = suspicionBounds(this.t.suspicionMult, this.t.suspicionMaxTimeoutMult, this.t.probeIntervalMs, alive);
    this.suspicions.set(r.name, new Suspicion(m.inc, this.nowMs, bounds, m.from));
    this.broadcasts.enqueue(r.name, encodeMessage(m));
  }

  private onAlive(m: AliveMsg): void {
    if (m.node === this.name) {
      // Our own rumor coming back is harmless; anything else claiming our name must be outvoted.
      if (this.leaving || m.inc < this.self.incarnation) return;
      if (m.inc === this.self.incarnation && sameTags(m.meta, this.self.meta) && m.addr === this.self.addr && m.port === this.self.port) return;
      this.refute(m.inc);
      return;
    }
    let r = this.nodes.get(m.node);
    if (r === undefined) {
      if (this.nodeList.length >= this.maxMembers) {
        this.counters.membersRejectedFull++;
        return;
      }
      r = { name: m.node, addr: m.addr, port: m.port, meta: m.meta, incarnation: m.inc, state: 'alive', stateChangeMs: this.nowMs, vsn: m.vsn };
      this.addRecord(r);
      // Insert at a random place so that a new member is not probed by everyone at once.
      this.probeOrder.splice(this.probeIndex + randomInt(this.rng, this.probeOrder.length - this.probeIndex + 1), 0, r);
      this.broadcasts.enqueue(r.name, encodeMessage(m));
      this.emit('member-join', r);
      return;
    }
    const moved = r.addr !== m.addr || r.port !== m.port;
    if (moved) {
      const reclaimable = r.state === 'left' || (r.state === 'dead' && this.nowMs - r.stateChangeMs >= this.t.deadNodeReclaimMs);
      if (!reclaimable) {
        this.counters.ignoredMessages++;
        return;
      }
    } else if (m.inc <= r.incarnation) {
      return;
    }
    const wasDown = r.state === 'dead' || r.state === 'left';
    const tagsChanged = !sameTags(r.meta, m.meta);
    this.suspicions.delete(r.name);
    r.addr = m.addr;
    r.port = m.port;
    r.meta = m.meta;
    r.vsn = m.vsn;
    r.incarnation = m.inc;
    if (r.state !== 'alive') this.setState(r, 'alive');
    this.broadcasts.enqueue(r.name, encodeMessage(m));
    if (wasDown) this.emit('member-join', r);
    else if (tagsChanged || moved) this.emit('member-update', r);
  }

  private onDead(m: DeadMsg): void {
    const r = this.nodes.get(m.node);
    if (r === undefined) return;
    if (m.inc < r.incarnation) {
      if (r === this.self) this.answerStaleAccusation();
      return;
    }
    if (r.state === 'dead' || r.state === 'left') return;
    if (r === this.self) {
      if (!this.leaving) this.refute(m.inc);
      return;
    }
    this.suspicions.delete(r.name);
    r.incarnation = m.inc;
    const left = m.from === m.node;
    this.setState(r, left ? 'left' : 'dead');
    this.broadcasts.enqueue(r.name, encodeMessage(m));
    this.emit(left ? 'member-leave' : 'member-failed', r);
  }

  private onForceLeave(m: ForceLeaveMsg): void {
    const r = this.nodes.get(m.node);
    if (r === undefined || m.inc < r.incarnation) return;
    if (r === this.self) {
      if (!this.leaving) this.refute(m.inc);
      return;
    }
    if (r.state !== 'dead') return;
    r.incarnation = m.inc;
    this.setState(r, 'left');
    this.broadcasts.enqueue(r.name, encodeMessage(m));
    this.emit('member-leave', r);
  }

  /** Anti-entropy merge, with memberlist's caution: remote "dead" only counts as a suspicion. */
  private mergeStates(states: readonly PushNodeState[], from: string): void {
    for (const s of states) {
      switch (s.state) {
        case 'alive':
          this.onAlive({ type: MsgType.Alive, inc: s.inc, node: s.name, addr: s.addr, port: s.port, meta: s.meta, vsn: s.vsn });
          break;
        case 'left': {
          const local = this.nodes.get(s.name);
          if (local !== undefined && local.state === 'dead' && local !== this.self) {
            this.onForceLeave({ type: MsgType.ForceLeave, inc: s.inc, node: s.name, from });
          } else {
            this.onDead({ type: MsgType.Dead, inc: s.inc, node: s.name, from: s.name });
          }
          break;
        }
        case 'suspect':
        case 'dead':
          this.onSuspect({ type: MsgType.Suspect, inc: s.inc, node: s.name, from });
          break;
      }
    }
  }

  private liveCount(): number {
    return this.countByState.alive + this.countByState.suspect;
  }

  /** Two probe periods: news that reaches members normally spreads well within that. */
  private repairDelayMs(): number {
    return 2 * this.t.probeIntervalMs;
  }

  private notePeerLive(from: Address, live: number): void {
    if (live <= this.liveCount()) return;
    if (this.behind === null) this.behind = { sinceMs: this.nowMs, peer: from, live };
    else if (live >= this.behind.live) this.behind = { sinceMs: this.behind.sinceMs, peer: from, live };
  }

  /**
   * Pulls the state of a peer that knows more live members than we do, once the gap has lasted
   * longer than gossip needs to close it. At most one such exchange per repair delay.
   */
  private repairIfBehind(): void {
    const b = this.behind;
    if (b === null) return;
    if (this.liveCount() >= b.live) {
      this.behind = null;
      return;
    }
    const now = this.nowMs;
    if (now < b.sinceMs + this.repairDelayMs() || now < this.nextRepairAtMs) return;
    this.behind = null;
    this.nextRepairAtMs = now + this.repairDelayMs();
    this.counters.behindRepairs++;
    this.pushOutput({ kind: 'push-pull', to: b.peer, bytes: this.localState(false) });
  }

  private refute(accusedInc: number): void {
    this.counters.refutations++;
    this.self.incarnation = Math.max(this.self.incarnation, accusedInc) + 1;
    this.broadcastAlive(this.self);
    // Being accused suggests we are the slow one (Lifeguard).
    this.awareness.applyDelta(1);
  }

  /**
   * Someone still accuses an incarnation we already refuted: our refutation missed them (late
   * rumor, lossy link). Repeat it, so it rides back on our next packets, e.g. the ack to their
   * ping. No new incarnation and no health penalty: the accusation is already answered.
   */
  private answerStaleAccusation(): void {
    if (this.leaving) return;
    this.counters.staleAccusationsAnswered++;
    this.broadcastAlive(this.self);
  }

  private broadcastAlive(r: NodeRecord): void {
    const msg: AliveMsg = { type: MsgType.Alive, inc: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn };
    this.broadcasts.enqueue(r.name, encodeMessage(msg));
  }

  // --- dissemination ------------------------------------------------------------------------

  private gossip(): void {
    if (this.broadcasts.size === 0) return;
    const now = this.nowMs;
    const targets = kRandom(this.rng, this.nodeList, this.t.gossipNodes, (r) => {
      if (r === this.self) return false;
      if (r.state === 'alive' || r.state === 'suspect') return true;
      // A member marked dead still hears rumors for a while, so it can learn it must refute.
      return r.state === 'dead' && now - r.stateChangeMs <= this.t.gossipToTheDeadMs;
    });
    for (const r of targets) {
      const parts = this.takeBroadcasts(0);
      if (parts.length === 0) return;
      this.sendTo(addressOf(r), parts, false);
    }
  }

  private pushPullRandom(): void {
    const [peer] = kRandom(this.rng, this.nodeList, 1, (r) => r !== this.self && r.state === 'alive');
    if (peer === undefined) return;
    this.pushOutput({ kind: 'push-pull', to: addressOf(peer), bytes: this.localState(false) });
  }

  /** Serf's reconnect: try one failed member, more eagerly when many have failed. */
  private reconnect(): void {
    const failed = this.countByState.dead;
    if (failed === 0) return;
    const alive = Math.max(1, this.countByState.alive + this.countByState.suspect);
    if (this.rng() > failed / alive) return;
    const [peer] = kRandom(this.rng, this.nodeList, 1, (r) => r.state === 'dead');
    if (peer === undefined) return;
    this.pushOutput({ kind: 'push-pull', to: addressOf(peer), bytes: this.localState(false) });
  }

  private reap(): void {
    const now = this.nowMs;
    const victims = this.nodeList.filter(
      (r) =>
        r !== this.self &&
        ((r.state === 'dead' && now - r.stateChangeMs >= this.t.reconnectTimeoutMs) ||
          (r.state === 'left' && now - r.stateChangeMs >= this.t.tombstoneTimeoutMs)),
    );
    for (const r of victims) {
      this.removeRecord(r);
      this.emit('member-reap', r);
    }
  }

  private pushPullIntervalMs(): number {
    const n = this.countByState.alive + this.countByState.suspect;
    if (n <= PUSH_PULL_SCALE_THRESHOLD) return this.t.pushPullIntervalMs;
    const mult = Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
    return this.t.pushPullIntervalMs * mult;
  }

  private takeBroadcasts(usedBytes: number): Uint8Array[] {
    const limit = retransmitLimit(this.t.retransmitMult, this.countByState.alive + this.countByState.suspect + this.countByState.dead);
    const room = this.maxPacketBytes - COMPOUND_HEADER_BYTES - usedBytes;
    return this.broadcasts.take(COMPOUND_PART_OVERHEAD_BYTES, room, limit).slice(0, MAX_COMPOUND_PARTS);
  }

  private sendPacket(r: NodeRecord, parts: Uint8Array[], piggyback: boolean): void {
    this.sendTo(addressOf(r), parts, piggyback);
  }

  /** Sends `parts` as one packet, filling the rest of the UDP budget with queued rumors. */
  private sendTo(to: Address, parts: Uint8Array[], piggyback: boolean): void {
    let all = parts;
    if (piggyback) {
      const used = compoundBytes(parts) - COMPOUND_HEADER_BYTES;
      const extra = this.takeBroadcasts(used);
      if (extra.length > 0) all = parts.concat(extra.slice(0, MAX_COMPOUND_PARTS - parts.length));
    }
    const bytes = all.length === 1 ? all[0]! : encodeCompound(all);
    if (bytes.length > this.maxPacketBytes) throw new Error(`invariant: packet of ${bytes.length} bytes over budget ${this.maxPacketBytes}`);
    this.counters.packetsOut++;
    this.counters.bytesOut += bytes.length;
    this.pushOutput({ kind: 'udp', to, bytes });
  }

  // --- bookkeeping --------------------------------------------------------------------------

  private advance(nowMs: number): void {
    // Time never goes back: a driver whose clock jumps must not re-run expired timers.
    if (nowMs > this.nowMs) this.nowMs = nowMs;
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) % 0x7fffffff;
    return this.seq;
  }

  private addRecord(r: NodeRecord): void {
    this.nodes.set(r.name, r);
    this.nodeList.push(r);
    this.countByState[r.state]++;
  }

  private removeRecord(r: NodeRecord): void {
    this.nodes.delete(r.name);
    const i = this.nodeList.indexOf(r);
    if (i >= 0) this.nodeList.splice(i, 1);
    this.countByState[r.state]--;
    this.suspicions.delete(r.name);
  }

  private setState(r: NodeRecord, state: NodeState): void {
    this.countByState[r.state]--;
    this.countByState[state]++;
    r.state = state;
    r.stateChangeMs = this.nowMs;
    if (state !== 'suspect') this.suspicions.delete(r.name);
  }

  private memberOf(r: NodeRecord): Member {
    if (r === this.self && this.leaving) return toMember(r, this.leavePropagated ? 'left' : 'leaving');
    return toMember(r, statusOf(r.state));
  }

  private emit(type: MemberEventType, r: NodeRecord): void {
    if (this.events.length >= this.maxPendingEvents) {
      this.events.shift();
      this.counters.eventsDropped++;
    }
    this.events.push({ type, member: this.memberOf(r), atMs: this.nowMs });
  }

  private pushOutput(o: CoreOutput): void {
    if (this.outputs.length >= this.maxPendingOutputs) {
      // The driver drains after every call; a full queue means it stopped, so drop the oldest.
      this.outputs.shift();
    }
    this.outputs.push(o);
  }
}

function addressOf(r: NodeRecord): Address {
  return { addr: r.addr, port: r.port };
}

function checkTagsSize(tags: Tags): void {
  for (const [k, v] of Object.entries(tags)) {
    if (typeof v !== 'string') throw new TypeError(`tag ${k} must be a string`);
  }
  const size = encodedTagsBytes(tags);
  if (size > MAX_META_BYTES) throw new RangeError(`encoded tags are ${size} bytes, limit is ${MAX_META_BYTES}`);
}
