// The on-disk layout of an allocation, as Nomad's: <data>/alloc/<allocID>/alloc/{logs,data,tmp}
// shared by the group's tasks, and <data>/alloc/<allocID>/<task>/{local,secrets,tmp} per task.
import { chmodSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface TaskDirPaths {
  dir: string;
  local: string;
  secrets: string;
  tmp: string;
}

export class AllocDir {
  readonly allocDir: string;
  readonly sharedDir: string;
  readonly logsDir: string;
  readonly dataDir: string;
  readonly tmpDir: string;

  constructor(
    readonly allocRoot: string,
    readonly allocId: string,
  ) {
    this.allocDir = join(allocRoot, allocId);
    this.sharedDir = join(this.allocDir, 'alloc');
    this.logsDir = join(this.sharedDir, 'logs');
    this.dataDir = join(this.sharedDir, 'data');
    this.tmpDir = join(this.sharedDir, 'tmp');
  }

  taskDir(task: string): TaskDirPaths {
    const dir = join(this.allocDir, task);
    return { dir, local: join(dir, 'local'), secrets: join(dir, 'secrets'), tmp: join(dir, 'tmp') };
  }

  // The directories are made with synchronous calls: a dozen mkdir/chmod calls take tens of
  // microseconds, while each awaited one is a thread-pool round trip, and the chain of them was
  // most of the time between an allocation's arrival and its task starting.

  async build(): Promise<void> {
    // The shared dir is world-writable (0777) as in Nomad, so tasks running as other users can share files.
    mkdirSync(this.allocDir, { recursive: true, mode: 0o755 });
    for (const d of [this.sharedDir, this.logsDir, this.dataDir, this.tmpDir]) {
      mkdirSync(d, { recursive: true });
      // chmod, not the mkdir mode: the mode passed to mkdir is narrowed by the process umask.
      chmodSync(d, 0o777);
    }
  }

  async buildTask(task: string): Promise<TaskDirPaths> {
    const p = this.taskDir(task);
    for (const [d, mode] of [[p.dir, 0o777], [p.local, 0o777], [p.secrets, 0o700], [p.tmp, 0o777]] as const) {
      mkdirSync(d, { recursive: true });
      chmodSync(d, mode);
    }
    return p;
  }

  async destroy(): Promise<void> {
    await rm(this.allocDir, { recursive: true, force: true });
  }
}
