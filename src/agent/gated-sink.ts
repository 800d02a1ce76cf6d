// Holds log lines back until the banner has been printed, so that the agent's output reads in
// order (configuration first, then the log), while start-up work already logs.
import type { LogSink } from './logger.js';

const MAX_BUFFERED_LINES = 10_000;

export class GatedSink implements LogSink {
  private buffered: string[] | null = [];

  constructor(private readonly out: LogSink) {}

  write(line: string): void {
    if (this.buffered === null) this.out.write(line);
    else if (this.buffered.length < MAX_BUFFERED_LINES) this.buffered.push(line);
  }

  open(): void {
    if (this.buffered === null) return;
    const lines = this.buffered;
    this.buffered = null;
    for (const l of lines) this.out.write(l);
  }
}
