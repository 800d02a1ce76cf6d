// Wire format: one type byte, then a msgpack array of the message's fields. Compound packets
// bundle several messages; decoding validates every field so that a bad or foreign packet is a
// counted drop, never an exception that escapes the core.

import { Packr } from 'msgpackr';
import {
  COMPOUND_HEADER_BYTES,
  COMPOUND_PART_OVERHEAD_BYTES,
  MAX_COMPOUND_PARTS,
  MsgType,
} from './constants.js';
import type { NodeState, Tags, VersionVector } from './types.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export interface PingMsg {
  readonly type: MsgType.Ping;
  readonly seq: number;
  readonly node: string;
  readonly from: string;
  /** How many members the sender counts as alive or suspect; absent from older senders. */
  readonly live?: number;
}
export interface IndirectPingMsg {
  readonly type: MsgType.IndirectPing;
  readonly seq: number;
  readonly node: string;
  readonly addr: string;
  readonly port: number;
  readonly nack: boolean;
}
export interface AckMsg { readonly type: MsgType.Ack; readonly seq: number }
export interface NackMsg { readonly type: MsgType.Nack; readonly seq: number }
export interface SuspectMsg { readonly type: MsgType.Suspect; readonly inc: number; readonly node: string; readonly from: string }
export interface AliveMsg {
  readonly type: MsgType.Alive;
  readonly inc: number;
  readonly node: string;
  readonly addr: string;
  readonly port: number;
  readonly meta: Tags;
  readonly vsn: VersionVector;
}
/** `from === node` means the node left on its own; otherwise someone declared it failed. */
export interface DeadMsg { readonly type: MsgType.Dead; readonly inc: number; readonly node: string; readonly from: string }
/** Moves a failed member to left (Nomad's `server force-leave`). */
export interface ForceLeaveMsg { readonly type: MsgType.ForceLeave; readonly inc: number; readonly node: string; readonly from: string }

export interface PushNodeState {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  readonly meta: Tags;
  readonly inc: number;
  readonly state: NodeState;
  readonly vsn: VersionVector;
}
export interface PushPullMsg { readonly type: MsgType.PushPull; readonly join: boolean; readonly from: string; readonly states: readonly PushNodeState[] }

export type GossipMessage = PingMsg | IndirectPingMsg | AckMsg | NackMsg | SuspectMsg | AliveMsg | DeadMsg | ForceLeaveMsg;
export type Message = GossipMessage | PushPullMsg;

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

const STATE_CODES: readonly NodeState[] = ['alive', 'suspect', 'dead', 'left'];
const MAX_NAME_CHARS = 256;
const MAX_ADDR_CHARS = 64;
const MAX_TAG_COUNT = 64;

function frame(type: MsgType, body: unknown): Uint8Array {
  const packed = packr.pack(body);
  const out = new Uint8Array(packed.length + 1);
  out[0] = type;
  out.set(packed, 1);
  return out;
}

function fieldsOf(msg: Message): unknown[] {
  switch (msg.type) {
    case MsgType.Ping: return msg.live === undefined ? [msg.seq, msg.node, msg.from] : [msg.seq, msg.node, msg.from, msg.live];
    case MsgType.IndirectPing: return [msg.seq, msg.node, msg.addr, msg.port, msg.nack];
    case MsgType.Ack: return [msg.seq];
    case MsgType.Nack: return [msg.seq];
    case MsgType.Suspect: return [msg.inc, msg.node, msg.from];
    case MsgType.Alive: return [msg.inc, msg.node, msg.addr, msg.port, msg.meta, [...msg.vsn]];
    case MsgType.Dead: return [msg.inc, msg.node, msg.from];
    case MsgType.ForceLeave: return [msg.inc, msg.node, msg.from];
    case MsgType.PushPull:
      return [msg.join, msg.from, msg.states.map((s) => [s.name, s.addr, s.port, s.meta, s.inc, STATE_CODES.indexOf(s.state), [...s.vsn]])];
  }
}

export function encodeMessage(msg: Message): Uint8Array {
  return frame(msg.type, fieldsOf(msg));
}

/** Encodes the tags alone, to check them against the meta size limit. */
export function encodedTagsBytes(tags: Tags): number {
  return packr.pack(tags).length;
}

export function compoundBytes(parts: readonly Uint8Array[]): number {
  let n = COMPOUND_HEADER_BYTES;
  for (const p of parts) n += COMPOUND_PART_OVERHEAD_BYTES + p.length;
  return n;
}

export function encodeCompound(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 0 || parts.length > MAX_COMPOUND_PARTS) throw new RangeError(`compound of ${parts.length} parts`);
  const out = new Uint8Array(compoundBytes(parts));
  const view = new DataView(out.buffer);
  out[0] = MsgType.Compound;
  out[1] = parts.length;
  let off = COMPOUND_HEADER_BYTES;
  for (const p of parts) {
    if (p.length > 0xffff) throw new RangeError('compound part over 64 KiB');
    view.setUint16(off, p.length);
    off += 2;
  }
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// --- decoding ---------------------------------------------------------------------------------

