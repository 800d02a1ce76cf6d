// The executor process (see spec.ts): `node main.js <dir>` with <dir>/spec.json written by the
// agent. It leads its own session and ignores the signals a terminal or an agent's shutdown would
// send, so that it ends only after its task: the agent stops a task by signalling the task itself.
import { spawn } from 'node:child_process';
import { closeSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LogRotator } from '../log-rotator.js';
import { followChildOutput, spawnErrorText } from './child-output.js';
import { processStartTicks } from '../host-process.js';
import { STATUS_FILE, SPEC_FILE, TASK_FILE, type ExecutorControlLine, type ExecutorSpec, type ExecutorStatus, type ExecutorTaskRecord } from './spec.js';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: executor <dir>\n');
  process.exit(2);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(sig, () => undefined);

function writeAtomic(name: string, value: unknown): void {
  const path = join(dir!, name);
  writeFileSync(`${path}.tmp`, JSON.stringify(value), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** The agent may be gone (a restarted client reads the files instead): a broken pipe is fine. */
function tellAgent(line: ExecutorControlLine): void {
  try {
    writeSync(1, JSON.stringify(line) + '\n');
  } catch {
    // no agent listening
  }
  try {
    closeSync(1);
  } catch {
    // already closed
  }
}

function finish(status: Omit<ExecutorStatus, 'endedAtMs'>): never {
  writeAtomic(STATUS_FILE, { ...status, endedAtMs: Date.now() } satisfies ExecutorStatus);
  process.exit(0);
}

const spec = JSON.parse(readFileSync(join(dir, SPEC_FILE), 'utf8')) as ExecutorSpec;
const stdout = new LogRotator(spec.stdout);
const stderr = new LogRotator(spec.stderr);
const child = spawn(spec.command, spec.args, {
  cwd: spec.cwd,
  env: spec.env,
  detached: true, // setsid: the task leads its own process group
  stdio: ['ignore', 'pipe', 'pipe', spec.passFd3 ? 3 : 'ignore'],
});

child.once('error', (e: NodeJS.ErrnoException) => {
  const why = spawnErrorText(spec.command, e);
  tellAgent({ error: why });
  finish({ code: null, signal: null, error: why });
});

child.once('spawn', () => {
  const pid = child.pid!;
  void processStartTicks(pid).then((ticks) => {
    writeAtomic(TASK_FILE, { pid, startTicks: ticks ?? 0 } satisfies ExecutorTaskRecord);
    tellAgent({ pid });
    // The task holds fd 3 now; the agent must see it close when the task closes it.
    if (spec.passFd3) closeSync(3);
  });
});

followChildOutput(child, stdout, stderr, (end) => finish({ ...end, error: null }));
