// A command run inside a running task (`nomad alloc exec`): its output as it comes, its input,
// the terminal size when it has a terminal, and its exit code. Host-process drivers run the
// command as a child process, in a pseudo-terminal made by util-linux's `script` when asked.
import { spawn, type ChildProcess } from 'node:child_process';
import { readlink } from 'node:fs/promises';
import { shq } from './isolation/launcher.js';
import { childPids } from './isolation/proc-tree.js';
import { signalNumber } from './signals.js';

/** How long a resize waits for the command's terminal to exist: 40 x 25 ms. */
const RESIZE_ATTEMPTS = 40;
const RESIZE_RETRY_MS = 25;

export interface TtySize {
  height: number;
  width: number;
}

export interface ExecOptions {
  command: string[];
  tty: boolean;
  /** The terminal's size at the start (tty only). */
  ttySize?: TtySize;
}

export interface ExecSession {
  /** Output as it comes; with a terminal everything arrives on stdout. */
  onOutput(fn: (stream: 'stdout' | 'stderr', data: Buffer) => void): void;
  writeStdin(data: Buffer): void;
  closeStdin(): void;
  resize(size: TtySize): void;
  /** The command's exit code (128 + signal when a signal ended it). */
  readonly exited: Promise<number>;
  /** Ends the command (the caller went away). */
  kill(): void;
}

/** How a host-process driver runs one exec: a shell command line, its environment and directory. */
export interface HostExecSpec {
  /** Run by /bin/sh; it gives the command its terminal itself (see withTerminal) when one is asked for. */
  shellCommand: string;
  env: Record<string, string>;
  cwd: string;
}

/**
 * The command line that runs `argv` in a new pseudo-terminal of the size asked for (util-linux's
 * `script`), or as it is without a terminal. Run where the terminal must exist: inside a task's
 * namespaces and chroot, the terminal is one of the task's own.
 */
export function withTerminal(argv: string[], opts: ExecOptions): string {
  if (!opts.tty) return `exec ${shellLine(argv)}`;
  const size = opts.ttySize && opts.ttySize.height > 0 && opts.ttySize.width > 0 ? `stty rows ${opts.ttySize.height} cols ${opts.ttySize.width} 2>/dev/null; ` : '';
  return `exec script -qfec ${shq(`${size}exec ${shellLine(argv)}`)} /dev/null`;
}

/** Quotes a command and its arguments into one shell command line. */
export function shellLine(argv: string[]): string {
  return argv.map(shq).join(' ');
}

/** Runs a host exec spec as a session. */
export function startHostExec(spec: HostExecSpec, opts: ExecOptions): ExecSession {
  const child = spawn('/bin/sh', ['-c', spec.shellCommand], { env: spec.env, cwd: spec.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  return new ProcessExecSession(child, opts.tty);
}

/** The first process below `pid` (breadth first, bounded) whose input is a pseudo-terminal. */
async function terminalHolder(pid: number): Promise<number | null> {
  let level = [pid];
  for (let depth = 0; depth < 6 && level.length > 0; depth++) {
    for (const p of level) {
      // Seen from here, a terminal of a chrooted task shows below the task's root.
      const fd0 = await readlink(`/proc/${p}/fd/0`).catch(() => '');
      if (/\/dev\/pts\/\d+$/.test(fd0)) return p;
    }
    level = (await Promise.all(level.map((p) => childPids(p)))).flat();
  }
  return null;
}

class ProcessExecSession implements ExecSession {
  readonly exited: Promise<number>;
  private readonly listeners: Array<(stream: 'stdout' | 'stderr', data: Buffer) => void> = [];

  constructor(
    private readonly child: ChildProcess,
    private readonly tty: boolean,
  ) {
    child.stdout!.on('data', (b: Buffer) => this.emit('stdout', b));
    child.stderr!.on('data', (b: Buffer) => this.emit('stderr', b));
    // A command that ends without reading its input must not make writes to it fail loudly.
    child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.once('error', () => resolve(127));
      child.once('close', (code, signal) => resolve(signal ? 128 + signalNumber(signal) : (code ?? 0)));
    });
  }

  private emit(stream: 'stdout' | 'stderr', data: Buffer): void {
    for (const l of this.listeners) l(stream, data);
  }

  onOutput(fn: (stream: 'stdout' | 'stderr', data: Buffer) => void): void {
    this.listeners.push(fn);
  }

  writeStdin(data: Buffer): void {
    if (this.child.stdin!.writable) this.child.stdin!.write(data as unknown as Uint8Array);
  }

  closeStdin(): void {
    this.child.stdin!.end();
  }

  /**
   * Sets the size of the terminal the command holds (its stdin), which signals it SIGWINCH. A
   * size that comes before the command has its terminal is applied once it has, within a bound.
   */
  resize(size: TtySize): void {
    if (!this.tty || this.child.pid === undefined || size.height <= 0 || size.width <= 0) return;
    void (async () => {
      for (let attempt = 0; attempt < RESIZE_ATTEMPTS; attempt++) {
        const holder = this.child.exitCode === null ? await terminalHolder(this.child.pid!) : null;
        if (holder !== null) {
          // Through /proc: the terminal may be one of a task's own, not reachable by its name here.
          spawn('stty', ['-F', `/proc/${holder}/fd/0`, 'rows', String(size.height), 'cols', String(size.width)], { stdio: 'ignore' }).on('error', () => undefined);
          return;
        }
        if (this.child.exitCode !== null) return;
        await new Promise((r) => setTimeout(r, RESIZE_RETRY_MS));
      }
    })();
  }

  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The environment and working directory of a running process, as /proc shows them. */
export async function processContext(pid: number): Promise<{ env: Record<string, string>; cwd: string }> {
  const { readFile } = await import('node:fs/promises');
  const raw = await readFile(`/proc/${pid}/environ`, 'utf8');
  const env: Record<string, string> = {};
  for (const kv of raw.split('\0')) {
    const at = kv.indexOf('=');
    if (at > 0) env[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return { env, cwd: await readlink(`/proc/${pid}/cwd`) };
}

/** The real user and group a process runs as. */
export async function processCredentials(pid: number): Promise<{ uid: number; gid: number }> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { uid: field('Uid'), gid: field('Gid') };
}
