// Output formatting as Nomad's CLI does it: columns joined by two spaces (Go's columnize),
// key = value blocks, short IDs, sizes in binary units and relative ages.
import { formatDurationNs } from '../structs/time.js';

/** Formats rows whose cells are separated by '|': every column but the last is padded. */
export function formatList(rows: string[], glue = '  '): string {
  return columnize(rows.map((r) => r.split('|').map((c) => c.trim())), glue);
}

/** "Key|Value" rows as "Key   = Value"; an empty value prints as "<none>". */
export function formatKV(rows: string[]): string {
  const cells = rows.map((r) => {
    const i = r.indexOf('|');
    const key = (i < 0 ? r : r.slice(0, i)).trim();
    const value = i < 0 ? '' : r.slice(i + 1).trim();
    return [key, value === '' ? '<none>' : value];
  });
  return columnize(cells, ' = ');
}

export function columnize(rows: string[][], glue: string): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((c, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, displayWidth(c));
    });
  }
  return rows
    .map((row) => row.map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - displayWidth(c)) + glue)).join(''))
    .join('\n');
}

function displayWidth(s: string): number {
  return [...s].length;
}

/** The first `length` characters of an ID, as the CLI shows it unless -verbose. */
export function limit(s: string, length: number): string {
  return s.length > length ? s.slice(0, length) : s;
}

export const SHORT_ID_LENGTH = 8;
export const FULL_ID_LENGTH = 36;

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** Bytes in binary units with at most one decimal below 10 ("0 B", "1.5 GiB", "38 MiB"). */
export function humanizeBytes(bytes: number): string {
  const n = Math.max(0, Math.floor(bytes));
  if (n < 10) return `${n} B`;
  const e = Math.min(BINARY_UNITS.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
  const val = Math.floor((n / Math.pow(1024, e)) * 10 + 0.5) / 10;
  return val < 10 ? `${val.toFixed(1)} ${BINARY_UNITS[e]}` : `${val.toFixed(0)} ${BINARY_UNITS[e]}`;
}

export const BYTES_PER_MIB = 1024 * 1024;

/** RFC3339 to the second in UTC ("2026-11-21T17:39:05Z"). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

export function formatUnixNanoTime(ns: number): string {
  return formatTime(Math.floor(ns / 1e6));
}

/** Parses an RFC3339 string with any fraction; NaN when absent or malformed. */
export function parseRfc3339Ms(s: string | null | undefined): number {
  if (!s || s.startsWith('0001-01-01')) return NaN;
  return Date.parse(s);
}

/**
 * The age of `thenMs` relative to `nowMs` as Nomad prints it: two most significant units
 * ("12s ago", "1m21s ago", "13m15s ago", "2h0m ago", "3d4h ago"), " from now" for the future.
 */
export function prettyTimeDiff(thenMs: number, nowMs: number): string {
  if (!Number.isFinite(thenMs) || thenMs <= 0) return '';
  const a = Math.round(thenMs / 1000);
  const b = Math.round(nowMs / 1000);
  const suffix = b >= a ? ' ago' : ' from now';
  let secs = Math.abs(b - a);
  const units: Array<[string, number]> = [
    ['y', 365 * 86400],
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  for (const [name, size] of units) {
    const v = Math.floor(secs / size);
    secs -= v * size;
    if (parts.length > 0 || v > 0 || name === 's') parts.push(`${v}${name}`);
  }
  return parts.slice(0, 2).join('') + suffix;
}

/** Go's time.Duration printing of whole seconds ("13m49s"). */
export function formatSecondsDuration(seconds: number): string {
  return formatDurationNs(Math.floor(seconds) * 1e9);
}

/** "%.3g" as Go prints scores (0.027458 -> "0.0275", 0 -> "0"). */
export function formatG3(v: number): string {
  if (v === 0) return '0';
  const s = v.toPrecision(3);
  if (s.includes('e')) {
    const [m, exp] = s.split('e');
    const n = Number(exp);
    return `${trimZeros(m!)}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return trimZeros(s);
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Joins sections that are each non-empty text; used to lay out multi-part views. */
export function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

/** Go's time.Duration printing of nanoseconds ("515.101µs"). */
export function formatDuration(ns: number): string {
  return formatDurationNs(ns);
}
