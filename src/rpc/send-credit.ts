// The sending side of per-stream flow control: bytes may be sent only against credit the
// receiver granted. One producer per stream, so one waiter at most.
import { INITIAL_WINDOW_BYTES } from './wire.js';

export class SendCredit {
  private available = INITIAL_WINDOW_BYTES;
  private waiter: { need: number; resolve: () => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  grant(bytes: number): void {
    this.available += bytes;
    const w = this.waiter;
    if (w && this.available >= w.need) {
      this.waiter = null;
      w.resolve();
    }
  }

  /**
   * Resolves once `bytes` may be sent and spends them. A message larger than the whole window
   * waits for a full window and then overdraws it, so that it can be sent at all.
   */
  async take(bytes: number): Promise<void> {
    if (this.failure) throw this.failure;
    const need = Math.min(bytes, INITIAL_WINDOW_BYTES);
    if (this.available < need) {
      await new Promise<void>((resolve, reject) => {
        this.waiter = { need, resolve, reject };
      });
    }
    this.available -= bytes;
  }

  /** Every present and future take() fails with `error` (the stream ended or the connection dropped). */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(error);
  }
}
