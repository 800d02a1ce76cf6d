// The bytes on the wire (docs/rpc-protocol.md is the full description): a first byte that picks
// the protocol, then frames of [u32 length][u8 type][u8 flags][u32 id][payload].
import { asBytes } from '../raft/bytes.js';

/** First byte of a connection: the framed RPC protocol, version 1, follows. */
export const PROTOCOL_BYTE_RPC_V1 = 0x01;
/** First byte of a connection: a TLS handshake follows; inside it the first byte is sent again. */
export const PROTOCOL_BYTE_TLS = 0x04;

/** Length field (4) + type (1) + flags (1) + id (4). */
export const FRAME_HEADER_BYTES = 10;
/** Bytes after the length field that are not payload: type, flags, id. */
export const FRAME_FIXED_BYTES = 6;
/**
 * Largest payload of one frame. Senders split anything bigger, so a frame never holds the wire
 * for longer than this many bytes take to send, whatever else is in flight.
 */
export const FRAME_PAYLOAD_MAX_BYTES = 64 * 1024;
/**
 * Credit each stream and upload starts with; the receiver grants more with WINDOW. It bounds how
 * much of a stream can sit in the TCP buffers ahead of a small call on the same connection: at
 * 512 KiB a heartbeat waited ~4x longer behind a snapshot upload than at 128 KiB, for no gain in
 * loopback throughput (128 KiB per round trip is still ~250 MB/s at a 0.5 ms RTT).
 */
export const INITIAL_WINDOW_BYTES = 128 * 1024;

/**
 * What a stream item or an upload chunk costs of the credit: its payload plus one header, so
 * that a window also bounds how many tiny items can be in flight, not only their bytes.
 */
export function creditCost(payloadBytes: number): number {
  return payloadBytes + FRAME_HEADER_BYTES;
}

export enum FrameType {
  // caller -> server: messages (msgpack, may span frames with FLAG_MORE)
  Call = 0x01,
  Stream = 0x02,
  Upload = 0x03,
  Notify = 0x04,
  /** Both ways at once: the caller sends DATA frames as for an upload, the server ITEMs as for a stream. */
  Duplex = 0x05,
  // server -> caller: messages
  Result = 0x10,
  Error = 0x11,
  Item = 0x12,
  // caller -> server: raw upload bytes
  Data = 0x20,
  DataEnd = 0x21,
  // control
  Cancel = 0x30,
  Window = 0x31,
  Ping = 0x32,
  Pong = 0x33,
  GoAway = 0x34,
}

/** The message continues in the next frame of the same id (and type). */
export const FLAG_MORE = 0x01;

const MESSAGE_TYPES = new Set<number>([
  FrameType.Call,
  FrameType.Stream,
  FrameType.Upload,
  FrameType.Notify,
  FrameType.Duplex,
  FrameType.Result,
  FrameType.Error,
  FrameType.Item,
  FrameType.GoAway,
]);

/** Frame types whose payload is (part of) a msgpack message that may span frames. */
export function isMessageType(type: number): boolean {
  return MESSAGE_TYPES.has(type);
}

export function frameTypeName(type: number): string {
  return FrameType[type] ?? `0x${type.toString(16).padStart(2, '0')}`;
}

export function encodeHeader(type: FrameType, flags: number, id: number, payloadBytes: number): Uint8Array {
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  h.writeUInt32BE(FRAME_FIXED_BYTES + payloadBytes, 0);
  h[4] = type;
  h[5] = flags;
  h.writeUInt32BE(id, 6);
  return asBytes(h);
}

export function encodeU32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

export function decodeU32(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0);
}
