// A small seeded random source. Node order and dynamic ports are drawn from it, seeded by the
// evaluation ID, so the same eval over the same state always yields the same plan.

export interface Rng {
  /** A uniform integer in [0, maxExclusive). */
  nextInt(maxExclusive: number): number;
}

/** Hashes text to 32 bits (FNV-1a then an avalanche), to seed the generator. */
export function hashText(text: string, salt = 0): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** sfc32: fast, small state, good enough statistical quality for shuffling. */
export function seededRng(seedText: string): Rng {
  let a = hashText(seedText, 1);
  let b = hashText(seedText, 2);
  let c = hashText(seedText, 3);
  let d = 1;
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next();
  return {
    nextInt(maxExclusive: number): number {
      if (maxExclusive <= 1) return 0;
      return Math.floor((next() / 4294967296) * maxExclusive);
    },
  };
}

/** Fisher-Yates in place. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}
