// Changing jobs safely, on a real dev agent: plan and its exit codes, check-index, in-place and
// destructive updates, a rolling update one allocation at a time, a failed version rolled back
// by auto_revert, canaries waiting for promotion, job history and revert, and rescheduling of a
// failed allocation outside any deployment. Every step is a real `nomad` process; every wait is
// a blocking query on the agent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevAgent, runNomad, waitForState, getJson, type AgentProcess } from './harness.js';

let agent: AgentProcess;

interface UpdateOpts {
  healthyDeadline?: string;
  progressDeadline?: string;
  autoRevert?: boolean;
  canary?: number;
  maxParallel?: number;
  healthCheck?: string;
}

/** A service job whose task runs `script` in a shell; restarts are off so a failure is final. */
function serviceJob(name: string, count: number, script: string, u: UpdateOpts = {}): string {
  return `job "${name}" {
  datacenters = ["dc1"]
  type        = "service"
  update {
    max_parallel      = ${u.maxParallel ?? 1}
    health_check      = "${u.healthCheck ?? 'checks'}"
    min_healthy_time  = "1s"
    healthy_deadline  = "${u.healthyDeadline ?? '10s'}"
    progress_deadline = "${u.progressDeadline ?? '20s'}"
    auto_revert       = ${u.autoRevert ?? false}
    canary            = ${u.canary ?? 0}
  }
  group "web" {
    count = ${count}
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "server" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "${script}"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`;
}

const loop = (word: string): string => `while true; do echo ${word}; sleep 1; done`;

interface DeploymentStatus {
  Healthy: boolean | null;
  Timestamp: string;
  Canary: boolean;
}

interface Alloc {
  ID: string;
  Name: string;
  ClientStatus: string;
  DesiredStatus: string;
  JobVersion: number;
  CreateIndex: number;
  CreateTime: number;
  DeploymentID: string;
  DeploymentStatus: DeploymentStatus | null;
  NextAllocation?: string;
  PreviousAllocation?: string;
}

interface Deployment {
  ID: string;
  JobVersion: number;
  Status: string;
  StatusDescription: string;
  TaskGroups: Record<string, { DesiredCanaries: number; Promoted: boolean; HealthyAllocs: number; DesiredTotal: number }>;
}

interface JobVersion {
  Version: number;
  Stable: boolean;
  TaskGroups: Array<{ Count: number; Tasks: Array<{ Config: { args: string[] } }> }>;
}

before(async () => {
  agent = await startDevAgent();
  await agent.waitForOutput(/client: node registration complete/);
  await waitForState<Array<{ Status: string }>>(agent.addr, '/v1/nodes', (n) => n.length === 1 && n[0]!.Status === 'ready');
});

after(() => {
  agent?.cleanup();
});

function file(name: string, text: string): string {
  const path = join(agent.dir, name);
  writeFileSync(path, text);
  return path;
}

async function allocs(job: string): Promise<Alloc[]> {
  return (await getJson<Alloc[]>(agent.addr, `/v1/job/${job}/allocations`)).body;
}

async function fullAlloc(id: string): Promise<Alloc> {
  return (await getJson<Alloc>(agent.addr, `/v1/allocation/${id}`)).body;
}

function live(as: Alloc[]): Alloc[] {
  return as.filter((a) => a.DesiredStatus === 'run' && a.ClientStatus === 'running');
}

function planIndex(stdout: string): string {
  const m = /Job Modify Index: (\d+)/.exec(stdout);
  assert.ok(m, stdout);
  return m[1]!;
}

