// Randomness is injected so that a run is reproducible from one seed.

export interface Rng {
  /** A uniformly distributed integer in [0, bound). */
  nextInt(bound: number): number;
}

/** SplitMix32-style generator: tiny state, good enough mixing for timeouts and fault injection. */
export class SeededRng implements Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  nextInt(bound: number): number {
    if (!(bound > 0)) throw new RangeError(`nextInt bound must be positive, got ${bound}`);
    return this.next32() % bound;
  }

  /** A float in [0, 1). */
  nextFloat(): number {
    return this.next32() / 4294967296;
  }

  chance(probability: number): boolean {
    return this.nextFloat() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.nextInt(items.length)] as T;
  }

  fork(): SeededRng {
    return new SeededRng(this.next32());
  }
}
