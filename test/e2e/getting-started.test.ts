// The getting-started walk on a real dev agent, as a new user does it: every step is a real
// `nomad` process talking HTTP to a real `nomad agent -dev` process running raw_exec tasks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startDevAgent, runNomad, waitForState, getJson, type AgentProcess } from './harness.js';
import { batchTrueJob, exampleJob, rawExecJob, sleepJob } from './job-files.js';

let agent: AgentProcess;

/** The example job with `count` allocations; its task prints `word` five times a second. */
function example(count: number, word: string): string {
  const script = `echo port=$NOMAD_PORT_db; while true; do echo ${word}; sleep 0.2; done`;
  return exampleJob({ count, minHealthyTime: '1s', healthyDeadline: '1m', progressDeadline: '2m', script });
}

interface AllocStub {
  ID: string;
  ClientStatus: string;
  DesiredStatus: string;
  JobVersion: number;
}

before(async () => {
  agent = await startDevAgent();
  await agent.waitForOutput(/client: node registration complete/);
});

after(async () => {
  agent?.cleanup();
});

test('the dev agent prints its banner and startup lines', () => {
  const out = agent.output();
  assert.match(out, /==> Starting Nomad agent\.\.\./);
  assert.match(out, /==> Nomad agent configuration:/);
  assert.match(out, /^\s+Client: true$/m);
  assert.match(out, /^\s+Log Level: DEBUG$/m);
  assert.match(out, /^\s+Region: global \(DC: dc1\)$/m);
  assert.match(out, /^\s+Server: true$/m);
  assert.match(out, /==> Nomad agent started! Log data will stream in below:/);
  assert.match(out, /nomad: cluster leadership acquired/);
  assert.match(out, /client: node registration complete/);
});

test('node status shows the dev node ready', async () => {
  await waitForState<Array<{ Status: string }>>(agent.addr, '/v1/nodes', (n) => n.length === 1 && n[0]!.Status === 'ready');
  const r = await runNomad(['node', 'status'], agent.addr);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^ID\s+DC\s+Name\s+Class\s+Drain\s+Eligibility\s+Status$/);
  assert.match(lines[1]!, /^[0-9a-f]{8}\s+dc1\s+\S+\s+<none>\s+false\s+eligible\s+ready$/);
});

test('server members shows the dev server alive and leader', async () => {
  const r = await runNomad(['server', 'members'], agent.addr);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^Name\s+Address\s+Port\s+Status\s+Leader\s+Protocol\s+Build\s+Datacenter\s+Region$/);
  assert.match(lines[1]!, /^\S+\.global\s+127\.0\.0\.1\s+\d+\s+alive\s+true\s+2\s+\S+\s+dc1\s+global$/);
});

test('status with no jobs', async () => {
  const r = await runNomad(['status'], agent.addr);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'No running jobs\n');
});

