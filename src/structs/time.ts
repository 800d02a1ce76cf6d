// Time in the units Nomad's API uses: nanoseconds since the epoch, RFC3339 strings, Go durations.

export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

/** Nanoseconds since the epoch. Sub-millisecond digits come from the monotonic clock. */
export function nowNs(): number {
  const ms = Date.now();
  const sub = Number(process.hrtime.bigint() % 1_000_000n);
  return ms * NS_PER_MS + sub;
}

export function nsToDate(ns: number): Date {
  return new Date(Math.floor(ns / NS_PER_MS));
}

/** RFC3339 with nanoseconds, as Go marshals time.Time ("2026-11-21T17:39:05.506041715Z"). */
export function rfc3339Nano(ns: number): string {
  const ms = Math.floor(ns / NS_PER_MS);
  const iso = new Date(ms).toISOString(); // 2026-11-21T17:39:05.506Z
  const subMs = Math.max(0, Math.round(ns - ms * NS_PER_MS));
  const frac = (iso.slice(20, 23) + String(subMs).padStart(6, '0')).replace(/0+$/, '');
  return iso.slice(0, 19) + (frac ? '.' + frac : '') + 'Z';
}

/** RFC3339 to the second, as the CLI prints times ("2026-11-21T17:39:05Z"). */
export function rfc3339Seconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Parses a Go duration ("1m30s", "300ms", "-1.5h") to nanoseconds; null when malformed. */
export function parseDurationNs(text: string): number | null {
  const s = text.trim();
  if (s === '0') return 0;
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m) return null;
  let total = 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
  let part: RegExpExecArray | null;
  while ((part = re.exec(s)) !== null) total += parseFloat(part[1]!) * UNIT_NS[part[2]!]!;
  return Math.round(m[1] === '-' ? -total : total);
}

/** Formats nanoseconds as Go's time.Duration.String does ("1m30s", "515.101µs", "0s"). */
export function formatDurationNs(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let v = Math.abs(ns);
  let out: string;
  if (v < 1e3) out = `${v}ns`;
  else if (v < 1e6) out = `${trimFloat(v / 1e3)}µs`;
  else if (v < 1e9) out = `${trimFloat(v / 1e6)}ms`;
  else {
    const h = Math.floor(v / 3600e9);
    v -= h * 3600e9;
    const m = Math.floor(v / 60e9);
    v -= m * 60e9;
    const s = trimFloat(v / 1e9);
    out = (h > 0 ? `${h}h` : '') + (h > 0 || m > 0 ? `${m}m` : '') + `${s}s`;
  }
  return neg ? '-' + out : out;
}

function trimFloat(x: number): string {
  return String(Number(x.toFixed(9)));
}