test('plan, check-index, in-place and rolling destructive updates, history', async () => {
  const v0 = file('web.nomad', serviceJob('web', 1, loop('hi')));

  // A new job: plan says "create" (exit 1); -check-index 0 accepts a job that does not exist.
  const plan0 = await runNomad(['job', 'plan', v0], agent.addr);
  assert.equal(plan0.code, 1, plan0.stdout + plan0.stderr);
  assert.match(plan0.stdout, /^\+ Job: "web"$/m);
  assert.match(plan0.stdout, /^\+ Task Group: "web" \(1 create\)$/m);
  assert.match(plan0.stdout, /nomad job run -check-index 0 /);
  const run0 = await runNomad(['job', 'run', '-check-index', '0', v0], agent.addr);
  assert.equal(run0.code, 0, run0.stdout + run0.stderr);
  assert.match(run0.stdout, /Monitoring deployment "[0-9a-f]{8}"/);
  assert.match(run0.stdout, /Status\s+= successful/);
  const first = live(await allocs('web'));
  assert.equal(first.length, 1);

  // -check-index 0 now refuses: the job exists.
  const again0 = await runNomad(['job', 'run', '-check-index', '0', v0], agent.addr);
  assert.equal(again0.code, 1);
  assert.match(again0.stderr, /^Enforcing job modify index 0: job "web" already exists\nJob not updated\n$/);

  // The same file again: no changes, exit 0; -json prints the API answer; errors exit 255.
  const same = await runNomad(['job', 'plan', v0], agent.addr);
  assert.equal(same.code, 0, same.stdout + same.stderr);
  assert.match(same.stdout, /^Job: "web"$/m);
  assert.match(same.stdout, /^Task Group: "web" \(1 ignore\)$/m);
  const output = await runNomad(['job', 'run', '-output', v0], agent.addr);
  assert.equal(output.code, 0, output.stderr);
  const asJson = await runNomad(['job', 'plan', '-json', file('web.json', output.stdout)], agent.addr);
  assert.equal(asJson.code, 0, asJson.stdout + asJson.stderr);
  assert.match(asJson.stdout, /^Task Group: "web" \(1 ignore\)$/m);
  const missing = await runNomad(['job', 'plan', join(agent.dir, 'nope.nomad')], agent.addr);
  assert.equal(missing.code, 255);
  assert.match(missing.stderr, /^Error getting job struct: /);

  // Count 1 -> 3: two placements and the first allocation kept by an in-place update.
  const v1 = file('web.nomad', serviceJob('web', 3, loop('hi')));
  const plan1 = await runNomad(['job', 'plan', v1], agent.addr);
  assert.equal(plan1.code, 1, plan1.stdout + plan1.stderr);
  assert.match(plan1.stdout, /^\+\/- Task Group: "web" \(2 create, 1 in-place update\)$/m);
  assert.match(plan1.stdout, /^ {2}\+\/- Count: "1" => "3" \(forces create\)$/m);
  const noDiff = await runNomad(['job', 'plan', '-diff=false', v1], agent.addr);
  assert.equal(noDiff.code, 1);
  assert.doesNotMatch(noDiff.stdout, /Task Group:/);
  assert.match(noDiff.stdout, /^Scheduler dry-run:\n- All tasks successfully allocated\.$/m);
  const jmi = planIndex(plan1.stdout);
  const stale = await runNomad(['job', 'run', '-check-index', String(Number(jmi) - 1), v1], agent.addr);
  assert.equal(stale.code, 1);
  assert.equal(stale.stderr, `Enforcing job modify index ${Number(jmi) - 1}: job exists with conflicting job modify index: ${jmi}\nJob not updated\n`);
  const run1 = await runNomad(['job', 'run', '-check-index', jmi, v1], agent.addr);
  assert.equal(run1.code, 0, run1.stdout + run1.stderr);
  assert.match(run1.stdout, new RegExp(`Allocation "${first[0]!.ID.slice(0, 8)}" modified`));
  const three = live(await allocs('web'));
  assert.equal(three.length, 3);
  assert.ok(three.some((a) => a.ID === first[0]!.ID), 'the first allocation is kept');

  // A new command: a destructive update, one allocation at a time (max_parallel = 1).
  const v2 = file('web.nomad', serviceJob('web', 3, loop('hello')));
  const plan2 = await runNomad(['job', 'plan', '-verbose', v2], agent.addr);
  assert.equal(plan2.code, 1, plan2.stdout + plan2.stderr);
  assert.match(plan2.stdout, /^\+\/- Task Group: "web" \(1 create\/destroy update, 2 ignore\)$/m);
  assert.match(plan2.stdout, /^ {2}\+\/- Task: "server" \(forces create\/destroy update\)$/m);
  assert.match(plan2.stdout, /^ {6}\+\/- args\[1\]: "while true; do echo hi; sleep 1; done" => "while true; do echo hello; sleep 1; done"$/m);
  const run2 = await runNomad(['job', 'run', '-check-index', planIndex(plan2.stdout), v2], agent.addr);
  assert.equal(run2.code, 0, run2.stdout + run2.stderr);
  assert.match(run2.stdout, /Status\s+= successful/);
  // The monitor followed the rollout: it printed the group while it was partly placed, and the
  // placed count only grew, up to three. (Which intermediate counts it catches depends on timing;
  // the one-at-a-time placement itself is checked on the allocations below.)
  const placed = [...run2.stdout.matchAll(/^web\s+3\s+(\d+)\s+(\d+)\s+0\s+/gm)].map((m) => Number(m[1]));
  assert.ok(placed.length >= 2, run2.stdout);
  assert.ok(placed[0]! < 3, `first table shows a partial rollout: ${placed.join(',')}`);
  assert.equal(placed[placed.length - 1], 3);
  for (let i = 1; i < placed.length; i++) assert.ok(placed[i]! >= placed[i - 1]!, `placed counts never go down: ${placed.join(',')}`);

  const after2 = await allocs('web');
  const fresh = await Promise.all(after2.filter((a) => a.JobVersion === 2).map((a) => fullAlloc(a.ID)));
  assert.equal(fresh.length, 3, 'exactly three replacements, nothing destroyed twice');
  fresh.sort((a, b) => a.CreateTime - b.CreateTime);
  for (let i = 0; i < fresh.length; i++) {
    const a = fresh[i]!;
    assert.equal(a.DeploymentStatus?.Healthy, true);
    const healthyNs = Date.parse(a.DeploymentStatus!.Timestamp) * 1e6;
    assert.ok(healthyNs - a.CreateTime >= 1e9 - 5e6, `${a.Name} healthy only after min_healthy_time`);
    if (i > 0) {
      const prevHealthyNs = Date.parse(fresh[i - 1]!.DeploymentStatus!.Timestamp) * 1e6;
      assert.ok(a.CreateTime >= prevHealthyNs - 5e6, `${a.Name} placed only after the previous replacement was healthy`);
    }
  }
  // Every old allocation was stopped and points at its replacement.
  const old = await Promise.all(after2.filter((a) => a.JobVersion === 1).map((a) => fullAlloc(a.ID)));
  assert.equal(old.length, 3);
  for (const a of old) assert.equal(a.DesiredStatus, 'stop');
  const replaced = old.find((a) => a.NextAllocation);
  assert.ok(replaced, 'an old allocation names its replacement');
  const st = await runNomad(['alloc', 'status', replaced!.ID.slice(0, 8)], agent.addr);
  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, new RegExp(`^Replacement Alloc ID\\s+= ${replaced!.NextAllocation!.slice(0, 8)}$`, 'm'));
  assert.match(st.stdout, /^Desired Description\s+= alloc is being updated due to job update$/m);

  const status = await runNomad(['status', 'web'], agent.addr);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^Latest Deployment\nID\s+= [0-9a-f]{8}\nStatus\s+= successful\nDescription\s+= Deployment completed successfully$/m);
  assert.match(status.stdout, /^Deployed\nTask Group\s+Desired\s+Placed\s+Healthy\s+Unhealthy\s+Progress Deadline\nweb\s+3\s+3\s+3\s+0\s+\S+$/m);

  const hist = await runNomad(['job', 'history', 'web'], agent.addr);
  assert.equal(hist.code, 0, hist.stderr);
  assert.match(hist.stdout, /^Version\s+= 2\nStable\s+= true\nSubmit Date = \S+\n\nVersion\s+= 1\nStable\s+= true\nSubmit Date = \S+\n\nVersion\s+= 0\nStable\s+= true\nSubmit Date = \S+\n$/);
  const histP = await runNomad(['job', 'history', '-p', 'web'], agent.addr);
  assert.equal(histP.code, 0, histP.stderr);
  assert.match(histP.stdout, /^Diff\s+=\n\+\/- Job: "web"\n\+\/- Task Group: "web"\n {2}\+\/- Task: "server"\n {4}\+\/- Config \{\n {10}args\[0\]: "-c"/m);
  assert.match(histP.stdout, /\+\/- Count: "1" => "3"/);

  const list = await runNomad(['deployment', 'list'], agent.addr);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^ID\s+Job ID\s+Job Version\s+Status\s+Description\n[0-9a-f]{8}\s+web\s+2\s+successful\s+Deployment completed successfully\n[0-9a-f]{8}\s+web\s+1\s+successful/);
});

