// The msgpack encoding shared by log entries and FSM snapshots. Records/structures are off so
// that bytes decode the same way in any process, and plain objects come back as objects.
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, variableMapSize: true });

export function encodeMsgpack(value: unknown): Uint8Array {
  const buf = packr.pack(value);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function decodeMsgpack<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}
