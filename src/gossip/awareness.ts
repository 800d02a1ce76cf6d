// Lifeguard's local health awareness: failed probes without the expected nacks and having to
// refute suspicions of ourselves both suggest that *we* are the slow one, so we stretch our
// probe interval instead of accusing healthy peers.

export class Awareness {
  private scoreValue = 0;

  constructor(private readonly maxMultiplier: number) {
    if (!(maxMultiplier >= 1)) throw new RangeError('maxMultiplier must be >= 1');
  }

  get score(): number {
    return this.scoreValue;
  }

  applyDelta(delta: number): void {
    this.scoreValue = Math.min(this.maxMultiplier - 1, Math.max(0, this.scoreValue + delta));
  }

  scaleMs(baseMs: number): number {
    return baseMs * (this.scoreValue + 1);
  }
}
