// A logger for RPC tests that keeps its lines and lets a test wait for one to appear.
import type { RpcLogger } from '../../../src/rpc/index.js';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
}

export class CaptureLogger implements RpcLogger {
  readonly lines: LogLine[] = [];
  private waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  debug(msg: string): void {
    this.add('debug', msg);
  }
  info(msg: string): void {
    this.add('info', msg);
  }
  warn(msg: string): void {
    this.add('warn', msg);
  }
  error(msg: string): void {
    this.add('error', msg);
  }

  private add(level: LogLine['level'], msg: string): void {
    const line = { level, msg };
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Resolves with the first line (already logged or to come) that matches; rejects after timeoutMs. */
  waitFor(match: RegExp, timeoutMs = 5000): Promise<LogLine> {
    const test = (l: LogLine): boolean => match.test(l.msg);
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line matching ${match} within ${timeoutMs} ms; got:\n${this.lines.map((l) => `${l.level} ${l.msg}`).join('\n')}`)), timeoutMs);
      this.waiters.push({
        match: test,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }
}
