// msgpack encoding of log entries as compact arrays: [index, term, kind, data, config?].
import { Packr } from 'msgpackr';
import { asBytes } from '../bytes.js';
import { invariant } from '../invariant.js';
import type { Configuration, Entry } from '../types.js';
import { EntryKind } from '../types.js';

// Plain msgpack (no record extension) so that any reader decodes it without shared state.
export const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

export function encodeEntry(e: Entry): Uint8Array {
  return asBytes(e.config ? packr.pack([e.index, e.term, e.kind, e.data, e.config]) : packr.pack([e.index, e.term, e.kind, e.data]));
}

export function decodeEntry(buf: Uint8Array): Entry {
  const a = packr.unpack(buf) as unknown[];
  invariant(Array.isArray(a) && a.length >= 4, 'malformed entry record');
  const [index, term, kind, data, config] = a as [number, number, EntryKind, Uint8Array | null, Configuration | undefined];
  return config ? { index, term, kind, data, config } : { index, term, kind, data };
}
