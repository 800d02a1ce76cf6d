// The on-disk layout of an allocation, as Nomad's: <data>/alloc/<allocID>/alloc/{logs,data,tmp}
// shared by the group's tasks, and <data>/alloc/<allocID>/<task>/{local,secrets,tmp} per task.
import { chmod, mkdir, rm } from 'node:fs/promises';
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

  async build(): Promise<void> {
    // The shared dir is world-writable (0777) as in Nomad, so tasks running as other users can share files.
    await mkdir(this.allocDir, { recursive: true, mode: 0o755 });
    await mkdir(this.sharedDir, { recursive: true });
    await Promise.all([this.logsDir, this.dataDir, this.tmpDir].map((d) => mkdir(d, { recursive: true })));
    // chmod, not the mkdir mode: the mode passed to mkdir is narrowed by the process umask.
    await Promise.all([this.sharedDir, this.logsDir, this.dataDir, this.tmpDir].map((d) => chmod(d, 0o777)));
  }

  async buildTask(task: string): Promise<TaskDirPaths> {
    const p = this.taskDir(task);
    await mkdir(p.dir, { recursive: true });
    await Promise.all([mkdir(p.local, { recursive: true }), mkdir(p.secrets, { recursive: true }), mkdir(p.tmp, { recursive: true })]);
    await Promise.all([chmod(p.dir, 0o777), chmod(p.local, 0o777), chmod(p.secrets, 0o700), chmod(p.tmp, 0o777)]);
    return p;
  }

  async destroy(): Promise<void> {
    await rm(this.allocDir, { recursive: true, force: true });
  }
}