test('job init writes an example that validates', async () => {
  const r = await runNomad(['job', 'init'], agent.addr, { cwd: agent.dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Example job file written to example.nomad\n');
  assert.ok(existsSync(join(agent.dir, 'example.nomad')));
  const again = await runNomad(['job', 'init'], agent.addr, { cwd: agent.dir });
  assert.equal(again.code, 1);
  const v = await runNomad(['job', 'validate', 'example.nomad'], agent.addr, { cwd: agent.dir });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /Job validation successful/);
});

test('run a service job, see it running, read its logs, scale it, stop and purge it', async () => {
  const file = join(agent.dir, 'example.nomad');
  writeFileSync(file, example(1, 'hi'));

  const run = await runNomad(['job', 'run', file], agent.addr);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /==> .*: Monitoring evaluation "[0-9a-f]{8}"/);
  assert.match(run.stdout, /Evaluation triggered by job "example"/);
  assert.match(run.stdout, /Allocation "[0-9a-f]{8}" created: node "[0-9a-f]{8}", group "cache"/);
  assert.match(run.stdout, /Evaluation status changed: "pending" -> "complete"/);
  assert.match(run.stdout, /Evaluation "[0-9a-f]{8}" finished with status "complete"/);
  assert.match(run.stdout, /Status\s+= successful/);

  const allocs = await waitForState<AllocStub[]>(agent.addr, '/v1/job/example/allocations', (a) => a.length === 1 && a[0]!.ClientStatus === 'running');
  const allocId = allocs[0]!.ID;

  const status = await runNomad(['status', 'example'], agent.addr);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^ID\s+= example$/m);
  assert.match(status.stdout, /^Status\s+= running$/m);
  assert.match(status.stdout, /^cache\s+0\s+0\s+1\s+0\s+0\s+0$/m);
  assert.match(status.stdout, new RegExp(`^${allocId.slice(0, 8)}\\s+[0-9a-f]{8}\\s+cache\\s+0\\s+run\\s+running`, 'm'));

  const as = await runNomad(['alloc', 'status', allocId.slice(0, 8)], agent.addr);
  assert.equal(as.code, 0, as.stderr);
  assert.match(as.stdout, new RegExp(`^ID\\s+= ${allocId}$`, 'm'));
  assert.match(as.stdout, /^Client Status\s+= running$/m);
  assert.match(as.stdout, /Task "redis" is "running"/);
  assert.match(as.stdout, /Started\s+Task started by client/);
  assert.match(as.stdout, /Received\s+Task received by client/);
  assert.match(as.stdout, /\*db\s+yes\s+127\.0\.0\.1:\d+/);

  // The task prints a line every 0.2 s: wait until the log has some, through the log API.
  const logs = await pollLogs(allocId, (s) => (s.match(/^hi$/gm) ?? []).length >= 2);
  assert.match(logs, /^port=\d+$/m);
  const cliLogs = await runNomad(['alloc', 'logs', allocId.slice(0, 8)], agent.addr);
  assert.equal(cliLogs.code, 0, cliLogs.stderr);
  assert.match(cliLogs.stdout, /^hi$/m);
  const stderrLogs = await runNomad(['alloc', 'logs', '-stderr', allocId.slice(0, 8)], agent.addr);
  assert.equal(stderrLogs.code, 0, stderrLogs.stderr);
  assert.equal(stderrLogs.stdout, '');

  // Scale to 3: the first allocation is kept (updated in place), two are created.
  writeFileSync(file, example(3, 'hi'));
  const plan = await runNomad(['job', 'plan', file], agent.addr);
  assert.equal(plan.code, 1, plan.stdout + plan.stderr);
  assert.match(plan.stdout, /\+\/- Task Group: "cache" \(2 create, 1 in-place update\)/);
  assert.match(plan.stdout, /\+\/- Count: "1" => "3" \(forces create\)/);
  const jmi = /Job Modify Index: (\d+)/.exec(plan.stdout);
  assert.ok(jmi, plan.stdout);
  const stale = await runNomad(['job', 'run', '-check-index', String(Number(jmi[1]) - 1), file], agent.addr);
  assert.equal(stale.code, 1);
  assert.match(stale.stdout + stale.stderr, /Enforcing job modify index \d+: job exists with conflicting job modify index: \d+/);
  const scale = await runNomad(['job', 'run', '-check-index', jmi[1]!, file], agent.addr);
  assert.equal(scale.code, 0, scale.stdout + scale.stderr);
  const three = await waitForState<AllocStub[]>(agent.addr, '/v1/job/example/allocations', (a) => a.filter((x) => x.ClientStatus === 'running').length === 3);
  assert.ok(three.some((a) => a.ID === allocId), 'the first allocation is kept when scaling up');

  // Stop: every allocation ends; the job shows dead (stopped).
  const stop = await runNomad(['job', 'stop', 'example'], agent.addr);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
  await waitForState<AllocStub[]>(agent.addr, '/v1/job/example/allocations', (a) => a.every((x) => x.ClientStatus === 'complete' && x.DesiredStatus === 'stop'));
  const list = await runNomad(['status'], agent.addr);
  assert.match(list.stdout, /^example\s+service\s+50\s+dead \(stopped\)\s+\S+$/m);

  const purge = await runNomad(['job', 'stop', '-purge', 'example'], agent.addr);
  assert.equal(purge.code, 0, purge.stdout + purge.stderr);
  const gone = await runNomad(['job', 'status', 'example'], agent.addr);
  assert.equal(gone.code, 1);
  assert.match(gone.stdout + gone.stderr, /No job\(s\) with prefix or id "example" found/);
  const jobs = await getJson<unknown[]>(agent.addr, '/v1/jobs');
  assert.deepEqual(jobs.body, []);
});

async function pollLogs(allocId: string, ok: (s: string) => boolean): Promise<string> {
  // A following log stream ends as soon as the wanted text has arrived, bounded by a deadline.
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), 20_000);
  let text = '';
  try {
    const res = await fetch(`${agent.addr}/v1/client/fs/logs/${allocId}?task=redis&type=stdout&follow=true&origin=start&offset=0`, { signal: ctrl.signal });
    assert.equal(res.status, 200);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      // Frames are concatenated JSON objects; decode the complete ones.
      let end: number;
      while ((end = frameEnd(buf)) > 0) {
        const frame = JSON.parse(buf.slice(0, end)) as { Data?: string };
        buf = buf.slice(end);
        if (frame.Data) text += Buffer.from(frame.Data, 'base64').toString();
      }
      if (ok(text)) break;
    }
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  assert.ok(ok(text), `log condition not met; got: ${text.slice(0, 500)}`);
  return text;
}

