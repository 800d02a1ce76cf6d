// Shared bits for driver tests: a context and an in-memory log sink.
import type { DriverContext, LogSink, TaskConfig } from './driver.js';

export function devContext(): DriverContext {
  return { devMode: true, options: {}, pluginConfig: {}, cpuMhzPerCore: () => 2000 };
}

export class MemorySink implements LogSink {
  chunks: Uint8Array[] = [];
  private waiters: Array<{ text: string; resolve: () => void }> = [];
  write(chunk: Buffer): void {
    this.chunks.push(new Uint8Array(chunk));
    const all = this.text();
    this.waiters = this.waiters.filter((w) => (all.includes(w.text) ? (w.resolve(), false) : true));
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  /** Resolves once the output contains `text`; rejects after timeoutMs. */
  waitFor(text: string, timeoutMs = 5_000): Promise<void> {
    if (this.text().includes(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for output ${JSON.stringify(text)}; got ${JSON.stringify(this.text())}`)), timeoutMs);
      this.waiters.push({ text, resolve: () => (clearTimeout(t), resolve()) });
    });
  }
}

export function taskConfig(id: string, config: Record<string, unknown>, dir: string, out = new MemorySink(), err = new MemorySink()): TaskConfig {
  return {
    id,
    allocId: 'alloc-1',
    taskName: 'web',
    jobName: 'example',
    taskGroupName: 'cache',
    config,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GREETING: 'hello' },
    user: '',
    taskDir: dir,
    allocDir: dir,
    resources: { cpuShares: 100, memoryMB: 64, memoryMaxMB: 0 },
    stdout: out,
    stderr: err,
  };
}