test('a failing version fails its deployment and auto_revert brings back the stable one', async () => {
  const good = file('web.nomad', serviceJob('web', 3, loop('hello'), { autoRevert: true, healthyDeadline: '5s', progressDeadline: '0s' }));
  // Turning auto_revert on is itself a version (an in-place update of every allocation).
  const on = await runNomad(['job', 'run', good], agent.addr);
  assert.equal(on.code, 0, on.stdout + on.stderr);
  const stableVersion = (await getJson<{ Version: number }>(agent.addr, '/v1/job/web')).body.Version;

  const bad = file('web-bad.nomad', serviceJob('web', 3, 'echo broken; exit 1', { autoRevert: true, healthyDeadline: '5s', progressDeadline: '0s' }));
  const run = await runNomad(['job', 'run', bad], agent.addr);
  assert.notEqual(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /Status\s+= failed/);
  assert.match(run.stdout, new RegExp(`Description\\s+= Failed due to unhealthy allocations - rolling back to job version ${stableVersion}`));

  // The rollback is a new version equal to the stable one, and its allocations run.
  const job = await waitForState<{ Version: number }>(agent.addr, '/v1/job/web', (j) => j.Version === stableVersion + 2);
  const versions = (await getJson<{ Versions: JobVersion[] }>(agent.addr, '/v1/job/web/versions')).body.Versions;
  const byVersion = (v: number): JobVersion => versions.find((x) => x.Version === v)!;
  assert.deepEqual(byVersion(job.Version).TaskGroups[0]!.Tasks[0]!.Config, byVersion(stableVersion).TaskGroups[0]!.Tasks[0]!.Config);
  assert.equal(byVersion(stableVersion + 1).Stable, false);
  await waitForState<Deployment>(agent.addr, '/v1/job/web/deployment', (d) => d.JobVersion === job.Version && d.Status === 'successful', 20_000);
  const running = live(await allocs('web'));
  assert.equal(running.length, 3);
  assert.ok(running.every((a) => a.JobVersion === job.Version));
  const hist = await runNomad(['job', 'history', 'web'], agent.addr);
  assert.match(hist.stdout, new RegExp(`^Version\\s+= ${stableVersion + 1}\\nStable\\s+= false$`, 'm'));
});

