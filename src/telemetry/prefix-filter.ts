// Nomad's telemetry prefix_filter: rules "+prefix" (allow) and "-prefix" (block) over the full
// metric name ("nomad.raft.apply"); the longest matching prefix decides, a block wins over an
// allow of the same prefix, and names no rule matches get filter_default. Prefixes match bytes,
// not dotted segments, as go-metrics' radix tree does ("-nomad.raft" also blocks "nomad.raftx").

export interface PrefixRules {
  allowed: string[];
  blocked: string[];
}

/** Splits rules into allowed and blocked prefixes; an error names the first malformed rule. */
export function parsePrefixRules(rules: readonly string[]): PrefixRules | { error: string } {
  const out: PrefixRules = { allowed: [], blocked: [] };
  for (const rule of rules) {
    if (rule === '') continue;
    if (rule[0] === '+') out.allowed.push(rule.slice(1));
    else if (rule[0] === '-') out.blocked.push(rule.slice(1));
    else return { error: `filter rule must begin with either '+' or '-': ${JSON.stringify(rule)}` };
  }
  return out;
}

/** The config file's check of one prefix_filter list: null when every rule is well formed. */
export function checkPrefixRules(rules: unknown): string | null {
  if (!Array.isArray(rules)) return null;
  const parsed = parsePrefixRules(rules.filter((r): r is string => typeof r === 'string'));
  return 'error' in parsed ? parsed.error : null;
}

/** Bound of the decision cache: names are few in practice, but labels never enter it. */
const MAX_CACHED_NAMES = 10_000;

export class PrefixFilter {
  /** Longest prefix first, so the first match is the one that decides. */
  private readonly rules: Array<{ prefix: string; allow: boolean }>;
  private readonly cache = new Map<string, boolean>();

  constructor(
    rules: PrefixRules,
    private readonly filterDefault: boolean,
  ) {
    const byPrefix = new Map<string, boolean>();
    for (const p of rules.allowed) byPrefix.set(p, true);
    for (const p of rules.blocked) byPrefix.set(p, false); // blocking wins for the same prefix
    this.rules = [...byPrefix].map(([prefix, allow]) => ({ prefix, allow })).sort((a, b) => b.prefix.length - a.prefix.length);
  }

  allows(name: string): boolean {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    let allow = this.filterDefault;
    for (const r of this.rules) {
      if (name.startsWith(r.prefix)) {
        allow = r.allow;
        break;
      }
    }
    if (this.cache.size >= MAX_CACHED_NAMES) this.cache.clear();
    this.cache.set(name, allow);
    return allow;
  }
}
