// A task process as both supervisors (the executor process and the agent itself) see it: why it
// could not be started, and its output and end: stdout and stderr written into the task's sinks,
// and the end reported once the output is written.
import type { ChildProcess } from 'node:child_process';

/** Output a task's descendants still write after it exited is waited for this long, no longer. */
const DRAIN_AFTER_EXIT_MS = 2_000;

/** A failed spawn as Nomad's executor words it: a missing command by name, anything else as it came. */
export function spawnErrorText(command: string, e: NodeJS.ErrnoException): string {
  return e.code === 'ENOENT' ? `exec: "${command}": executable file not found in $PATH` : e.message;
}

export interface ChildEnd {
  code: number | null;
  signal: string | null;
}

/**
 * Writes the child's stdout and stderr into the sinks and calls `ended` once: after the child's
 * exit and both pipes' end, or DRAIN_AFTER_EXIT_MS after its exit when descendants still hold
 * the pipes open.
 */
export function followChildOutput(
  child: ChildProcess,
  stdout: { write(chunk: Buffer): unknown },
  stderr: { write(chunk: Buffer): unknown },
  ended: (end: ChildEnd) => void,
): void {
  let open = 2;
  let exit: ChildEnd | null = null;
  let drainTimer: NodeJS.Timeout | null = null;
  let reported = false;
  const report = (): void => {
    if (reported) return;
    reported = true;
    if (drainTimer) clearTimeout(drainTimer);
    ended(exit!);
  };
  const maybeReport = (): void => {
    if (exit && open === 0) report();
  };
  for (const [stream, sink] of [
    [child.stdout!, stdout],
    [child.stderr!, stderr],
  ] as const) {
    stream.on('data', (b: Buffer) => sink.write(b));
    stream.once('close', () => {
      open--;
      maybeReport();
    });
  }
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    maybeReport();
    if (open > 0) drainTimer = setTimeout(report, DRAIN_AFTER_EXIT_MS);
  });
}
