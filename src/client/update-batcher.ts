// Coalesces allocation status updates to the servers: many task events in a burst become one
// update per allocation, sent at most every intervalMs, or at once when an allocation turns
// terminal. Failed sends are retried with bounded backoff, always with the latest state.
import type { AllocClientUpdate } from '../rpc/protocol.js';

export interface UpdateBatcherOptions {
  send: (updates: AllocClientUpdate[]) => Promise<void>;
  /** The current state of an allocation, or null when it is gone. */
  current: (allocId: string) => AllocClientUpdate | null;
  intervalMs?: number;
  /** At most this many allocations per RPC; the rest go in the next round. */
  maxBatch?: number;
  maxRetryDelayMs?: number;
  onError?: (err: unknown) => void;
}

export class UpdateBatcher {
  private readonly pending = new Set<string>();
  private timer: { immediate: true; handle: NodeJS.Immediate } | { immediate: false; handle: NodeJS.Timeout } | null = null;
  private inFlight: Promise<void> | null = null;
  /** The allocations of the batch in flight: not yet acknowledged by the servers. */
  private inFlightIds: ReadonlySet<string> = new Set();
  private retryDelayMs = 0;
  private lastSentAtMs = 0;
  /** An urgent mark arrived while a send was in flight: send again as soon as it ends. */
  private urgentPending = false;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly maxRetryDelayMs: number;
  /** Updates successfully sent, for tests and stats. */
  sentBatches = 0;

  constructor(private readonly opts: UpdateBatcherOptions) {
    this.intervalMs = opts.intervalMs ?? 200;
    this.maxBatch = opts.maxBatch ?? 1000;
    this.maxRetryDelayMs = opts.maxRetryDelayMs ?? 5_000;
  }

  mark(allocId: string, urgent: boolean): void {
    if (this.stopped) return;
    this.pending.add(allocId);
    if (urgent) this.urgentPending = true;
    this.schedule(urgent && this.retryDelayMs === 0 ? 0 : this.nextDelay());
  }

  /**
   * True while the allocation has a change the servers have not acknowledged (waiting or in
   * flight). Its runner must stay reachable until then: the update is read from it at send time.
   */
  unacknowledged(allocId: string): boolean {
    return this.pending.has(allocId) || this.inFlightIds.has(allocId);
  }

  private nextDelay(): number {
    if (this.retryDelayMs > 0) return this.retryDelayMs;
    return Math.max(0, this.lastSentAtMs + this.intervalMs - Date.now());
  }

  private schedule(delayMs: number): void {
    if (this.inFlight) return; // the running flush re-schedules when it ends
    if (this.timer) {
      if (delayMs > 0 || this.timer.immediate) return;
      this.cancelTimer();
    }
    const fire = (): void => {
      this.timer = null;
      void this.flushOnce();
    };
    // An urgent send goes on the next turn of the event loop (marks made in this turn join it),
    // not after a timer's minimum millisecond.
    this.timer = delayMs <= 0 ? { immediate: true, handle: setImmediate(fire) } : { immediate: false, handle: setTimeout(fire, delayMs) };
  }

  private cancelTimer(): void {
    const t = this.timer;
    if (t === null) return;
    if (t.immediate) clearImmediate(t.handle);
    else clearTimeout(t.handle);
    this.timer = null;
  }

  private flushOnce(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.pending.size === 0) return Promise.resolve();
    this.urgentPending = false;
    const ids = [...this.pending].slice(0, this.maxBatch);
    for (const id of ids) this.pending.delete(id);
    this.inFlightIds = new Set(ids);
    const updates = ids.map((id) => this.opts.current(id)).filter((u): u is AllocClientUpdate => u !== null);
    this.inFlight = (updates.length === 0 ? Promise.resolve() : this.opts.send(updates))
      .then(() => {
        this.retryDelayMs = 0;
        this.sentBatches++;
      })
      .catch((err) => {
        for (const id of ids) this.pending.add(id);
        this.retryDelayMs = Math.min(this.maxRetryDelayMs, Math.max(this.intervalMs, this.retryDelayMs * 2));
        this.opts.onError?.(err);
      })
      .finally(() => {
        this.lastSentAtMs = Date.now();
        this.inFlight = null;
        this.inFlightIds = new Set();
        if (this.pending.size > 0 && !this.stopped) this.schedule(this.urgentPending && this.retryDelayMs === 0 ? 0 : this.nextDelay());
      });
    return this.inFlight;
  }

  /** Sends everything pending now (shutdown); bounded by `maxRounds` RPCs. */
  async flush(maxRounds = 10): Promise<void> {
    this.cancelTimer();
    for (let i = 0; i < maxRounds && (this.pending.size > 0 || this.inFlight); i++) {
      if (this.inFlight) await this.inFlight;
      else await this.flushOnce();
    }
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }
}
