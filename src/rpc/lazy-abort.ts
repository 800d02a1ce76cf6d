// The cancellation of one inbound request. Most handlers never look at their signal and most
// requests end without being cancelled, yet an AbortController and its AbortSignal cost more to
// make than a short call costs to serve (a forwarded job registration, a Raft heartbeat): the
// controller is made only when a handler asks for the signal, or when a cancellation must reach one.

export class LazyAbort {
  private controller: AbortController | null = null;
  private reasonGiven: unknown = undefined;
  private done = false;

  get aborted(): boolean {
    return this.done;
  }

  /** The signal handlers see: made on first use, already aborted when the request was. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.done) this.controller.abort(this.reasonGiven);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.done) return;
    this.done = true;
    this.reasonGiven = reason;
    this.controller?.abort(reason);
  }
}
