// A deep copy of plain data that comes out as a msgpack round trip through codec.ts would: plain
// objects and arrays copied, byte arrays as Uint8Array, -0 as 0, undefined kept. A single-node
// log hands the FSM such a copy instead of encoding and decoding each entry (a fifth of the cost,
// see bench/load), and the in-process RPC channel hands one to each side of a call, with the same
// guarantee: neither side keeps a reference into what the other holds.
import { decodePayload, encodePayload } from './codec.js';

/** What copyPlain returns for a value it does not copy the way msgpack would. */
export const NOT_PLAIN: unique symbol = Symbol('not plain data');

/** Objects deeper than this are not copied here (msgpack has its own limit and error). */
const MAX_DEPTH = 64;

/**
 * Cleared by copy() when it meets what JSON would not give back as it is (undefined, a byte
 * array, NaN or an infinity): module state rather than a result per value copied.
 */
let jsonExact = true;

/**
 * The copy, or NOT_PLAIN when something in the value is not plain data (a Map, a Date, a class
 * instance, a function, a bigint, a cycle...): the caller then takes the msgpack path.
 */
export function copyPlain<T>(value: T): T | typeof NOT_PLAIN {
  const out = copy(value, 0);
  return out === NOT_PLAIN ? NOT_PLAIN : (out as T);
}

/**
 * copyPlain, and whether JSON.parse(JSON.stringify(value)) would give that same copy: then the
 * value may travel as JSON (see log-entry-codec in server/).
 */
export function copyPlainNotingJson<T>(value: T): { copy: T | typeof NOT_PLAIN; jsonExact: boolean } {
  jsonExact = true;
  const out = copy(value, 0);
  return { copy: out === NOT_PLAIN ? NOT_PLAIN : (out as T), jsonExact: out !== NOT_PLAIN && jsonExact };
}

function copy(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'undefined':
      jsonExact = false;
      return v;
    case 'number':
      if (v === 0) return 0;
      if (!Number.isFinite(v)) jsonExact = false;
      return v;
    case 'object':
      break;
    default:
      return NOT_PLAIN;
  }
  if (v === null) return null;
  if (depth >= MAX_DEPTH) return NOT_PLAIN;
  if (Array.isArray(v)) {
    const n = v.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const c = copy(v[i], depth + 1);
      if (c === NOT_PLAIN) return NOT_PLAIN;
      out[i] = c;
    }
    return out;
  }
  if (v instanceof Uint8Array) {
    jsonExact = false;
    return new Uint8Array(v);
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const k in v) {
    const c = copy((v as Record<string, unknown>)[k], depth + 1);
    if (c === NOT_PLAIN) return NOT_PLAIN;
    out[k] = c;
  }
  return out;
}

/** What the other side of a call would decode: the plain copy, or a msgpack round trip for anything else. */
export function copyAsDecoded(value: unknown): unknown {
  const copied = copyPlain(value);
  return copied === NOT_PLAIN ? decodePayload(encodePayload(value)) : copied;
}
