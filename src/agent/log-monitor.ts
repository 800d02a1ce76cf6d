// One `nomad monitor` reader of the agent's log: a tap at its own level and format whose lines
// queue up to a bound. A reader slower than the log loses lines rather than holding memory, and
// is told how many, as Nomad's monitor tells it.
import type { LogLevel, LogTap } from './logger.js';

/** Lines a monitor keeps while its reader is busy. */
export const MONITOR_QUEUE_LINES = 512;

export class LogMonitor implements LogTap {
  private queue: string[] = [];
  private dropped = 0;
  private waiter: (() => void) | null = null;
  private closed = false;

  constructor(
    readonly level: LogLevel,
    readonly json: boolean,
    private readonly maxLines = MONITOR_QUEUE_LINES,
  ) {}

  write(line: string): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxLines) this.dropped++;
    else this.queue.push(line);
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** The lines that came since the last call (waiting for some); null once closed or aborted. */
  async next(signal: AbortSignal): Promise<string[] | null> {
    while (this.queue.length === 0 && this.dropped === 0) {
      if (this.closed || signal.aborted) return null;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          this.waiter = null;
          resolve();
        };
        this.waiter = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    const lines = this.queue;
    this.queue = [];
    if (this.dropped > 0) {
      lines.push(this.droppedNotice(this.dropped));
      this.dropped = 0;
    }
    return lines;
  }

  close(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private droppedNotice(n: number): string {
    const ts = new Date().toISOString();
    const msg = `Monitor dropped ${n} logs during monitor request`;
    if (this.json) return JSON.stringify({ '@level': 'warn', '@message': msg, '@module': 'agent', '@timestamp': ts }) + '\n';
    return `${ts} [WARN]  agent: ${msg}\n`;
  }
}
