// The plain copy must give the FSM what a msgpack round trip gives it, for every entry type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleEntries } from '../../test/unit/sample-entries.js';
import { decodePayload, encodePayload } from './codec.js';
import { copyPlain, NOT_PLAIN } from './plain-copy.js';

const roundTrip = <T>(v: T): T => decodePayload(encodePayload(v)) as T;

test('every log entry type copies as its msgpack round trip, sharing nothing', () => {
  for (const [type, entry] of Object.entries(sampleEntries())) {
    const copied = copyPlain(entry);
    assert.notEqual(copied, NOT_PLAIN, type);
    assert.deepStrictEqual(copied, roundTrip(entry), type);
    assert.notEqual(copied, entry);
  }
});

test('edge values come out as msgpack gives them back', () => {
  const value = { a: undefined, b: [undefined, 1, -0, NaN], c: Buffer.from('hi'), d: new Uint8Array([1, 2]), e: -0, g: Object.assign(Object.create(null) as object, { x: 1 }), h: 2 ** 53, i: 1.5, j: '' };
  assert.deepStrictEqual(copyPlain(value), roundTrip(value));
  const bytes = { b: new Uint8Array([7]) };
  const copied = copyPlain(bytes) as typeof bytes;
  bytes.b[0] = 8;
  assert.equal(copied.b[0], 7, 'bytes are copied, not shared');
});

test('anything but plain data is left to msgpack', () => {
  class Thing {
    x = 1;
  }
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  for (const v of [{ m: new Map() }, { s: new Set() }, { d: new Date(0) }, { t: new Thing() }, { f: () => 1 }, { n: 10n }, { y: Symbol('y') }, cyclic]) {
    assert.equal(copyPlain(v), NOT_PLAIN);
  }
});