test('job revert goes back to an older version', async () => {
  const bad = await runNomad(['job', 'revert', 'web', '999'], agent.addr);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^Error retrieving job versions: .*job "web" in namespace "default" at version 999 not found/);
  // Stability can also be set by hand (PUT /v1/job/:id/stable).
  const unstable = await fetch(`${agent.addr}/v1/job/web/stable`, { method: 'PUT', body: JSON.stringify({ JobID: 'web', JobVersion: 0, Stable: false }) });
  assert.equal(unstable.status, 200, await unstable.text());
  const v0 = (await getJson<{ Versions: JobVersion[] }>(agent.addr, '/v1/job/web/versions')).body.Versions.find((v) => v.Version === 0)!;
  assert.equal(v0.Stable, false);
  const revert = await runNomad(['job', 'revert', 'web', '0'], agent.addr);
  assert.equal(revert.code, 0, revert.stdout + revert.stderr);
  assert.match(revert.stdout, /Monitoring evaluation/);
  const job = (await getJson<JobVersion>(agent.addr, '/v1/job/web')).body;
  assert.equal(job.TaskGroups[0]!.Count, 1);
  assert.deepEqual(job.TaskGroups[0]!.Tasks[0]!.Config.args, ['-c', loop('hi')]);
  await waitForState<Alloc[]>(agent.addr, '/v1/job/web/allocations', (as) => live(as).length === 1 && live(as)[0]!.JobVersion === job.Version);
  const stop = await runNomad(['job', 'stop', '-purge', 'web'], agent.addr);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
});

