// A task's cgroups on a cgroup v1 host: one directory per controller under a parent
// ("/nomad" by default, as Nomad's cgroup_parent), holding the memory, CPU, cpuset and pids
// limits. The kernel enforces them; we only write the files, read usage back, and clean up.
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids'] as const;
export type Controller = (typeof CONTROLLERS)[number];
export type ControllerPaths = Record<Controller, string>;

const MIB = 1024 * 1024;
/** The kernel rejects cpu.shares below 2. */
const MIN_CPU_SHARES = 2;
/** Bound on kill rounds: each round kills what is in the cgroup now; forks in flight land in the next. */
const MAX_KILL_ROUNDS = 200;
const KILL_ROUND_WAIT_MS = 10;

/** Where each v1 controller is mounted, from /proc/self/mountinfo; null when one is missing. */
export function parseCgroupV1Mounts(mountinfo: string): Partial<ControllerPaths> {
  const out: Partial<ControllerPaths> = {};
  for (const line of mountinfo.split('\n')) {
    // "<id> <parent> <maj:min> <root> <mountpoint> <opts> [optional...] - <fstype> <source> <superopts>"
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (right[0] !== 'cgroup') continue;
    const mountpoint = left[4];
    if (!mountpoint) continue;
    const superOpts = (right[2] ?? '').split(',');
    for (const c of CONTROLLERS) if (superOpts.includes(c) && out[c] === undefined) out[c] = mountpoint;
  }
  return out;
}

export async function cgroupV1Mounts(): Promise<{ mounts: ControllerPaths | null; missing: Controller[] }> {
  let text = '';
  try {
    text = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return { mounts: null, missing: [...CONTROLLERS] };
  }
  const found = parseCgroupV1Mounts(text);
  const missing = CONTROLLERS.filter((c) => found[c] === undefined);
  return { mounts: missing.length === 0 ? (found as ControllerPaths) : null, missing };
}

export interface CgroupLimits {
  /** Hard limit: the task is OOM-killed above it. */
  memoryLimitBytes: number;
  /** Soft limit: reclaimed first under host memory pressure (Nomad's `memory` when `memory_max` is set). */
  memorySoftLimitBytes: number;
  cpuShares: number;
  /** "0-1,3": pinned cores; null to use every core the parent has. */
  cpusetCpus: string | null;
  /** Most processes and threads at once; null for no limit. */
  pidsMax: number | null;
}

export function limitsFor(memoryMB: number, memoryMaxMB: number, cpuShares: number, cores: number[] | undefined, pidsMax: number | null): CgroupLimits {
  const soft = Math.max(0, memoryMB) * MIB;
  const hard = memoryMaxMB > memoryMB ? memoryMaxMB * MIB : soft;
  return {
    memoryLimitBytes: hard,
    memorySoftLimitBytes: soft,
    cpuShares: Math.max(MIN_CPU_SHARES, Math.round(cpuShares)),
    cpusetCpus: cores && cores.length > 0 ? cores.join(',') : null,
    pidsMax,
  };
}

async function readTrim(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return '';
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** A new cpuset cgroup starts with no CPUs and no memory nodes; copy them down from its parent. */
async function inheritCpuset(dir: string, parent: string): Promise<void> {
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    if ((await readTrim(join(dir, f))) === '') await writeFile(join(dir, f), await readTrim(join(parent, f)));
  }
}

export class TaskCgroup {
  private constructor(readonly paths: ControllerPaths) {}

  /** Rebuilds the handle of a cgroup created by an earlier client process. */
  static fromPaths(paths: ControllerPaths): TaskCgroup {
    return new TaskCgroup(paths);
  }

