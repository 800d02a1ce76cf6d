// A server duty that runs as one loop until stopped (scheduling workers, the plan applier).
// start() is idempotent, so a leader elected twice in a row starts one loop; stop() waits for
// the round in progress, so that nothing the loop writes lands after leadership is given up.

export abstract class BackgroundLoop {
  /** Read by the loop between rounds: false once stop() was called. */
  protected running = false;
  private loop: Promise<void> | null = null;

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.loop = null;
  }

  /** The loop itself: rounds until `running` turns false, each with its own bounded wait. */
  protected abstract run(): Promise<void>;
}
