// The jobs shipped in examples/ that need no Docker run as the README says: hello-raw-exec on
// any dev agent, exec-hello where exec can isolate (root, cgroup v1), with a clean stderr.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isolationSupport } from '../../src/drivers/isolation/isolated-driver.js';
import { REPO_ROOT, runNomad, startDevAgent, type AgentProcess } from './harness.js';
import { allocsOf, waitForLog } from './driver-walk.js';

const isolation = await isolationSupport();
let agent: AgentProcess;

before(async () => {
  agent = await startDevAgent();
  await agent.waitForOutput(/client: node registration complete/);
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
});

const spec = (job: string, group: string, task: string) => ({ agent, job, group, task, jobText: () => '' });

test('examples/hello-raw-exec.nomad runs and greets', { timeout: 30_000 }, async () => {
  const run = await runNomad(['job', 'run', join(REPO_ROOT, 'examples', 'hello-raw-exec.nomad')], agent.addr);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const s = spec('hello', 'web', 'greeter');
  const [alloc] = await allocsOf(s, (a) => a.length === 1 && a[0]!.ClientStatus === 'running');
  await waitForLog(s, alloc!.ID, /^hello from hello\.web\[0\] on port \d+$/m);
  const stop = await runNomad(['job', 'stop', 'hello'], agent.addr);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
});

test('examples/exec-hello.nomad runs isolated', { skip: isolation.ok ? false : `exec is not available here: ${isolation.reason}`, timeout: 30_000 }, async () => {
  const run = await runNomad(['job', 'run', join(REPO_ROOT, 'examples', 'exec-hello.nomad')], agent.addr);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const s = spec('exec-hello', 'hello', 'look-around');
  const [alloc] = await allocsOf(s, (a) => a.length === 1 && a[0]!.ClientStatus === 'complete');
  const out = await waitForLog(s, alloc!.ID, /the system dirs are read-only, as they should be/);
  assert.match(out, /^I am nobody, pid \d+, and I can see \d+ processes$/m);
  const err = await runNomad(['alloc', 'logs', '-stderr', alloc!.ID.slice(0, 8), 'look-around'], agent.addr);
  assert.equal(err.code, 0, err.stderr);
  assert.equal(err.stdout, '', 'the task writes nothing to stderr');
});
