// A job whose driver no node has, run through the real CLI: the placement failure says that the
// nodes miss drivers, how many, and which driver the group needs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevAgent, runNomad, waitForState, type AgentProcess } from './harness.js';

let agent: AgentProcess;

before(async () => {
  agent = await startDevAgent({ args: ['-log-level', 'WARN'] });
  await agent.waitForOutput(/Nomad agent started/, 30_000);
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
});

test('job run and job plan name the missing driver', async () => {
  const file = join(agent.dir, 'nodrv.nomad');
  writeFileSync(file, 'job "nodrv" {\n  datacenters = ["dc1"]\n  group "g" {\n    task "t" {\n      driver = "no-such-driver"\n      config {\n        command = "/bin/true"\n      }\n    }\n  }\n}\n');
  const plan = await runNomad(['job', 'plan', file], agent.addr);
  assert.equal(plan.code, 1, plan.stderr);
  assert.match(plan.stdout, /\* Constraint "missing drivers": 1 nodes excluded by filter \(the group's tasks use driver "no-such-driver"\)/);
  const run = await runNomad(['job', 'run', '-detach', file], agent.addr);
  assert.equal(run.code, 0, run.stderr);
  const evalId = /Evaluation ID: (\S+)/.exec(run.stdout)![1]!;
  await waitForState<{ Status: string }>(agent.addr, `/v1/evaluation/${evalId}`, (e) => e.Status === 'complete');
  const status = await runNomad(['eval', 'status', evalId], agent.addr);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Task Group "g" \(failed to place 1 allocation\):\n  \* Constraint "missing drivers": 1 nodes excluded by filter \(the group's tasks use driver "no-such-driver"\)/);
});
