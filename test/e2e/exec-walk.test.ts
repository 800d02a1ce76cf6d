// The exec driver through a real dev agent: the user's walk, an OOM kill reported as such, and
// a task that cannot touch the host's /usr. Isolation needs root and cgroup v1; without them the
// file skips and says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolationSupport } from '../../src/drivers/isolation/isolated-driver.js';
import { runNomad, startDevAgent, type AgentProcess } from './harness.js';
import { allocsOf, driverWalk, waitForLog, walkJob, type AllocStub } from './driver-walk.js';

const support = await isolationSupport();
const skip = support.ok ? false : `exec isolation is not available here: ${support.reason}`;

let agent: AgentProcess;

before(async () => {
  if (skip) return;
  agent = await startDevAgent();
  await agent.waitForOutput(/client: node registration complete/);
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
});

function serviceJob(count: number, word: string): string {
  const task = `      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo ${word}; while true; do sleep 1; done"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
`;
  return walkJob('exec-walk', count, task);
}

function batchJob(name: string, script: string, memoryMB: number): string {
  return `job "${name}" {
  datacenters = ["dc1"]
  type        = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", ${JSON.stringify(script)}]
      }
      resources {
        cpu    = 100
        memory = ${memoryMB}
      }
    }
  }
}
`;
}

async function runBatch(name: string, script: string, memoryMB: number): Promise<AllocStub> {
  const file = join(agent.dir, `${name}.nomad`);
  writeFileSync(file, batchJob(name, script, memoryMB));
  const run = await runNomad(['job', 'run', file], agent.addr, { timeoutMs: 20_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const spec = { agent, job: name, group: 'g', task: 't', jobText: () => '' };
  const [alloc] = await allocsOf(spec, (a) => a.length === 1 && ['complete', 'failed'].includes(a[0]!.ClientStatus), 20_000);
  return alloc!;
}

test('exec: run, status, stats, logs, scale, update, stop', { skip, timeout: 60_000 }, async () => {
  await driverWalk({ agent, job: 'exec-walk', group: 'g', task: 't', jobText: serviceJob });
});

test('exec: a task over its memory limit is OOM-killed and the event says so', { skip, timeout: 30_000 }, async () => {
  // Doubles a shell string until it passes the 16 MiB hard limit of the task's cgroup.
  const alloc = await runBatch('exec-oom', 'x=aaaaaaaaaaaaaaaa; while true; do x="$x$x"; done', 16);
  assert.equal(alloc.ClientStatus, 'failed');
  const as = await runNomad(['alloc', 'status', alloc.ID.slice(0, 8)], agent.addr);
  assert.equal(as.code, 0, as.stderr);
  assert.match(as.stdout, /Terminated\s+Exit Code: 137, Signal: 9, Exit Message: "OOM Killed"/);
  assert.match(as.stdout, /Not Restarting\s+Policy allows no restarts/);
});

test('exec: a task cannot write to the host /usr', { skip, timeout: 30_000 }, async () => {
  const marker = `/usr/nomad-exec-walk-${process.pid}`;
  const alloc = await runBatch('exec-usr', `touch ${marker} && echo wrote || { echo refused; exit 3; }`, 32);
  assert.equal(alloc.ClientStatus, 'failed');
  await waitForLog({ agent, task: 't' }, alloc.ID, /^refused$/m);
  const err = await waitForLog({ agent, task: 't' }, alloc.ID, /Read-only file system/, 'stderr');
  assert.match(err, new RegExp(`touch: cannot touch '${marker}': Read-only file system`));
  assert.equal(existsSync(marker), false, 'the host /usr is untouched');
});

test("exec: the client's chroot_env decides what a task sees of the host", { skip, timeout: 30_000 }, async () => {
  // Nomad's default chroot has /etc and /sbin; this client's chroot_env leaves them out.
  const env = ['/bin', '/lib', '/lib64', '/usr'].map((p) => `    "${p}" = "${p}"`).join('\n');
  const narrow = await startDevAgent({ extraConfig: `client {\n  chroot_env {\n${env}\n  }\n}\n` });
  try {
    await narrow.waitForOutput(/client: node registration complete/);
    const file = join(narrow.dir, 'ls.nomad');
    writeFileSync(file, batchJob('exec-ls', 'ls /', 32));
    const run = await runNomad(['job', 'run', file], narrow.addr);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const s = { agent: narrow, job: 'exec-ls', group: 'g', task: 't', jobText: () => '' };
    const [alloc] = await allocsOf(s, (a) => a.length === 1 && a[0]!.ClientStatus === 'complete');
    const out = await waitForLog(s, alloc!.ID, /^usr$/m);
    const entries = out.trim().split('\n');
    for (const dir of ['bin', 'lib', 'usr', 'alloc', 'local', 'secrets']) assert.ok(entries.includes(dir), `${dir} in ${entries.join(' ')}`);
    for (const dir of ['etc', 'sbin']) assert.ok(!entries.includes(dir), `${dir} must not be in ${entries.join(' ')}`);
  } finally {
    await narrow.stop();
    narrow.cleanup();
  }
});
