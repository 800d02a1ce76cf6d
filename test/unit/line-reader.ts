// Reads a streaming HTTP answer line by line (newline-delimited JSON frames), waiting with a bound.
import type { IncomingMessage } from 'node:http';

/** Reads newline-delimited frames from a stream as they come; `next` waits (bounded) for the next line. */
export class LineReader {
  private buf = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  ended = false;

  constructor(readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      this.buf += c;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      this.waiter?.();
    });
    res.on('end', () => {
      this.ended = true;
      this.waiter?.();
    });
  }

  /** What came after the last newline (a closing message has none). */
  get rest(): string {
    return this.buf;
  }

  async next(timeoutMs = 10_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = null;
          resolve();
        };
      });
    }
    return this.lines.shift()!;
  }

  /** Reads frames until one satisfies `match` (bounded); returns it. */
  async until(match: (frame: any) => boolean, timeoutMs = 10_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.next(Math.max(1, deadline - Date.now()));
      if (line === null) throw new Error('stream ended before a matching frame');
      const frame = JSON.parse(line);
      if (match(frame)) return frame;
    }
  }
}