test('a canary deployment waits for promotion, then completes', async () => {
  const opts: UpdateOpts = { canary: 1, maxParallel: 2 };
  const v0 = file('canary.nomad', serviceJob('canary', 2, loop('blue'), opts));
  const run0 = await runNomad(['job', 'run', v0], agent.addr);
  assert.equal(run0.code, 0, run0.stdout + run0.stderr);

  const v1 = file('canary.nomad', serviceJob('canary', 2, loop('green'), opts));
  const plan = await runNomad(['job', 'plan', v1], agent.addr);
  assert.equal(plan.code, 1);
  assert.match(plan.stdout, /^\+\/- Task Group: "web" \(1 canary, 2 ignore\)$/m);
  const run1 = await runNomad(['job', 'run', '-detach', v1], agent.addr);
  assert.equal(run1.code, 0, run1.stdout + run1.stderr);
  const waiting = await waitForState<Deployment>(
    agent.addr,
    '/v1/job/canary/deployment',
    (d) => d.JobVersion === 1 && d.TaskGroups.web?.HealthyAllocs === 1,
  );
  assert.equal(waiting.Status, 'running');
  assert.equal(waiting.StatusDescription, 'Deployment is running but requires manual promotion');
  const as = live(await allocs('canary'));
  assert.equal(as.length, 3, 'the canary runs beside the two old allocations');

  const status = await runNomad(['status', 'canary'], agent.addr);
  assert.match(status.stdout, /^Task Group\s+Promoted\s+Desired\s+Canaries\s+Placed\s+Healthy\s+Unhealthy\s+Progress Deadline\nweb\s+false\s+2\s+1\s+1\s+1\s+0\s+\S+$/m);

  const promote = await runNomad(['deployment', 'promote', waiting.ID.slice(0, 8)], agent.addr);
  assert.equal(promote.code, 0, promote.stdout + promote.stderr);
  const done = await waitForState<Deployment>(agent.addr, `/v1/deployment/${waiting.ID}`, (d) => d.Status !== 'running', 20_000);
  assert.equal(done.Status, 'successful');
  assert.equal(done.TaskGroups.web!.Promoted, true);
  const after = live(await allocs('canary'));
  assert.equal(after.length, 2);
  assert.ok(after.every((a) => a.JobVersion === 1));

  // Stopping one allocation migrates it: the reconciler's migrate path places a replacement.
  const moved = after[0]!;
  const allocStop = await runNomad(['alloc', 'stop', moved.ID.slice(0, 8)], agent.addr);
  assert.equal(allocStop.code, 0, allocStop.stdout + allocStop.stderr);
  const migrated = await waitForState<Alloc[]>(agent.addr, '/v1/job/canary/allocations', (as) => live(as).length === 2 && !live(as).some((a) => a.ID === moved.ID));
  const replacement = await fullAlloc(live(migrated).find((a) => a.ID !== after[1]!.ID)!.ID);
  assert.equal(replacement.PreviousAllocation, moved.ID);
  const movedFull = await fullAlloc(moved.ID);
  assert.equal((movedFull as Alloc & { DesiredDescription: string }).DesiredDescription, 'alloc is being migrated');
  const stop = await runNomad(['job', 'stop', '-purge', 'canary'], agent.addr);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
});

