// A bounded hand-off from socket events to an async iterator: the producer is
// told to pause when `highWaterMark` chunks wait, and to resume when drained.
export class AsyncChunkQueue implements AsyncIterable<Uint8Array> {
  private chunks: Uint8Array[] = [];
  private ended = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly highWaterMark: number, private readonly pause: () => void, private readonly resume: () => void) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    if (this.chunks.length >= this.highWaterMark) this.pause();
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  fail(error: Error): void {
    if (this.ended) return;
    this.error = error;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      if (this.error) throw this.error;
      const c = this.chunks.shift();
      if (c) {
        if (this.chunks.length === 0) this.resume();
        yield c;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}
