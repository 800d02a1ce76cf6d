// Bounds on a JSON request body, checked while it arrives and before it is parsed, so that one
// huge or deeply nested body cannot hold the event loop or overflow the stack of what reads it
// later. Parsing costs per value far more than per byte (a megabyte of small numbers takes a
// tenth of a second), so both are bounded. Go's decoder, and so Nomad, stops nesting at 10000
// levels; this agent stops earlier, at a depth that every part of it (JSON.stringify included,
// which overflows near 5000) walks safely.

/** Bound on a request body's bytes: far above any job, well below what stalls the agent to parse. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Bound on the values (array items, object members) in a request body. */
export const MAX_JSON_VALUES = 200_000;
/** Bound on the nesting of arrays and objects in a request body. */
export const MAX_JSON_DEPTH = 512;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

export type JsonBoundProblem = { kind: 'depth'; opener: string } | { kind: 'values' };

/**
 * Follows a JSON text chunk by chunk, outside strings: the nesting of brackets, and the values
 * (an opener starts one, a comma another). Malformed text is left for the parser to describe.
 */
export class JsonBoundsScanner {
  private depth = 0;
  private values = 0;
  private inString = false;
  private escaped = false;
  /** What went past a bound, once something has. */
  problem: JsonBoundProblem | null = null;

  constructor(private readonly limits = { depth: MAX_JSON_DEPTH, values: MAX_JSON_VALUES }) {}

  /** Scans a chunk; false once a bound has been passed. */
  push(chunk: Uint8Array): boolean {
    if (this.problem !== null) return false;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) this.depth--;
      else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        this.values++;
        if (++this.depth > this.limits.depth) this.problem = { kind: 'depth', opener: String.fromCharCode(c) };
      } else if (c === COMMA) this.values++;
      if (this.values > this.limits.values) this.problem ??= { kind: 'values' };
      if (this.problem !== null) return false;
    }
    return true;
  }
}

/** A `\u` escape of a UTF-16 surrogate: only then can JSON text hold a lone one. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
/** With the u flag a well-formed pair is one code point, so this matches lone surrogates only. */
const LONE_SURROGATE = /\p{Surrogate}/gu;

/**
 * Parses a JSON body as Go's decoder reads it: a lone UTF-16 surrogate escape (`"\udfff"`) in a
 * string or key becomes U+FFFD, so that what is stored is valid Unicode and every ID stays
 * reachable through a URL.
 */
export function parseJsonBody(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return SURROGATE_ESCAPE.test(text) ? replaceLoneSurrogates(value) : value;
}

function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

/** Walks without recursion: the depth is bounded, but the walk need not rely on it. */
function replaceLoneSurrogates(root: unknown): unknown {
  if (typeof root === 'string') return wellFormed(root);
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (typeof v[i] === 'string') v[i] = wellFormed(v[i] as string);
        else if (v[i] !== null && typeof v[i] === 'object') stack.push(v[i]);
      }
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const key of Object.keys(o)) {
        let item = o[key];
        if (typeof item === 'string') item = wellFormed(item);
        else if (item !== null && typeof item === 'object') stack.push(item);
        const fixedKey = wellFormed(key);
        if (fixedKey !== key) delete o[key];
        Object.defineProperty(o, fixedKey, { value: item, enumerable: true, writable: true, configurable: true });
      }
    }
  }
  return root;
}