test('blue/green: a deployment is paused, resumed and failed by hand', async () => {
  const opts: UpdateOpts = { canary: 2, maxParallel: 2 };
  const run0 = await runNomad(['job', 'run', file('bg.nomad', serviceJob('bg', 2, loop('blue'), opts))], agent.addr);
  assert.equal(run0.code, 0, run0.stdout + run0.stderr);
  const run1 = await runNomad(['job', 'run', '-detach', file('bg.nomad', serviceJob('bg', 2, loop('green'), opts))], agent.addr);
  assert.equal(run1.code, 0, run1.stdout + run1.stderr);
  const d = await waitForState<Deployment>(agent.addr, '/v1/job/bg/deployment', (x) => x.JobVersion === 1 && x.TaskGroups.web?.HealthyAllocs === 2);
  assert.equal(live(await allocs('bg')).length, 4, 'green runs beside blue until promoted');
  const short = d.ID.slice(0, 8);

  const pause = await runNomad(['deployment', 'pause', short], agent.addr);
  assert.equal(pause.code, 0, pause.stdout + pause.stderr);
  assert.equal(pause.stdout, `Deployment "${d.ID}" paused\n`);
  const paused = await runNomad(['deployment', 'status', short], agent.addr);
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stdout, /^Status\s+= paused\nDescription\s+= Deployment is paused$/m);
  assert.match(paused.stdout, /^web\s+false\s+2\s+2\s+2\s+2\s+0\s+\S+$/m);

  const resume = await runNomad(['deployment', 'resume', '-detach', short], agent.addr);
  assert.equal(resume.code, 0, resume.stdout + resume.stderr);
  assert.equal(resume.stdout, `Deployment "${d.ID}" resumed\n`);
  await waitForState<Deployment>(agent.addr, `/v1/deployment/${d.ID}`, (x) => x.Status === 'running');

  const fail = await runNomad(['deployment', 'fail', short], agent.addr);
  assert.equal(fail.code, 0, fail.stdout + fail.stderr);
  assert.match(fail.stdout, new RegExp(`^Deployment "${d.ID}" failed\n`));
  assert.match(fail.stdout, /Description\s+= Deployment marked as failed$/m);
  // The canaries go; blue stays.
  const left = await waitForState<Alloc[]>(agent.addr, '/v1/job/bg/allocations', (as) => as.filter((a) => a.DesiredStatus === 'run').length === 2);
  assert.ok(live(left).every((a) => a.JobVersion === 0));

  const late = await runNomad(['deployment', 'promote', short], agent.addr);
  assert.equal(late.code, 1);
  assert.match(late.stderr, /^Error promoting deployment: /);
  const unknown = await runNomad(['deployment', 'status', '00000000'], agent.addr);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'No deployment(s) with prefix or id "00000000" found\n');
  const stop = await runNomad(['job', 'stop', '-purge', 'bg'], agent.addr);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
});

