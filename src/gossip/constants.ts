// Wire constants. The numbers of the version vector are the ones Serf/memberlist report, so that
// `nomad server members` shows familiar values.

export const PROTOCOL_MIN = 1;
export const PROTOCOL_MAX = 5;
export const PROTOCOL_CUR = 2;
export const DELEGATE_MIN = 2;
export const DELEGATE_MAX = 5;
export const DELEGATE_CUR = 4;

/** First byte of every message. Anything else is a foreign packet and is dropped. */
export const enum MsgType {
  Ping = 1,
  IndirectPing = 2,
  Ack = 3,
  Nack = 4,
  Suspect = 5,
  Alive = 6,
  Dead = 7,
  ForceLeave = 8,
  Compound = 9,
  PushPull = 10,
}

/** Serf's limit on encoded tags, so that an alive message always fits in one UDP packet. */
export const MAX_META_BYTES = 512;
/** memberlist's default UDP payload budget: safe under the common 1500-byte MTU. */
export const DEFAULT_UDP_PAYLOAD_BYTES = 1400;
/** A compound message counts its parts in one byte. */
export const MAX_COMPOUND_PARTS = 255;
/** Bytes the compound header adds: type + count, then a u16 length per part. */
export const COMPOUND_HEADER_BYTES = 2;
export const COMPOUND_PART_OVERHEAD_BYTES = 2;
