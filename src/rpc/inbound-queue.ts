// What arrived for one stream or upload, waiting for its consumer. The peer may not send more
// than the credit it was granted, so this holds at most a window's worth; as the consumer pulls,
// the bytes it took are reported (onConsumed) so the owner can grant the sender more.

interface Queued<T> {
  readonly value: T;
  readonly bytes: number;
}

export class InboundQueue<T> implements AsyncIterable<T> {
  private readonly items: Queued<T>[] = [];
  private ended = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;
  private iterated = false;
  /** Bytes received and not yet pulled by the consumer. */
  queuedBytes = 0;

  constructor(
    private readonly onConsumed: (bytes: number) => void,
    /** The consumer stopped before the end (break out of for-await, or return()). */
    private readonly onAbandon: () => void = () => undefined,
  ) {}

  get finished(): boolean {
    return this.ended || this.error !== null;
  }

  push(value: T, bytes: number): void {
    if (this.finished) return;
    this.items.push({ value, bytes });
    this.queuedBytes += bytes;
    this.notify();
  }

  end(): void {
    if (this.finished) return;
    this.ended = true;
    this.notify();
  }

  fail(error: Error): void {
    if (this.finished) return;
    this.error = error;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterated) throw new Error('this stream can be read only once');
    this.iterated = true;
    const next = async (): Promise<IteratorResult<T>> => {
      for (;;) {
        const item = this.items.shift();
        if (item) {
          this.queuedBytes -= item.bytes;
          this.onConsumed(item.bytes);
          return { value: item.value, done: false };
        }
        if (this.error) throw this.error;
        if (this.ended) return { value: undefined, done: true };
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    };
    const stop = async (): Promise<IteratorResult<T>> => {
      if (!this.finished) {
        this.ended = true;
        this.items.length = 0;
        this.onAbandon();
      }
      return { value: undefined, done: true };
    };
    return { next, return: stop };
  }
}
