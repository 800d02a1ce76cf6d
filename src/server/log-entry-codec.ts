// The bytes of a log entry in the Raft log. An entry that JSON carries exactly (no undefined, no
// byte arrays, no NaN or infinities: nearly all of them) is written as UTF-8 JSON, anything else
// as msgpack. V8's JSON.parse builds a job registration's entry in about half the time msgpackr
// takes (and JSON.stringify writes it a fifth faster), which every server pays for every entry;
// the bytes are about a third larger. The first byte tells the two apart: JSON entries are
// objects ('{'), and a msgpack entry is a map, never the positive integer 0x7b. Entries written
// before JSON was used (msgpack) still decode.
import { decodeMsgpack, encodeMsgpack } from '../state/codec.js';
import type { LogEntry } from '../state/log-entries.js';
import { copyPlainNotingJson, NOT_PLAIN } from '../rpc/plain-copy.js';

const OPEN_BRACE = 0x7b;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const toUtf8 = new TextEncoder();

export interface EncodedEntry {
  bytes: Uint8Array;
  /** What decodeEntry(bytes) gives, taken before the caller could change the entry; null when not plain data. */
  decoded: LogEntry | null;
}

/** The entry's bytes, and a copy of it as it will decode. Throws when msgpack cannot encode it. */
export function encodeEntry(entry: LogEntry): EncodedEntry {
  const { copy, jsonExact } = copyPlainNotingJson(entry);
  if (jsonExact) return { bytes: toUtf8.encode(JSON.stringify(entry)), decoded: copy as LogEntry };
  return { bytes: encodeMsgpack(entry), decoded: copy === NOT_PLAIN ? null : copy };
}

export function decodeEntry(bytes: Uint8Array): LogEntry {
  if (bytes.length > 0 && bytes[0] === OPEN_BRACE) return JSON.parse(utf8.decode(bytes)) as LogEntry;
  return decodeMsgpack<LogEntry>(bytes);
}