function uint(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CodecError(`${what}: not an unsigned integer`);
  return v;
}
function str(v: unknown, what: string, maxChars: number): string {
  if (typeof v !== 'string' || v.length > maxChars) throw new CodecError(`${what}: not a string of <= ${maxChars} chars`);
  return v;
}
function name(v: unknown, what: string): string {
  const s = str(v, what, MAX_NAME_CHARS);
  if (s.length === 0) throw new CodecError(`${what}: empty`);
  return s;
}
function port(v: unknown): number {
  const p = uint(v, 'port');
  if (p > 65535) throw new CodecError('port out of range');
  return p;
}
function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new CodecError(`${what}: not a boolean`);
  return v;
}
function tags(v: unknown): Tags {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) throw new CodecError('meta: not a map');
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_TAG_COUNT) throw new CodecError('meta: too many tags');
  const out: Record<string, string> = {};
  for (const [k, val] of entries) {
    if (typeof val !== 'string') throw new CodecError(`meta.${k}: not a string`);
    out[k] = val;
  }
  return Object.freeze(out);
}
function vsn(v: unknown): VersionVector {
  if (!Array.isArray(v) || v.length !== 6) throw new CodecError('vsn: not 6 numbers');
  const n = v.map((x) => {
    const u = uint(x, 'vsn');
    if (u > 255) throw new CodecError('vsn out of range');
    return u;
  });
  return [n[0]!, n[1]!, n[2]!, n[3]!, n[4]!, n[5]!];
}
function arr(v: unknown, len: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length !== len) throw new CodecError(`${what}: expected ${len} fields`);
  return v;
}

function decodeBody(type: number, body: unknown): Message {
  switch (type) {
    case MsgType.Ping: {
      const f = Array.isArray(body) && body.length === 4 ? body : arr(body, 3, 'ping');
      const ping = { type, seq: uint(f[0], 'seq'), node: str(f[1], 'node', MAX_NAME_CHARS), from: str(f[2], 'from', MAX_NAME_CHARS) };
      return f.length === 4 ? { ...ping, live: uint(f[3], 'live') } : ping;
    }
    case MsgType.IndirectPing: {
      const f = arr(body, 5, 'indirect-ping');
      return { type, seq: uint(f[0], 'seq'), node: name(f[1], 'node'), addr: str(f[2], 'addr', MAX_ADDR_CHARS), port: port(f[3]), nack: bool(f[4], 'nack') };
    }
    case MsgType.Ack:
    case MsgType.Nack: {
      const f = arr(body, 1, 'ack');
      return { type, seq: uint(f[0], 'seq') };
    }
    case MsgType.Suspect:
    case MsgType.Dead:
    case MsgType.ForceLeave: {
      const f = arr(body, 3, 'rumor');
      return { type, inc: uint(f[0], 'inc'), node: name(f[1], 'node'), from: name(f[2], 'from') };
    }
    case MsgType.Alive: {
      const f = arr(body, 6, 'alive');
      return { type, inc: uint(f[0], 'inc'), node: name(f[1], 'node'), addr: str(f[2], 'addr', MAX_ADDR_CHARS), port: port(f[3]), meta: tags(f[4]), vsn: vsn(f[5]) };
    }
    case MsgType.PushPull: {
      const f = arr(body, 3, 'push-pull');
      if (!Array.isArray(f[2])) throw new CodecError('push-pull: states not a list');
      const states = f[2].map((s): PushNodeState => {
        const g = arr(s, 7, 'push-pull state');
        const code = uint(g[5], 'state');
        const state = STATE_CODES[code];
        if (state === undefined) throw new CodecError('push-pull: unknown state');
        return { name: name(g[0], 'name'), addr: str(g[1], 'addr', MAX_ADDR_CHARS), port: port(g[2]), meta: tags(g[3]), inc: uint(g[4], 'inc'), state, vsn: vsn(g[6]) };
      });
      return { type, join: bool(f[0], 'join'), from: name(f[1], 'from'), states };
    }
    default:
      throw new CodecError(`unknown message type ${type}`);
  }
}

export function decodeMessage(bytes: Uint8Array): Message {
  if (bytes.length < 2) throw new CodecError('message too short');
  const type = bytes[0]!;
  if (type === MsgType.Compound) throw new CodecError('nested compound');
  let body: unknown;
  try {
    body = packr.unpack(bytes.subarray(1));
  } catch (err) {
    throw new CodecError(`msgpack: ${(err as Error).message}`);
  }
  return decodeBody(type, body);
}

/** Splits a UDP packet into its messages (one level of compound at most). */
export function decodePacket(bytes: Uint8Array): Message[] {
  if (bytes.length === 0) throw new CodecError('empty packet');
  if (bytes[0] !== MsgType.Compound) return [decodeMessage(bytes)];
  if (bytes.length < COMPOUND_HEADER_BYTES) throw new CodecError('compound too short');
  const count = bytes[1]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = COMPOUND_HEADER_BYTES + count * COMPOUND_PART_OVERHEAD_BYTES;
  if (count === 0 || off > bytes.length) throw new CodecError('compound header truncated');
  const out: Message[] = [];
  for (let i = 0; i < count; i++) {
    const len = view.getUint16(COMPOUND_HEADER_BYTES + i * 2);
    if (off + len > bytes.length) throw new CodecError('compound part truncated');
    out.push(decodeMessage(bytes.subarray(off, off + len)));
    off += len;
  }
  return out;
}
