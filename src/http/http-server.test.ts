// In-process integration: StateStore + FSM + InMemoryConsensus + Server + HttpServer on port 0.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockNode } from '../../test/unit/scheduler/mock.js';
import { jobInput, startInProcessApi, type InProcessApi, type Reply } from '../../test/unit/http-harness.js';

let api: InProcessApi;
let server: InProcessApi['server'];
let consensus: InProcessApi['consensus'];
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => api.call(method, path, body, headers);
const NODE_ID = 'c9b83144-952d-eea2-2875-b5a843553204';

let schedulerAvailable = true;

before(async () => {
  try {
    await import('../scheduler/index.js');
  } catch {
    schedulerAvailable = false;
  }
  api = await startInProcessApi();
  ({ server, consensus } = api);
  const node = { ...mockNode({ id: NODE_ID, name: 'vm' }), SecretID: 'secret' };
  const reg = await server.nodes.nodeRegister(node);
  assert.ok(reg.HeartbeatTTLMs >= 60_000);
});

after(() => api.close());

test('reads carry the X-Nomad-* headers; a missing job is a plain-text 404 with them', async () => {
  const list = await call('GET', '/v1/jobs');
  assert.equal(list.status, 200);
  assert.equal(list.headers['content-type'], 'application/json');
  assert.equal(list.headers['x-nomad-knownleader'], 'true');
  assert.equal(list.headers['x-nomad-lastcontact'], '0');
  // No job was ever written: the jobs table's index is 0, as Nomad answers.
  assert.equal(list.headers['x-nomad-index'], '0');
  assert.deepEqual(list.json(), []);
  const missing = await call('GET', '/v1/job/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.text, 'job not found');
  assert.equal(missing.headers['content-type'], 'text/plain; charset=utf-8');
  assert.ok(missing.headers['x-nomad-index']);
  assert.equal((await call('GET', '/v1/nothing-here')).status, 404);
  assert.equal((await call('DELETE', '/v1/jobs')).status, 405);
});

test('bad bodies and invalid jobs are 400s that name the problem', async () => {
  const notJson = await call('PUT', '/v1/jobs', '{"Job": ');
  assert.equal(notJson.status, 400);
  assert.match(notJson.text, /Failed to parse JSON body/);
  const noJob = await call('PUT', '/v1/jobs', {});
  assert.equal(noJob.status, 400);
  assert.equal(noJob.text, 'Job must be specified');
  const badField = await call('PUT', '/v1/jobs', { Job: jobInput(), EnforceIndex: 'yes' });
  assert.equal(badField.status, 400);
  assert.equal(badField.text, 'json: cannot unmarshal string into Go struct field JobRegisterRequest.EnforceIndex of type bool');
  const badType = await call('PUT', '/v1/jobs', { Job: { ...jobInput(), Priority: '90' } });
  assert.equal(badType.status, 400);
  assert.equal(badType.text, 'json: cannot unmarshal string into Go struct field Job.Job.Priority of type int');
  const invalid = await call('PUT', '/v1/jobs', { Job: { ID: 'bad', TaskGroups: [] } });
  assert.equal(invalid.status, 400);
  assert.match(invalid.text, /^\d+ errors? occurred:\n\t\* /);
  assert.match(invalid.text, /Datacenters/);
  const mismatch = await call('PUT', '/v1/job/other', { Job: jobInput('example') });
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.text, 'Job ID does not match name');
  const validate = await call('PUT', '/v1/validate/job', { Job: { ID: 'bad' } });
  assert.equal(validate.status, 200);
  assert.ok(validate.json().ValidationErrors.length > 0);
});

test('register over HTTP places allocations on a node registered through NodeEndpoints', { skip: !schedulerAvailable && 'src/scheduler/index.js cannot be imported yet' }, async () => {
  const reg = await call('PUT', '/v1/jobs', { Job: jobInput('example', 2) });
  assert.equal(reg.status, 200, reg.text);
  const out = reg.json();
  assert.match(out.EvalID, /^[0-9a-f-]{36}$/);
  assert.ok(out.EvalCreateIndex > 0 && out.JobModifyIndex > 0);
  // Blocking query on the job's allocations until both are placed (bounded number of rounds).
  let index = 0;
  let allocs: any[] = [];
  for (let round = 0; round < 20 && allocs.length < 2; round++) {
    const r = await call('GET', `/v1/job/example/allocations?index=${index}&wait=5s`);
    assert.equal(r.status, 200);
    index = Number(r.headers['x-nomad-index']);
    allocs = r.json();
  }
  assert.equal(allocs.length, 2);
  assert.equal(allocs[0].NodeID, NODE_ID);
  assert.equal(allocs[0].JobType, 'service');
  // The eval completes.
  let ev: any = null;
  for (let round = 0; round < 20; round++) {
    const r = await call('GET', `/v1/evaluation/${out.EvalID}?index=${ev?.ModifyIndex ?? 0}&wait=5s`);
    ev = r.json();
    if (ev.Status === 'complete') break;
  }
  assert.equal(ev.Status, 'complete');
  assert.equal(ev.NodeID, undefined, 'evaluations leave out empty fields as Nomad does');
  // The client sees its allocations through the blocking GetClientAllocs.
  const mine = await server.nodes.nodeGetClientAllocs(NODE_ID, 0, 1_000);
  assert.equal(Object.keys(mine.Allocs).length, 2);
  // Prefix lookups.
  const byPrefix = await call('GET', `/v1/allocations?prefix=${allocs[0].ID.slice(0, 4)}`);
  assert.ok(byPrefix.json().some((a: any) => a.ID === allocs[0].ID));
  const jobs = await call('GET', '/v1/jobs?prefix=exa');
  assert.deepEqual(jobs.json().map((j: any) => j.ID), ['example']);
  assert.equal((await call('GET', '/v1/jobs?prefix=zzz')).json().length, 0);
  // Plan against the running job: nothing to change.
  const plan = await call('PUT', '/v1/job/example/plan', { Job: jobInput('example', 2), Diff: true });
  assert.equal(plan.status, 200, plan.text);
  assert.equal(plan.json().Diff.Type, 'None');
  assert.equal(plan.json().JobModifyIndex, out.JobModifyIndex);
});

