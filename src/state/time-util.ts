// Exact nanosecond arithmetic on RFC3339 timestamps. Nanoseconds since the epoch exceed 2^53, so
// numbers lose the last digits; deadlines are computed with BigInt to keep Nomad's precision.

/** Go's zero time.Time, as it marshals to JSON. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** The last text parsed and its value: a plan's placements ask about one deadline over and over. */
let lastParsed: { text: string; ns: bigint | null } = { text: '', ns: null };

/** Nanoseconds since the epoch, or null for the zero time, an empty string or a malformed value. */
export function parseRfc3339Ns(text: string | null | undefined): bigint | null {
  if (text === null || text === undefined || text === '' || text.startsWith('0001-01-01T00:00:00')) return null;
  if (text === lastParsed.text) return lastParsed.ns;
  const ns = parseUncached(text);
  lastParsed = { text, ns };
  return ns;
}

function parseUncached(text: string): bigint | null {
  const m = RFC3339.exec(text);
  if (m === null) return null;
  const ms = Date.parse(m[1]! + m[3]!);
  if (Number.isNaN(ms)) return null;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0'));
  return BigInt(ms) * 1_000_000n + frac;
}

/** RFC3339 in UTC with nanoseconds, trailing zeros trimmed, as Go marshals time.Time. */
export function formatRfc3339Ns(ns: bigint): string {
  const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
  const subNs = ns - ms * 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  const frac = (iso.slice(20, 23) + subNs.toString().padStart(6, '0')).replace(/0+$/, '');
  return iso.slice(0, 19) + (frac === '' ? '' : '.' + frac) + 'Z';
}

/** A time in ns given as a number (already rounded by float precision) to an exact BigInt. */
export function nsToBigInt(ns: number): bigint {
  return BigInt(Math.round(ns));
}

/** RFC3339 to the second from a Unix time in seconds, as Nomad stamps node events. */
export function formatRfc3339Seconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 19) + 'Z';
}
