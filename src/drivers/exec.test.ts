import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { DriverContext, TaskConfig } from './driver.js';
import { ExecDriver } from './exec.js';
import { parseCgroupV1Mounts } from './isolation/cgroups-v1.js';
import { innerScript, shq } from './isolation/launcher.js';
import { toChrootPath } from './isolation/chroot-paths.js';
import { hostPathFor } from './isolation/resolve-command.js';
import { isolationSupport } from './isolation/isolated-driver.js';
import { LogFileSink, taskConfig } from '../../test/unit/driver-support.js';

const support = await isolationSupport();
const skip = support.ok ? false : `exec isolation unavailable here: ${support.reason}`;
const base = mkdtempSync(join(tmpdir(), 'exec-test-'));
after(() => rmSync(base, { recursive: true, force: true }));

/** A bound on a wait; its timer also keeps the event loop alive while only polls (unref'd) are pending. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function context(): DriverContext {
  return { devMode: true, options: {}, pluginConfig: { exec: { cgroup_parent: '/nomad-test' } }, cpuMhzPerCore: () => 2000, stateDir: join(base, 'state') };
}

/** An alloc dir laid out as the client makes it: <alloc>/alloc/{logs,data,tmp} and <alloc>/<task>/{local,secrets,tmp}. */
function isolatedTask(id: string, config: Record<string, unknown>, out = new LogFileSink(), err = new LogFileSink()): TaskConfig {
  const allocDir = join(base, id);
  for (const d of ['alloc/logs', 'alloc/data', 'alloc/tmp', 'web/local', 'web/secrets', 'web/tmp']) mkdirSync(join(allocDir, d), { recursive: true, mode: 0o777 });
  const cfg = taskConfig(id, config, join(allocDir, 'web'), out, err);
  return { ...cfg, allocDir, env: { GREETING: 'hello', NOMAD_TASK_DIR: join(allocDir, 'web', 'local') } };
}

