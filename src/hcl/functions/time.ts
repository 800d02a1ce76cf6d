// Time functions.

import { fn, FunctionError, type HclFunction } from '../function.js';
import { str } from './args.js';
import { parseGoDuration } from './duration.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Add a Go duration to an RFC 3339 timestamp, keeping the timestamp's UTC offset. */
function timeAdd(timestamp: string, duration: string): string {
  const m = RFC3339.exec(timestamp);
  if (!m) throw new FunctionError(`${JSON.stringify(timestamp)} is not an RFC 3339 timestamp like "2021-06-01T12:00:00Z".`, 0);
  const ns = parseGoDuration(duration);
  if (ns === undefined) throw new FunctionError(`${JSON.stringify(duration)} is not a duration like "1h30m".`, 1);
  const zone = m[8] as string;
  const offsetMin = /^[Zz]$/.test(zone) ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const fracNs = m[7] ? Math.round(Number('0' + m[7]) * 1e9) : 0;
  const baseMs = Date.parse(timestamp.replace(/\.\d+/, ''));
  const totalNs = BigInt(baseMs) * 1_000_000n + BigInt(fracNs) + BigInt(Math.round(ns));
  const ms = Number(totalNs / 1_000_000n);
  const subNs = Number(((totalNs % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n);
  const local = new Date(ms + offsetMin * 60_000);
  const frac = subNs === 0 ? '' : '.' + pad(subNs, 9).replace(/0+$/, '');
  const zoneOut = offsetMin === 0 && /^[Zz]$/.test(zone) ? 'Z' : zone;
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${frac}${zoneOut}`;
}

export const timeFunctions: Record<string, HclFunction> = {
  timeadd: fn(['timestamp', 'duration'], (a) => timeAdd(str(a, 0), str(a, 1))),
};
