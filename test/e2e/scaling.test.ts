// Scaling through the real CLI on a real dev agent: a job whose group has a scaling block, its
// policy listed and shown, `job scale` within and beyond the policy, and the scaling events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevAgent, runNomad, waitForState, type AgentProcess } from './harness.js';

let agent: AgentProcess;

const JOB = `job "scaled" {
  datacenters = ["dc1"]
  update {
    max_parallel = 0
  }
  group "web" {
    count = 1
    scaling {
      min = 1
      max = 3
      policy {
        cooldown = "1m"
      }
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["1000"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`;

before(async () => {
  agent = await startDevAgent({ args: ['-log-level', 'INFO'] });
  await agent.waitForOutput(/client: node registration complete/, 30_000);
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
});

interface AllocStub {
  ClientStatus: string;
  DesiredStatus: string;
}

const running = (n: number) => (allocs: AllocStub[]) => allocs.filter((a) => a.ClientStatus === 'running' && a.DesiredStatus === 'run').length === n;

test('scaling policies, job scale and scaling events through the CLI', async () => {
  const file = join(agent.dir, 'scaled.nomad');
  writeFileSync(file, JOB);
  const run = await runNomad(['job', 'run', '-detach', file], agent.addr);
  assert.equal(run.code, 0, run.stderr);
  await waitForState(agent.addr, '/v1/job/scaled/allocations', running(1));

  const list = await runNomad(['scaling', 'policy', 'list'], agent.addr);
  assert.equal(list.code, 0, list.stderr);
  const lines = list.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^ID\s+Enabled\s+Type\s+Target$/);
  const row = /^([0-9a-f]{8})\s+true\s+horizontal\s+Namespace:default,Job:scaled,Group:web$/.exec(lines[1]!);
  assert.ok(row, list.stdout);

  const info = await runNomad(['scaling', 'policy', 'info', row[1]!], agent.addr);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /^ID\s+= [0-9a-f]{8}\nEnabled = true\nTarget\s+= Namespace:default,Job:scaled,Group:web\nMin\s+= 1\nMax\s+= 3\n\nPolicy:\n\{\n {4}"cooldown": "1m"\n\}\n$/);
  const asJson = await runNomad(['scaling', 'policy', 'info', '-json', row[1]!], agent.addr);
  assert.equal(JSON.parse(asJson.stdout).Max, 3);

  const scale = await runNomad(['job', 'scale', 'scaled', '3'], agent.addr);
  assert.equal(scale.code, 0, scale.stderr);
  assert.match(scale.stdout, /Monitoring evaluation "[0-9a-f]{8}"/);
  assert.match(scale.stdout, /finished with status "complete"/);
  await waitForState(agent.addr, '/v1/job/scaled/allocations', running(3));

  const beyond = await runNomad(['job', 'scale', 'scaled', 'web', '5'], agent.addr);
  assert.equal(beyond.code, 1);
  assert.equal(beyond.stderr.trim(), 'Error submitting scaling request: Unexpected response code: 400 (group count was greater than scaling policy maximum: 5 > 3)');
  const noGroup = await runNomad(['job', 'scale', 'scaled', 'db', '2'], agent.addr);
  assert.deepEqual([noGroup.code, noGroup.stderr.trim()], [1, 'Group db not found within job']);
  const noJob = await runNomad(['job', 'scale', 'nope', '2'], agent.addr);
  assert.deepEqual([noJob.code, noJob.stderr.trim()], [1, 'Error querying job: Unexpected response code: 404 (job not found)']);

  const events = await runNomad(['job', 'scaling-events', 'scaled'], agent.addr);
  assert.equal(events.code, 0, events.stderr);
  assert.match(events.stdout, /^Task Group\s+Count\s+PrevCount\s+Date\nweb\s+3\s+1\s+\d{4}-\d\d-\d\dT/);
  const verbose = await runNomad(['job', 'scaling-events', '-verbose', 'scaled'], agent.addr);
  assert.match(verbose.stdout, /^Task Group\s+Count\s+PrevCount\s+Error\s+Message\s+Eval ID\s+Date\nweb\s+3\s+1\s+false\s+submitted using the Nomad CLI\s+[0-9a-f-]{36}\s+\d{4}-/);
});

test('job IDs with a slash and unicode work through the CLI: run, status, scale, scaling events, stop', async () => {
  const id = 'team/api-ü';
  const file = join(agent.dir, 'team.nomad');
  writeFileSync(file, JOB.replace('job "scaled"', `job ${JSON.stringify(id)}`));
  const run = await runNomad(['job', 'run', '-detach', file], agent.addr);
  assert.equal(run.code, 0, run.stderr);
  const status = await runNomad(['job', 'status', id], agent.addr);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`^ID\\s+= ${id}$`, 'm'));
  const scale = await runNomad(['job', 'scale', '-detach', id, '2'], agent.addr);
  assert.equal(scale.code, 0, scale.stderr);
  const events = await runNomad(['job', 'scaling-events', id], agent.addr);
  assert.match(events.stdout, /^web\s+2\s+1\s+/m);
  const stop = await runNomad(['job', 'stop', '-purge', '-detach', id], agent.addr);
  assert.equal(stop.code, 0, stop.stderr);
  const gone = await runNomad(['job', 'status', id], agent.addr);
  assert.equal(gone.code, 1);
});
