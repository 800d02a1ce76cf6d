// `alloc exec` at the driver: a command inside a running raw_exec, exec and docker task, its
// output by stream, its input, its exit code, and a terminal whose size follows resizes. Exec
// (isolation) and docker need root and an engine; without them those parts skip and say why.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TaskConfig, TaskDriver } from './driver.js';
import type { ExecSession } from './exec-session.js';
import { ExecDriver } from './exec.js';
import { RawExecDriver } from './raw_exec.js';
import { DockerDriver } from './docker.js';
import { importBusyboxImage, startTestEngine, type TestEngine } from '../../test/unit/docker-test-engine.js';
import { isolationSupport } from './isolation/isolated-driver.js';
import { devContext, taskConfig } from '../../test/unit/driver-support.js';

const base = mkdtempSync(join(tmpdir(), 'exec-session-test-'));
const IMAGE = 'nomad-test/busybox:exec';
const isolation = await isolationSupport();
let engine: TestEngine | null = null;
let dockerSkip: string | false = false;

before(async () => {
  const e = await startTestEngine();
  if ('skip' in e) dockerSkip = e.skip;
  else {
    engine = e;
    await importBusyboxImage(e, IMAGE);
  }
});
after(async () => {
  await engine?.stop();
  rmSync(base, { recursive: true, force: true });
});

function taskDirs(id: string): { allocDir: string; taskDir: string } {
  const allocDir = join(base, id);
  for (const d of ['alloc/logs', 'alloc/data', 'alloc/tmp', 'web/local', 'web/secrets', 'web/tmp']) mkdirSync(join(allocDir, d), { recursive: true, mode: 0o777 });
  return { allocDir, taskDir: join(allocDir, 'web') };
}

function longRunning(id: string, config: Record<string, unknown>): TaskConfig {
  const { allocDir, taskDir } = taskDirs(id);
  return { ...taskConfig(id, config, taskDir), allocDir, env: { PATH: '/usr/local/bin:/usr/bin:/bin', GREETING: 'hello' } };
}

/** Runs a session to its end (bounded), feeding `input` and closing stdin. */
async function runToEnd(session: ExecSession, input = ''): Promise<{ stdout: string; stderr: string; code: number }> {
  const out = { stdout: '', stderr: '' };
  session.onOutput((s, d) => (out[s] += d.toString('utf8')));
  if (input) session.writeStdin(Buffer.from(input));
  session.closeStdin();
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([session.exited, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`exec did not end: ${JSON.stringify(out)}`)), 15_000)))]);
  clearTimeout(timer);
  return { ...out, code };
}

/** Waits (bounded) until the session's output matches. */
function outputMatching(session: ExecSession, re: RegExp): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`output never matched ${re}: ${JSON.stringify(text)}`)), 15_000);
    session.onOutput((_s, d) => {
      text += d.toString('utf8');
      if (re.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
}

/**
 * Checks a driver's exec: streams, input, exit code, and a terminal; `sizes` says whether the
 * task can report its terminal's size (the test image's busybox has no working stty).
 */
async function checkDriver(driver: TaskDriver, cfg: TaskConfig, inside: string, sizes = true): Promise<void> {
  await driver.startTask(cfg);
  try {
    const plain = await runToEnd(await driver.execTask!(cfg.id, { command: ['/bin/sh', '-c', `echo "$GREETING"; echo oops >&2; cat; ${inside} && exit 3; exit 9`], tty: false }), 'from stdin\n');
    assert.equal(plain.code, 3);
    assert.match(plain.stdout, /^hello\nfrom stdin\n/);
    assert.equal(plain.stderr, 'oops\n');

    if (!sizes) {
      const term = await driver.execTask!(cfg.id, { command: ['/bin/sh', '-c', 'test -t 0 && test -t 1 && echo in-a-terminal; sleep 30'], tty: true, ttySize: { height: 20, width: 70 } });
      await outputMatching(term, /in-a-terminal\r\n/);
      term.kill();
      await term.exited;
      return;
    }
    const tty = await driver.execTask!(cfg.id, { command: ['/bin/sh', '-c', 'while true; do stty size; sleep 0.1; done'], tty: true, ttySize: { height: 20, width: 70 } });
    await outputMatching(tty, /20 70/);
    tty.resize({ height: 33, width: 101 });
    await outputMatching(tty, /33 101/);
    tty.kill();
    await tty.exited;
  } finally {
    await driver.destroyTask(cfg.id, true);
  }
}

describe('exec into running tasks', () => {
  it('raw_exec: beside the task, in its directory and environment', async () => {
    const cfg = longRunning('raw', { command: '/bin/sh', args: ['-c', 'while true; do sleep 1; done'] });
    await checkDriver(new RawExecDriver(devContext()), cfg, 'test "$(pwd)" = "$PWD"');
    const d = new RawExecDriver(devContext());
    await d.startTask({ ...cfg, id: 'raw-2' });
    const where = await runToEnd(await d.execTask('raw-2', { command: ['pwd'], tty: false }));
    assert.equal(where.stdout.trim(), cfg.taskDir);
    await d.destroyTask('raw-2', true);
  });

  it('exec: inside the task namespaces and chroot, as its user', { skip: isolation.ok ? false : `exec isolation unavailable: ${isolation.reason}` }, async () => {
    const driver = new ExecDriver({ ...devContext(), pluginConfig: { exec: { cgroup_parent: '/nomad-test' } }, stateDir: join(base, 'state') });
    const cfg = longRunning('iso', { command: '/bin/sh', args: ['-c', 'while true; do sleep 1; done'] });
    await checkDriver(driver, cfg, 'test -d /local && test ! -e /work && test "$(id -u)" = 65534');
  });

  it('docker: through the engine exec API', async (t) => {
    if (dockerSkip || !engine) return t.skip(dockerSkip || 'no engine');
    const driver = new DockerDriver({ ...devContext(), pluginConfig: { docker: { endpoint: `unix://${engine.socketPath}` } } });
    const cfg = longRunning('dock', { image: IMAGE, command: '/bin/sh', args: ['-c', 'while true; do sleep 1; done'] });
    await checkDriver(driver, cfg, 'test -d /local', false);
  });
});