  /** Creates <mount>/<parent>/<name> for every controller and writes the limits. */
  static async create(mounts: ControllerPaths, parent: string, name: string, limits: CgroupLimits): Promise<TaskCgroup> {
    const rel = parent.replace(/^\/+|\/+$/g, '');
    const paths = {} as ControllerPaths;
    for (const c of CONTROLLERS) {
      const parentDir = rel ? join(mounts[c], rel) : mounts[c];
      await mkdir(parentDir, { recursive: true });
      if (c === 'cpuset') await inheritCpuset(parentDir, mounts[c]);
      const dir = join(parentDir, name);
      await mkdir(dir, { recursive: true });
      if (c === 'cpuset') await inheritCpuset(dir, parentDir);
      paths[c] = dir;
    }
    const cg = new TaskCgroup(paths);
    try {
      await cg.applyLimits(limits);
    } catch (err) {
      await cg.remove().catch(() => undefined);
      throw err;
    }
    return cg;
  }

  private async applyLimits(l: CgroupLimits): Promise<void> {
    const mem = this.paths.memory;
    if (l.memoryLimitBytes > 0) {
      // Swap would let a task run past its limit instead of being killed; Nomad's tasks do not swap.
      await writeFile(join(mem, 'memory.swappiness'), '0').catch(() => undefined);
      await writeFile(join(mem, 'memory.limit_in_bytes'), String(l.memoryLimitBytes));
      if (await exists(join(mem, 'memory.memsw.limit_in_bytes'))) {
        await writeFile(join(mem, 'memory.memsw.limit_in_bytes'), String(l.memoryLimitBytes)).catch(() => undefined);
      }
      if (l.memorySoftLimitBytes > 0 && l.memorySoftLimitBytes < l.memoryLimitBytes) {
        await writeFile(join(mem, 'memory.soft_limit_in_bytes'), String(l.memorySoftLimitBytes));
      }
    }
    await writeFile(join(this.paths.cpu, 'cpu.shares'), String(l.cpuShares));
    if (l.cpusetCpus !== null) await writeFile(join(this.paths.cpuset, 'cpuset.cpus'), l.cpusetCpus);
    if (l.pidsMax !== null) await writeFile(join(this.paths.pids, 'pids.max'), String(l.pidsMax));
  }

  /** The cgroup.procs files a process writes its pid into to join every controller. */
  procsFiles(): string[] {
    // cpu and cpuacct may be one hierarchy mounted twice (cpu,cpuacct): join each directory once.
    return [...new Set(Object.values(this.paths))].map((d) => join(d, 'cgroup.procs'));
  }

  async pids(): Promise<number[]> {
    const text = await readTrim(join(this.paths.memory, 'cgroup.procs'));
    return text === '' ? [] : text.split('\n').map(Number).filter((n) => n > 0);
  }

  /** True when the kernel's OOM killer ended a process of this cgroup. */
  async oomKilled(): Promise<boolean> {
    const ctl = await readTrim(join(this.paths.memory, 'memory.oom_control'));
    const m = /oom_kill (\d+)/.exec(ctl);
    if (m) return Number(m[1]) > 0;
    // Kernels before 4.13 lack the counter; hitting the limit is the best evidence left.
    return Number(await readTrim(join(this.paths.memory, 'memory.failcnt'))) > 0 && /under_oom 1/.test(ctl);
  }

  /** SIGKILLs everything in the cgroup until it is empty; bounded, so a fork bomb cannot hold us. */
  async killAll(): Promise<boolean> {
    for (let round = 0; round < MAX_KILL_ROUNDS; round++) {
      const pids = await this.pids();
      if (pids.length === 0) return true;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await new Promise((r) => setTimeout(r, KILL_ROUND_WAIT_MS));
    }
    return (await this.pids()).length === 0;
  }

  /** Kills what is left and removes the directories; rmdir only succeeds on an empty cgroup. */
  async remove(): Promise<void> {
    await this.killAll();
    const errors: string[] = [];
    for (const dir of new Set(Object.values(this.paths))) {
      try {
        await rmdir(dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') errors.push(`${dir}: ${(err as Error).message}`);
      }
    }
    if (errors.length > 0) throw new Error(`failed to remove cgroups: ${errors.join('; ')}`);
  }

  async readFileIn(c: Controller, file: string): Promise<string> {
    return readTrim(join(this.paths[c], file));
  }
}
