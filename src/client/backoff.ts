// Bounded exponential backoff with jitter, for retries against the servers.
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  nextDelayMs(): number {
    const raw = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    // Full jitter in the upper half: spreads retries of many clients while keeping progress.
    return Math.round(raw / 2 + (this.random() * raw) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
