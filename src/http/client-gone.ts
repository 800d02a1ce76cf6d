// The end of a blocking query when its client goes away, without an AbortController per request:
// hundreds of blocking queries re-armed after every write each made one (an EventTarget, its
// listener records, the abort machinery), a cost paid again on every wake-up of a watched list.
import type { WaitCancel } from '../state/reader.js';

export class ClientGone implements WaitCancel {
  private gone = false;
  /** Few at a time: a request waits on one thing at once. */
  private listeners: Array<() => void> = [];

  get aborted(): boolean {
    return this.gone;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.gone) return;
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  /** The client went away: every listener is called once (as with { once: true }), then dropped. */
  fire(): void {
    if (this.gone) return;
    this.gone = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l();
  }
}