test('with health_check = "manual" the operator sets allocation health through the API', async () => {
  const run = await runNomad(['job', 'run', '-detach', file('manual.nomad', serviceJob('manual', 1, loop('hi'), { healthCheck: 'manual' }))], agent.addr);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const [a] = await waitForState<Alloc[]>(agent.addr, '/v1/job/manual/allocations', (as) => live(as).length === 1);
  const d = await waitForState<Deployment>(agent.addr, '/v1/job/manual/deployment', (x) => x.Status === 'running');
  assert.equal((await fullAlloc(a!.ID)).DeploymentStatus?.Healthy ?? null, null, 'the client leaves health to the operator');
  const res = await fetch(`${agent.addr}/v1/deployment/allocation-health/${d.ID}`, {
    method: 'PUT',
    body: JSON.stringify({ DeploymentID: d.ID, HealthyAllocationIDs: [a!.ID], UnhealthyAllocationIDs: [] }),
  });
  assert.equal(res.status, 200, await res.text());
  await waitForState<Deployment>(agent.addr, `/v1/deployment/${d.ID}`, (x) => x.Status === 'successful');
  const stop = await runNomad(['job', 'stop', '-purge', 'manual'], agent.addr);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
});

/** A job whose only task exits 3 at once; restarts off, one reschedule after `delay`. */
function failingJob(name: string, type: string, delay: string): string {
  return `job "${name}" {
  datacenters = ["dc1"]
  type        = "${type}"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts       = 1
      interval       = "1h"
      delay          = "${delay}"
      delay_function = "constant"
      unlimited      = false
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "exit 3"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`;
}

/** Waits for the job's two failed allocations (the first and its one rescheduled replacement). */
async function bothFailed(job: string): Promise<[Alloc, Alloc]> {
  const two = await waitForState<Alloc[]>(agent.addr, `/v1/job/${job}/allocations`, (as) => as.length === 2 && as.every((a) => a.ClientStatus === 'failed'), 20_000);
  const [a, b] = [...two].sort((x, y) => x.CreateIndex - y.CreateIndex);
  return [await fullAlloc(a!.ID), await fullAlloc(b!.ID)];
}

test('failed allocations are rescheduled by the reschedule policy, in a deployment and outside one', async () => {
  // A service job gets the default update block, so its failure happens within a deployment with
  // a progress deadline: the watcher hands the allocation to the reschedule policy. A batch job
  // has no deployment at all.
  const service = await runNomad(['job', 'run', '-detach', file('resched.nomad', failingJob('resched', 'service', '1s'))], agent.addr);
  assert.equal(service.code, 0, service.stdout + service.stderr);
  const batch = await runNomad(['job', 'run', '-detach', file('resched-batch.nomad', failingJob('resched-batch', 'batch', '3s'))], agent.addr);
  assert.equal(batch.code, 0, batch.stdout + batch.stderr);

  // While the batch allocation waits out its delay, alloc status says when it will be replaced.
  const waiting = await waitForState<Alloc[]>(agent.addr, '/v1/job/resched-batch/allocations', (as) => as.length === 1 && as[0]!.ClientStatus === 'failed' && Boolean((as[0] as Alloc & { FollowupEvalID?: string }).FollowupEvalID));
  const eligible = await runNomad(['alloc', 'status', waiting[0]!.ID.slice(0, 8)], agent.addr);
  assert.match(eligible.stdout, /^Reschedule Eligibility\s+= \ds from now$/m);

  for (const job of ['resched', 'resched-batch']) {
    const [first, second] = await bothFailed(job);
    assert.equal(second.PreviousAllocation, first.ID, job);
    const st1 = await runNomad(['alloc', 'status', first.ID.slice(0, 8)], agent.addr);
    assert.match(st1.stdout, new RegExp(`^Replacement Alloc ID\\s+= ${second.ID.slice(0, 8)}$`, 'm'), job);
    const st2 = await runNomad(['alloc', 'status', second.ID.slice(0, 8)], agent.addr);
    assert.match(st2.stdout, /^Reschedule Attempts\s+= 1\/1$/m, job);
    assert.doesNotMatch(st2.stdout, /Reschedule Eligibility/, 'attempts used up: no further reschedule');
    const stop = await runNomad(['job', 'stop', '-purge', job], agent.addr);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
  }
});
