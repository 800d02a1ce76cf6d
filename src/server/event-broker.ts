// The event stream's buffer on this server: the last `bufferSize` batches of events the FSM
// published (one batch per applied entry), and the subscriptions reading them. Every server
// applies every entry, so every server can serve the stream. Memory is bounded by the buffer:
// a subscriber that falls so far behind that the batch it would read next has left the buffer
// is closed (it must subscribe again), instead of the buffer growing to wait for it.
import type { EventSink } from '../state/fsm.js';
import { eventMatches, type EventBatch, type EventFilter } from '../state/stream-events.js';

/** Nomad's default event_buffer_size. */
export const DEFAULT_EVENT_BUFFER_SIZE = 100;

export type CloseReason = 'slow' | 'reset' | 'shutdown' | 'unsubscribed';

export class EventBroker implements EventSink {
  /** Batches by sequence number; the oldest kept is `firstSeq`, the next to come `nextSeq`. */
  private readonly ring: Array<EventBatch | undefined>;
  private firstSeq = 0;
  private nextSeq = 0;
  private readonly subscriptions = new Set<EventSubscription>();

  constructor(readonly bufferSize: number = DEFAULT_EVENT_BUFFER_SIZE) {
    if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new Error(`event buffer size must be a positive integer, got ${bufferSize}`);
    this.ring = new Array<EventBatch | undefined>(bufferSize);
  }

  publish(batch: EventBatch): void {
    this.ring[this.nextSeq % this.bufferSize] = batch;
    this.nextSeq++;
    if (this.nextSeq - this.firstSeq > this.bufferSize) this.firstSeq = this.nextSeq - this.bufferSize;
    // A reader whose next batch just left the buffer can never catch up: it goes now, so that
    // its writer stops waiting for a socket that does not drain.
    for (const s of [...this.subscriptions]) {
      if (s.position < this.firstSeq) s.close('slow');
      else s.wake();
    }
  }

  reset(): void {
    this.ring.fill(undefined);
    this.firstSeq = this.nextSeq;
    for (const s of [...this.subscriptions]) s.close('reset');
  }

  /** Closes every subscription (the server is going away). */
  shutdown(): void {
    for (const s of [...this.subscriptions]) s.close('shutdown');
  }

  /**
   * Subscribes from the first buffered batch at or after `fromIndex` (0: the whole buffer);
   * when the buffer starts later than that, from its oldest batch.
   */
  subscribe(filter: EventFilter, fromIndex: number): EventSubscription {
    let seq = this.firstSeq;
    if (fromIndex > 0) {
      while (seq < this.nextSeq && this.batchAt(seq)!.Index < fromIndex) seq++;
    }
    const sub = new EventSubscription(this, filter, seq);
    this.subscriptions.add(sub);
    return sub;
  }

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  /** Buffered batches, oldest first. */
  get bufferedBatches(): number {
    return this.nextSeq - this.firstSeq;
  }

  /** @internal */
  read(seq: number): { batch: EventBatch | null; lost: boolean; end: number } {
    if (seq < this.firstSeq) return { batch: null, lost: true, end: this.nextSeq };
    return { batch: seq < this.nextSeq ? this.batchAt(seq)! : null, lost: false, end: this.nextSeq };
  }

  /** @internal */
  forget(sub: EventSubscription): void {
    this.subscriptions.delete(sub);
  }

  private batchAt(seq: number): EventBatch | undefined {
    return this.ring[seq % this.bufferSize];
  }
}

/** One reader of the buffer, with its own filter and position. */
export class EventSubscription {
  private closedBy: CloseReason | null = null;
  private waiter: (() => void) | null = null;

  constructor(
    private readonly broker: EventBroker,
    private readonly filter: EventFilter,
    private seq: number,
  ) {
    let resolveClosed: (reason: CloseReason) => void = () => {};
    this.closed = new Promise((resolve) => {
      resolveClosed = resolve;
    });
    this.onClose = resolveClosed;
  }

  get closeReason(): CloseReason | null {
    return this.closedBy;
  }

  /** The sequence number of the next batch this subscription reads. */
  get position(): number {
    return this.seq;
  }

  /** Resolves when the subscription closes. */
  readonly closed: Promise<CloseReason>;
  private readonly onClose: (reason: CloseReason) => void;

  /**
   * The batches published since the last call, filtered (batches with no matching event are
   * skipped), at most `max` of them. Closes the subscription when it fell behind the buffer.
   */
  take(max: number): EventBatch[] {
    const out: EventBatch[] = [];
    while (this.closedBy === null && out.length < max) {
      const { batch, lost } = this.broker.read(this.seq);
      if (lost) {
        this.close('slow');
        break;
      }
      if (batch === null) break;
      this.seq++;
      const events = batch.Events.filter((e) => eventMatches(this.filter, e));
      if (events.length > 0) out.push(events.length === batch.Events.length ? batch : { Index: batch.Index, Events: events });
    }
    return out;
  }

  /** Resolves when something was published (or the subscription closed, or `signal` aborted). */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.closedBy !== null || signal?.aborted) return Promise.resolve();
    const { end } = this.broker.read(this.seq);
    if (end > this.seq) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        if (this.waiter === done) this.waiter = null;
        resolve();
      };
      this.waiter = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  close(reason: CloseReason = 'unsubscribed'): void {
    if (this.closedBy !== null) return;
    this.closedBy = reason;
    this.broker.forget(this);
    this.wake();
    this.onClose(reason);
  }

  /** @internal */
  wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