describe('exec driver: pure parts', () => {
  it('finds each cgroup v1 controller in mountinfo, co-mounted ones included', () => {
    const info = [
      '30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory',
      '31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct',
      '32 25 0:28 / /sys/fs/cgroup/pids rw shared:5 - cgroup cgroup rw,pids',
    ].join('\n');
    assert.deepEqual(parseCgroupV1Mounts(info), { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct', pids: '/sys/fs/cgroup/pids' });
  });

  it('quotes shell words and maps host paths into the chroot', () => {
    assert.equal(shq(`it's`), `'it'\\''s'`);
    const m = { taskDir: '/d/a1/web', allocShared: '/d/a1/alloc' };
    assert.equal(toChrootPath('/d/a1/web/local/run.sh', m), '/local/run.sh');
    assert.equal(toChrootPath('/d/a1/alloc/data', m), '/alloc/data');
    assert.equal(toChrootPath('/d/a1/web', m), '/');
    assert.equal(hostPathFor('/usr/bin/env', '/t', [{ hostPath: '/usr', target: '/usr', isDir: true }]), '/usr/bin/env');
    assert.equal(hostPathFor('/local/x', '/t', [{ hostPath: '/usr', target: '/usr', isDir: true }]), '/t/local/x');
  });

  it('validates config with field paths', () => {
    const d = new ExecDriver(context());
    assert.deepEqual(d.validateConfig({ command: '/bin/sh', args: ['-c', 'true'], pid_mode: 'host' }), []);
    assert.deepEqual(d.validateConfig({ args: [1], ipc_mode: 'shared', image: 'x' }), [
      'config.command: a non-empty string is required',
      'config.args[0]: must be a string',
      'config.ipc_mode: must be "private" or "host"',
      'config.image: unknown field for the exec driver',
    ]);
  });

  it('launcher script records the exit status and reports readiness on fd 3', () => {
    const tools = { unshare: 'U', mount: 'M', chroot: 'C', setsid: 'S', mknod: 'N', cp: 'P', chown: 'O', ln: 'L', mkdir: 'D', rm: 'R', ls: 'Z' };
    const text = innerScript({ root: '/r', allocShared: '/a', binds: [], uid: 65534, gid: 65534, command: '/bin/echo', args: ["a'b"], pidMode: 'private', ipcMode: 'private', cgroupProcs: [], statusFile: '/s/x.exit', secretsSizeKiB: 1024 }, tools);
    assert.match(text, /S C --userspec=65534:65534 "\$R" '\/bin\/echo' 'a'\\''b'/);
    assert.match(text, /echo ready >&3/);
    assert.match(text, /echo "\$st" > '\/s\/x.exit'/);
  });
});

describe('exec driver: isolation on this host', { skip }, () => {
  it('fingerprints as usable', async () => {
    const fp = await new ExecDriver(context()).fingerprint();
    assert.deepEqual(fp, { Detected: true, Healthy: true, HealthDescription: 'Healthy', Attributes: { 'driver.exec': '1' } });
  });

  it('runs in its own pid namespace and chroot as nobody, sees /local, cannot write the host /usr', async () => {
    const d = new ExecDriver(context());
    const out = new LogFileSink();
    const cfg = isolatedTask('ns', { command: '/bin/sh', args: ['-c', `echo "pid=$$ ppid=$PPID user=$(id -un) procs=$(ls /proc | grep -c "^[0-9]") self-visible=$(test -e /proc/${process.pid}/stat && echo yes || echo no)"; echo hi > /local/file && echo local-ok; touch /usr/nomad-exec-test 2>/dev/null || echo usr-ro; echo "$GREETING $NOMAD_TASK_DIR"; ls /alloc`] }, out);
    writeFileSync(join(cfg.taskDir, 'secrets', 'token'), 's3cret');
    await d.startTask(cfg);
    const res = await d.waitTask('ns');
    assert.deepEqual(res, { ExitCode: 0, Signal: 0, OOMKilled: false, Err: null }, out.text());
    const text = out.text();
    // pid 1 is the launcher; the task is its child, so its pid is small and it sees only a handful of processes.
    const m = /pid=(\d+) ppid=(\d+) user=(\S+) procs=(\d+) self-visible=(\S+)/.exec(text);
    assert.ok(m, text);
    assert.ok(Number(m[1]) < 200, `small pid: ${m[1]}`);
    assert.equal(m[2], '1');
    assert.equal(m[3], 'nobody');
    assert.ok(Number(m[4]) < 10, `sees few processes: ${m[4]}`);
    assert.equal(m[5], 'no', 'the test process is invisible from inside');
    assert.match(text, /local-ok/);
    assert.match(text, /usr-ro/);
    assert.match(text, /hello \/local\n/);
    assert.match(text, /logs/);
    assert.equal(readFileSync(join(cfg.taskDir, 'local', 'file'), 'utf8'), 'hi\n');
    assert.equal(existsSync('/usr/nomad-exec-test'), false);
    await d.destroyTask('ns', true);
    const hostMounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!hostMounts.includes(cfg.taskDir), 'no mount of the task leaked onto the host');
    assert.equal(existsSync(join(cfg.taskDir, 'usr')), false, 'empty mountpoints removed');
  });

  it('runs isolated as a dev agent\'s own child too: set-up reported on fd 3, output and exit status through the agent', async () => {
    const d = new ExecDriver({ ...context(), supervision: 'agent' });
    const out = new LogFileSink();
    const cfg = isolatedTask('agent-supervised', { command: '/bin/sh', args: ['-c', 'echo "user=$(id -un)"; exit 4'] }, out);
    const handle = await d.startTask(cfg);
    assert.equal(handle.driverState['executor'], null, 'nothing for a restarted client to reattach to');
    assert.deepEqual(await d.waitTask('agent-supervised'), { ExitCode: 4, Signal: 0, OOMKilled: false, Err: null });
    assert.match(out.text(), /user=nobody\n/);
    assert.equal(existsSync(join(base, 'state', 'exec', 'executors', 'agent-supervised')), false, 'no executor files');
    await d.destroyTask('agent-supervised', true);
  });

  it('puts the memory limit and cpu shares in the task cgroup, and removes it on destroy', async () => {
    const d = new ExecDriver(context());
    const out = new LogFileSink();
    const cfg = isolatedTask('limits', { command: '/bin/sh', args: ['-c', 'echo up; while true; do sleep 0.05; done'] }, out);
    cfg.resources = { cpuShares: 250, memoryMB: 48, memoryMaxMB: 96 };
    const handle = await d.startTask(cfg);
    await out.waitFor('up');
    const cg = handle.driverState['cgroups'] as Record<string, string>;
    assert.equal(readFileSync(join(cg['memory']!, 'memory.limit_in_bytes'), 'utf8').trim(), String(96 * 1024 * 1024));
    assert.equal(readFileSync(join(cg['memory']!, 'memory.soft_limit_in_bytes'), 'utf8').trim(), String(48 * 1024 * 1024));
    assert.equal(readFileSync(join(cg['cpu']!, 'cpu.shares'), 'utf8').trim(), '250');
    assert.equal(readFileSync(join(cg['pids']!, 'pids.max'), 'utf8').trim(), '4096');
    await d.taskStats('limits');
    const s = await d.taskStats('limits');
    assert.ok(s.ResourceUsage.MemoryStats.RSS > 0, 'RSS from memory.stat');
    assert.ok(s.ResourceUsage.MemoryStats.Usage > 0, 'usage_in_bytes');
    assert.ok(s.ResourceUsage.MemoryStats.Measured?.includes('Max Usage'));
    await d.stopTask('limits', 2_000, 'SIGTERM');
    assert.deepEqual(await d.waitTask('limits'), { ExitCode: 143, Signal: 15, OOMKilled: false, Err: null });
    await d.destroyTask('limits', true);
    assert.equal(existsSync(cg['memory']!), false, 'cgroup removed');
  });

  it('is OOM-killed above its memory limit and says so', async () => {
    const d = new ExecDriver(context());
    const err = new LogFileSink();
    // Grows a shell string past the 16 MiB limit: the kernel's OOM killer ends it.
    const cfg = isolatedTask('oom', { command: '/bin/sh', args: ['-c', 'x=aaaaaaaaaaaaaaaa; while true; do x="$x$x"; done'] }, new LogFileSink(), err);
    cfg.resources = { cpuShares: 100, memoryMB: 16, memoryMaxMB: 0 };
    await d.startTask(cfg);
    const res = await d.waitTask('oom');
    assert.deepEqual(res, { ExitCode: 137, Signal: 9, OOMKilled: true, Err: 'OOM Killed' }, err.text());
    await d.destroyTask('oom', true);
  });

  it('reports a missing command as a start error and a bad user as well', async () => {
    const d = new ExecDriver(context());
    await assert.rejects(d.startTask(isolatedTask('missing', { command: 'no-such-binary-xyz' })), /executable file not found/);
    const cfg = isolatedTask('baduser', { command: '/bin/true' });
    await assert.rejects(d.startTask({ ...cfg, user: 'no-such-user-xyz' }), /user "no-such-user-xyz": user not found/);
  });

  it('runs a binary brought in the task dir, delivers signals, and shares the host pid namespace when asked', async () => {
    const d = new ExecDriver(context());
    const out = new LogFileSink();
    const cfg = isolatedTask('sig', { command: 'local/run.sh', pid_mode: 'host' }, out);
    writeFileSync(join(cfg.taskDir, 'local', 'run.sh'), '#!/bin/sh\ntrap "echo got-usr1; exit 7" USR1\necho "ready pid=$$"\nwhile true; do sleep 0.05; done\n', { mode: 0o644 });
    await d.startTask(cfg);
    await out.waitFor('ready');
    const pid = Number(/pid=(\d+)/.exec(out.text())![1]);
    assert.equal(pid, Number(d.inspectTask('sig').driverAttributes['pid']), 'host pid namespace: the task sees its host pid');
    await d.signalTask('sig', 'SIGUSR1');
    await out.waitFor('got-usr1');
    assert.equal((await d.waitTask('sig')).ExitCode, 7);
    await d.destroyTask('sig', true);
  });

  it('reattaches to a running task from its handle and learns its exit status', async () => {
    const d1 = new ExecDriver(context());
    const out = new LogFileSink();
    const handle = await d1.startTask(isolatedTask('recover', { command: '/bin/sh', args: ['-c', 'echo up; while [ ! -f /local/stop ]; do sleep 0.05; done; exit 3'] }, out));
    await out.waitFor('up');
    const d2 = new ExecDriver(context());
    await d2.recoverTask(JSON.parse(JSON.stringify(handle)), new LogFileSink(), new LogFileSink());
    assert.equal(d2.inspectTask('recover').state, 'running');
    writeFileSync(join(base, 'recover', 'web', 'local', 'stop'), '');
    assert.deepEqual(await withTimeout(d2.waitTask('recover'), 5_000), { ExitCode: 3, Signal: 0, OOMKilled: false, Err: null });
    await d1.waitTask('recover');
    await d2.destroyTask('recover', true);
    await d1.destroyTask('recover', true);
  });
});