/** The length of the first complete JSON object at the start of s, or 0. */
function frameEnd(s: string): number {
  let depth = 0;
  let inStr = false;
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0 && start >= 0) return i + 1;
    }
  }
  return 0;
}

test('a batch job runs every allocation to completion', async () => {
  const file = join(agent.dir, 'batch.nomad');
  writeFileSync(file, batchTrueJob('batch20', 20));
  const run = await runNomad(['job', 'run', '-detach', file], agent.addr);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^Job registration successful\nEvaluation ID: [0-9a-f-]{36}\n$/);
  // Each task starts under an executor process of its own: twenty process starts, slow on a busy machine.
  await waitForState<AllocStub[]>(agent.addr, '/v1/job/batch20/allocations', (a) => a.length === 20 && a.every((x) => x.ClientStatus === 'complete'), 90_000);
  const st = await runNomad(['job', 'status', 'batch20'], agent.addr);
  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, /^g\s+0\s+0\s+0\s+0\s+20\s+0$/m);
  await waitForState<{ Status: string }>(agent.addr, '/v1/job/batch20', (j) => j.Status === 'dead');
});

test('a job that cannot be placed says why', async () => {
  const file = join(agent.dir, 'huge.nomad');
  writeFileSync(file, sleepJob('huge', 100, 100000000));
  const run = await runNomad(['job', 'run', file], agent.addr);
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(run.stdout, /failed to place all allocations/);
  assert.match(run.stdout, /Task Group "g" \(failed to place 1 allocation\)/);
  assert.match(run.stdout, /Dimension "memory" exhausted on 1 nodes/);
  const stop = await runNomad(['job', 'stop', '-purge', 'huge'], agent.addr);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
});

test('a job file with errors is refused with positions, and nothing is written', async () => {
  const file = join(agent.dir, 'bad.nomad');
  writeFileSync(
    file,
    `job "bad" {
  datacenters = ["dc1"]
  group "g" {
    count = -1
    task "t" {
      driver = "raw_exec"
      bogus  = true
    }
  }
}
`,
  );
  const run = await runNomad(['job', 'run', file], agent.addr);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stderr + run.stdout, /bad\.nomad:7/);
  assert.match(run.stderr + run.stdout, /bogus/);
  const syntax = join(agent.dir, 'syntax.nomad');
  writeFileSync(syntax, 'job "s" {\n  group "g" {\n');
  const v = await runNomad(['job', 'validate', syntax], agent.addr);
  assert.equal(v.code, 1, v.stdout + v.stderr);
  assert.match(v.stderr + v.stdout, /syntax\.nomad:\d+/);
  const jobs = await getJson<Array<{ ID: string }>>(agent.addr, '/v1/jobs');
  assert.ok(!jobs.body.some((j) => j.ID === 'bad' || j.ID === 's'));
  // The API refuses a negative count with the field path.
  const res = await fetch(`${agent.addr}/v1/jobs`, {
    method: 'PUT',
    body: JSON.stringify({ Job: { ID: 'neg', Datacenters: ['dc1'], TaskGroups: [{ Name: 'g', Count: -1, Tasks: [{ Name: 't', Driver: 'raw_exec' }] }] } }),
  });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /TaskGroups\[0\]\.Count/);
});

test('SIGINT shuts the agent down cleanly and stops its tasks', async () => {
  const file = join(agent.dir, 'sleeper.nomad');
  const pidFile = join(agent.dir, 'sleeper.pid');
  const script = `echo $$ > ${pidFile}; exec sleep 1000`;
  writeFileSync(file, rawExecJob({ name: 'sleeper', command: '/bin/sh', args: ['-c', script], cpu: 20, memoryMB: 10 }));
  const run = await runNomad(['job', 'run', '-detach', file], agent.addr);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  await waitForState<AllocStub[]>(agent.addr, '/v1/job/sleeper/allocations', (a) => a.length === 1 && a[0]!.ClientStatus === 'running');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  assert.ok(pid > 0);
  const res = await agent.stop('SIGINT');
  assert.equal(res.code, 0, agent.output().slice(-3000));
  assert.match(agent.output(), /==> Caught signal: interrupt/);
  assert.match(agent.output(), /agent: shutdown complete/);
  assert.throws(() => process.kill(pid, 0), 'the task process is gone after shutdown');
});
