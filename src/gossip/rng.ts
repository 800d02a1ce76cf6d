// Seeded randomness. The core never calls Math.random: the driver injects one source and the
// simulation another, so that a seed replays exactly.

export type Rng = () => number;

/** mulberry32: small, fast and good enough for choosing peers; not for keys. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rng: Rng, bound: number): number {
  return Math.floor(rng() * bound);
}

/** In-place Fisher-Yates shuffle. */
export function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const t = items[i] as T;
    items[i] = items[j] as T;
    items[j] = t;
  }
  return items;
}

/**
 * Up to k distinct random items that pass `accept`. Bounded at 3n draws like memberlist's
 * kRandomNodes, so a mostly-filtered list costs little and may return fewer than k.
 */
export function kRandom<T>(rng: Rng, items: readonly T[], k: number, accept: (item: T) => boolean): T[] {
  const n = items.length;
  const out: T[] = [];
  if (n === 0 || k <= 0) return out;
  const seen = new Set<number>();
  for (let i = 0; i < 3 * n && out.length < k; i++) {
    const idx = randomInt(rng, n);
    if (seen.has(idx)) continue;
    seen.add(idx);
    const item = items[idx] as T;
    if (accept(item)) out.push(item);
  }
  return out;
}
