// Shared bits for driver tests: a context, and a log sink backed by real rotated log files (the
// files an executor writes for host processes, and what the docker driver writes into).
import { mkdtempSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverContext, LogFiles, LogSink, TaskConfig } from '../../src/drivers/driver.js';
import { LogRotator, logFileIndexes } from '../../src/drivers/log-rotator.js';

const sinkDirs: string[] = [];
process.on('exit', () => {
  for (const d of sinkDirs) rmSync(d, { recursive: true, force: true });
});

/** Driver state (executor files) of this test process: test files run side by side and reuse task ids. */
let processStateDir: string | null = null;

export function devContext(): DriverContext {
  if (processStateDir === null) {
    processStateDir = mkdtempSync(join(tmpdir(), 'driver-state-'));
    sinkDirs.push(processStateDir);
  }
  return { devMode: true, options: {}, pluginConfig: {}, cpuMhzPerCore: () => 2000, stateDir: processStateDir };
}

export class LogFileSink implements LogSink {
  readonly files: LogFiles;
  private readonly rotator: LogRotator;

  constructor() {
    const dir = mkdtempSync(join(tmpdir(), 'driver-sink-'));
    sinkDirs.push(dir);
    this.rotator = new LogRotator({ dir, baseName: 'task.out', maxFiles: 5, maxFileSizeBytes: 10 * 1024 * 1024 });
    this.files = this.rotator.files;
  }

  write(chunk: Buffer): void {
    this.rotator.write(chunk);
  }

  /** Everything written so far, by this process or by an executor, in file order. */
  text(): string {
    return logFileIndexes(this.files.dir, this.files.baseName)
      .map((i) => readFileSync(join(this.files.dir, `${this.files.baseName}.${i}`), 'utf8'))
      .join('');
  }

  /** Resolves once the output contains `text` (watching the log directory); rejects after timeoutMs. */
  waitFor(text: string, timeoutMs = 5_000): Promise<void> {
    if (this.text().includes(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const watcher = watch(this.files.dir, () => {
        if (this.text().includes(text)) finish(null);
      });
      const timer = setTimeout(() => finish(new Error(`timed out waiting for output ${JSON.stringify(text)}; got ${JSON.stringify(this.text())}`)), timeoutMs);
      const finish = (e: Error | null): void => {
        clearTimeout(timer);
        watcher.close();
        if (e) reject(e);
        else resolve();
      };
      // Written between the first look and the watch: look once more.
      if (this.text().includes(text)) finish(null);
    });
  }
}

export function taskConfig(id: string, config: Record<string, unknown>, dir: string, out = new LogFileSink(), err = new LogFileSink()): TaskConfig {
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