test('check-index: Nomad error texts for a stale or missing index', async () => {
  const first = await call('PUT', '/v1/jobs', { Job: jobInput('checked'), EnforceIndex: true, JobModifyIndex: 0 });
  assert.equal(first.status, 200, first.text);
  const jmi = first.json().JobModifyIndex as number;
  const again = await call('PUT', '/v1/jobs', { Job: jobInput('checked'), EnforceIndex: true, JobModifyIndex: 0 });
  assert.equal(again.status, 500);
  assert.equal(again.text, 'Enforcing job modify index 0: job "checked" already exists');
  const stale = await call('PUT', '/v1/jobs', { Job: jobInput('checked', 3), EnforceIndex: true, JobModifyIndex: jmi - 1 });
  assert.equal(stale.text, `Enforcing job modify index ${jmi - 1}: job exists with conflicting job modify index: ${jmi}`);
  const ok = await call('PUT', '/v1/jobs', { Job: jobInput('checked', 3), EnforceIndex: true, JobModifyIndex: jmi });
  assert.equal(ok.status, 200, ok.text);
  const gone = await call('DELETE', '/v1/job/checked?purge=true');
  assert.equal(gone.status, 200);
  assert.equal((await call('GET', '/v1/job/checked')).status, 404);
});

test('a blocking query wakes on a write and is bounded by wait', async () => {
  const now = await call('GET', '/v1/jobs');
  const index = Number(now.headers['x-nomad-index']);
  const startedMs = Date.now();
  const bounded = await call('GET', `/v1/jobs?index=${index}&wait=50ms`);
  assert.equal(bounded.status, 200);
  assert.equal(Number(bounded.headers['x-nomad-index']), index);
  assert.ok(Date.now() - startedMs < 5_000);
  const woken = call('GET', `/v1/jobs?index=${index}&wait=60s`);
  const reg = await call('PUT', '/v1/jobs', { Job: jobInput('wakeup') });
  assert.equal(reg.status, 200);
  const r = await woken;
  assert.ok(Number(r.headers['x-nomad-index']) > index);
  assert.ok(r.json().some((j: any) => j.ID === 'wakeup'));
  assert.equal((await call('GET', '/v1/jobs?index=x')).status, 400);
});

test('gzip when asked, pretty when asked, and status/operator endpoints', async () => {
  const gz = await call('GET', `/v1/node/${NODE_ID}/allocations`, undefined, { 'accept-encoding': 'gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.json()[0].NodeID, NODE_ID);
  assert.equal((await call('GET', '/v1/nodes?resources=true')).json()[0].ID, NODE_ID);
  const pretty = await call('GET', '/v1/regions?pretty');
  assert.equal(pretty.text, '[\n    "global"\n]\n');
  assert.equal((await call('GET', '/v1/status/leader')).json(), '127.0.0.1:4647');
  const sched = (await call('GET', '/v1/operator/scheduler/configuration')).json();
  assert.equal(sched.KnownLeader, true);
  assert.ok(sched.SchedulerConfig.SchedulerAlgorithm);
  await api.telemetry.collectOnce();
  const metrics = (await call('GET', '/v1/metrics')).json();
  assert.ok(metrics.Gauges.some((g: any) => g.Name === 'nomad.nomad.broker.total_ready' && g.Labels.host === 'test-host'));
  // The reads above were timed under Nomad's RPC names and counted as RPC queries.
  assert.ok(metrics.Samples.some((s: any) => s.Name === 'nomad.nomad.client.get_allocs' && s.Count >= 1));
  assert.ok(metrics.Counters.some((c: any) => c.Name === 'nomad.nomad.rpc.query' && c.Count >= 3));
  const prom = await call('GET', '/v1/metrics?format=prometheus');
  assert.equal(prom.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(prom.text, /# TYPE nomad_nomad_broker_total_ready gauge\nnomad_nomad_broker_total_ready\{host="test-host"\} 0\n/);
  assert.equal((await call('GET', '/v1/client/stats')).status, 400);
  assert.equal((await call('PUT', '/v1/system/gc')).status, 200);
});

test('/v1/jobs/parse never lets a job file read the agent\'s files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parse-fs-'));
  const secret = join(dir, 'secret.txt');
  writeFileSync(secret, 'root:$6$secret-hash:19000:0:99999:7:::\n');
  const job = (meta: string): string => `job "x" {\n  meta {\n    a = ${meta}\n  }\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n      config { command = "/bin/true" }\n    }\n  }\n}\n`;
  for (const expr of [`file("${secret}")`, `fileexists("${secret}")`, 'abspath("x")', 'pathexpand("~/x")', `length(file("${secret}"))`, `tonumber(file("${secret}"))`]) {
    const r = await call('POST', '/v1/jobs/parse', { JobHCL: job(expr) });
    assert.equal(r.status, 400, expr);
    assert.match(r.text, /filesystem function disabled/, expr);
    assert.doesNotMatch(r.text, /secret-hash|root:/, expr);
  }
  const ok = await call('POST', '/v1/jobs/parse', { JobHCL: job('basename("/a/b.txt")') });
  assert.equal(ok.status, 200);
  assert.equal(ok.json().Meta.a, 'b.txt');
});
