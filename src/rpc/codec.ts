// msgpack for RPC payloads. Records are off so every message decodes on its own, whatever the
// connection saw before; maps come back as plain objects, byte strings as Uint8Array (Buffer).
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, variableMapSize: true });

export function encodePayload(value: unknown): Uint8Array {
  const buf = packr.pack(value);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function decodePayload(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
