import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DriverStartError } from './driver.js';
import { RawExecDriver } from './raw_exec.js';
import { devContext, LogFileSink, taskConfig } from '../../test/unit/driver-support.js';

const dir = mkdtempSync(join(tmpdir(), 'raw-exec-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('raw_exec driver', () => {
  it('is enabled in dev mode, or by the client option, and fingerprints as Nomad', async () => {
    assert.deepEqual(await new RawExecDriver(devContext()).fingerprint(), {
      Detected: true,
      Healthy: true,
      HealthDescription: 'Healthy',
      Attributes: { 'driver.raw_exec': 'true' },
    });
    const off = new RawExecDriver({ ...devContext(), devMode: false });
    assert.equal((await off.fingerprint()).Detected, false);
    const on = new RawExecDriver({ ...devContext(), devMode: false, options: { 'driver.raw_exec.enable': '1' } });
    assert.equal((await on.fingerprint()).Healthy, true);
  });

  it('validates config with field paths', () => {
    const d = new RawExecDriver(devContext());
    assert.deepEqual(d.validateConfig({ command: '/bin/true', args: ['a'] }), []);
    assert.deepEqual(d.validateConfig({ args: 'x', bogus: 1 }), [
      'config.command: a non-empty string is required',
      'config.args: must be a list of strings',
      'config.bogus: unknown field for the raw_exec driver',
    ]);
  });

  // The same behaviour whoever supervises the task: its executor, or a dev agent itself.
  for (const supervision of ['executor', 'agent'] as const) {
    describe(`supervised by the ${supervision}`, () => {
      const ctx = { ...devContext(), supervision };
      it('runs a command with args, env and cwd, capturing stdout and stderr', async () => {
        const d = new RawExecDriver(ctx);
        const out = new LogFileSink();
        const err = new LogFileSink();
        await d.startTask(taskConfig(`${supervision}-t1`, { command: '/bin/sh', args: ['-c', 'echo "$GREETING $(pwd)"; echo oops >&2; exit 3'] }, dir, out, err));
        const res = await d.waitTask(`${supervision}-t1`);
        assert.deepEqual(res, { ExitCode: 3, Signal: 0, OOMKilled: false, Err: null });
        await out.waitFor(`hello ${dir}\n`);
        await err.waitFor('oops\n');
        assert.equal(d.inspectTask(`${supervision}-t1`).state, 'exited');
        await d.destroyTask(`${supervision}-t1`, false);
      });

      it('reports a missing executable as an unrecoverable start error', async () => {
        const d = new RawExecDriver(ctx);
        await assert.rejects(d.startTask(taskConfig(`${supervision}-t2`, { command: 'no-such-binary-xyz' }, dir)), (e: unknown) => {
          assert.ok(e instanceof DriverStartError);
          assert.equal(e.recoverable, false);
          assert.match(e.message, /executable file not found/);
          return true;
        });
      });

      it('stops with the kill signal: a shell loop ends with exit code 130, signal 2', async () => {
        const d = new RawExecDriver(ctx);
        const out = new LogFileSink();
        await d.startTask(taskConfig(`${supervision}-t3`, { command: '/bin/sh', args: ['-c', 'echo up; while true; do sleep 0.05; done'] }, dir, out));
        await out.waitFor('up');
        await d.stopTask(`${supervision}-t3`, 5_000, 'SIGINT');
        assert.deepEqual(await d.waitTask(`${supervision}-t3`), { ExitCode: 130, Signal: 2, OOMKilled: false, Err: null });
        await d.destroyTask(`${supervision}-t3`, true);
      });

      it('force kills after the kill timeout when the task ignores the signal', async () => {
        const d = new RawExecDriver(ctx);
        const out = new LogFileSink();
        await d.startTask(taskConfig(`${supervision}-t4`, { command: '/bin/sh', args: ['-c', 'trap "" INT; echo ready; while true; do sleep 0.05; done'] }, dir, out));
        await out.waitFor('ready');
        const t0 = Date.now();
        await d.stopTask(`${supervision}-t4`, 200, 'SIGINT');
        const res = await d.waitTask(`${supervision}-t4`);
        assert.equal(res.Signal, 9);
        assert.equal(res.ExitCode, 137);
        assert.ok(Date.now() - t0 >= 190, 'waited for the kill timeout before SIGKILL');
        await d.destroyTask(`${supervision}-t4`, true);
      });

      it('reports stats summed over the process tree', async () => {
        const d = new RawExecDriver(ctx);
        const out = new LogFileSink();
        await d.startTask(taskConfig(`${supervision}-t5`, { command: '/bin/sh', args: ['-c', 'sleep 30 & echo started; wait'] }, dir, out));
        await out.waitFor('started');
        await d.taskStats(`${supervision}-t5`); // first sample primes the CPU rate
        const s = await d.taskStats(`${supervision}-t5`);
        assert.ok(s.ResourceUsage.MemoryStats.RSS > 0, 'RSS of sh + sleep');
        assert.deepEqual(s.ResourceUsage.MemoryStats.Measured, ['RSS', 'Swap']);
        assert.ok(s.ResourceUsage.CpuStats.Percent >= 0);
        assert.ok(s.Timestamp > 1e18);
        await d.stopTask(`${supervision}-t5`, 1_000, 'SIGTERM');
        const res = await d.waitTask(`${supervision}-t5`);
        assert.equal(res.Signal, 15);
        await d.destroyTask(`${supervision}-t5`, true);
      });

      it('delivers signals to a running task', async () => {
        const d = new RawExecDriver(ctx);
        const out = new LogFileSink();
        await d.startTask(taskConfig(`${supervision}-t6`, { command: '/bin/sh', args: ['-c', 'trap "echo got-usr1" USR1; echo ready; while true; do sleep 0.05; done'] }, dir, out));
        await out.waitFor('ready');
        await d.signalTask(`${supervision}-t6`, 'SIGUSR1');
        await out.waitFor('got-usr1');
        await assert.rejects(d.signalTask(`${supervision}-t6`, 'SIGNOPE'), /unknown signal/);
        await d.stopTask(`${supervision}-t6`, 1_000, 'SIGKILL');
        await d.destroyTask(`${supervision}-t6`, true);
      });
    });
  }

  it('reattaches to a live process from its handle, with its exit status and the output written meanwhile', async () => {
    const d1 = new RawExecDriver(devContext());
    const out = new LogFileSink();
    const handle = await d1.startTask(taskConfig('t7', { command: '/bin/sh', args: ['-c', 'echo ready; while [ ! -f stop ]; do sleep 0.05; done; echo after-the-agent; exit 3'] }, dir, out));
    await out.waitFor('ready');
    // A new driver (a restarted client) finds the same process through the handle alone.
    const d2 = new RawExecDriver(devContext());
    await d2.recoverTask(JSON.parse(JSON.stringify(handle)) as typeof handle, new LogFileSink(), new LogFileSink());
    assert.equal(d2.inspectTask('t7').state, 'running');
    assert.equal(d2.inspectTask('t7').driverAttributes['pid'], d1.inspectTask('t7').driverAttributes['pid']);
    writeFileSync(join(dir, 'stop'), '');
    assert.deepEqual(await d2.waitTask('t7'), { ExitCode: 3, Signal: 0, OOMKilled: false, Err: null });
    assert.match(out.text(), /ready\nafter-the-agent\n/);
    rmSync(join(dir, 'stop'));
    await d2.destroyTask('t7', true);
  });

  it('learns how a task ended while no client watched it', async () => {
    const d1 = new RawExecDriver(devContext());
    const handle = await d1.startTask(taskConfig('t8', { command: '/bin/sh', args: ['-c', 'kill -TERM $$'] }, dir));
    await d1.waitTask('t8');
    const d2 = new RawExecDriver(devContext());
    await d2.recoverTask(handle, new LogFileSink(), new LogFileSink());
    assert.deepEqual(await d2.waitTask('t8'), { ExitCode: 143, Signal: 15, OOMKilled: false, Err: null });
    await d2.destroyTask('t8', false);
    await assert.rejects(d2.recoverTask(handle, new LogFileSink(), new LogFileSink()), /is gone/);
    await assert.rejects(d2.recoverTask({ ...handle, config: { ...handle.config, id: 'gone' }, driverState: { pid: 999_999_999 } }, new LogFileSink(), new LogFileSink()), /is gone/);
  });

  it('leaves nothing to reattach to when the agent supervises the task: it ends with the agent', async () => {
    const ctx = { ...devContext(), supervision: 'agent' as const };
    const d1 = new RawExecDriver(ctx);
    const out = new LogFileSink();
    const handle = await d1.startTask(taskConfig('t9', { command: '/bin/sh', args: ['-c', 'echo ready; exec sleep 30'] }, dir, out));
    await out.waitFor('ready');
    assert.deepEqual(Object.keys(handle.driverState), ['pid']);
    assert.equal(existsSync(join(ctx.stateDir!, 'raw_exec', 'executors', 't9')), false, 'no executor files');
    // The task is the agent's own child: no node process stands between them.
    assert.equal(parentPid(Number(handle.driverState['pid'])), process.pid);
    await assert.rejects(new RawExecDriver(ctx).recoverTask(handle, new LogFileSink(), new LogFileSink()), /is gone/);
    await d1.stopTask('t9', 1_000, 'SIGTERM');
    assert.equal((await d1.waitTask('t9')).Signal, 15);
    await d1.destroyTask('t9', true);
  });
});

/** The parent pid of a process, from procfs. */
function parentPid(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
