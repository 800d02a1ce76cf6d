// The dev agent as a user meets it: start to node ready, `job run -detach` (a CLI process) and a
// job registered over the API to the allocation running, a batch of 100 `/bin/true` allocations to all complete, and idle RSS.
// Prints `bench agent.FIGURE VALUE UNIT` lines; each figure is the median of the runs.
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request } from 'node:http';
import { join } from 'node:path';
import { startDevAgent, runNomad, waitForState, getJson } from '../test/e2e/harness.js';
import { batchTrueJob, sleepJob } from '../test/e2e/job-files.js';
import { startAclApiServer } from '../test/unit/acl-api-server.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface AllocStub {
  ClientStatus: string;
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

function apiJob(): Record<string, unknown> {
  return {
    ID: 'api-svc',
    Datacenters: ['dc1'],
    TaskGroups: [
      {
        Name: 'g',
        Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/sleep', args: ['1000'] }, Resources: { CPU: 50, MemoryMB: 16 } }],
      },
    ],
  };
}

async function once(): Promise<Record<string, number>> {
  const t0 = performance.now();
  const agent = await startDevAgent({ args: ['-log-level', 'INFO'] });
  try {
    // The API answers once the banner says the agent started; readiness is then a blocking query.
    await agent.waitForOutput(/Nomad agent started/);
    await waitForState<Array<{ Status: string }>>(agent.addr, '/v1/nodes', (n) => n.length === 1 && n[0]!.Status === 'ready', 30_000);
    const startToReadyMs = performance.now() - t0;
    // Idle: a fresh agent with its node registered and nothing to run.
    await getJson(agent.addr, '/v1/agent/self');
    const idleRssMb = rssMb(agent.child.pid!);

    // The server-side path alone: the job registered over the API (no CLI process) to the
    // allocation reported running by the client.
    const tApi = performance.now();
    const reg = await fetch(`${agent.addr}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: apiJob() }) });
    if (reg.status !== 200) throw new Error(`register failed: ${reg.status} ${await reg.text()}`);
    await waitForState<AllocStub[]>(agent.addr, '/v1/job/api-svc/allocations', (a) => a.length === 1 && a[0]!.ClientStatus === 'running');
    const registerToRunningMs = performance.now() - tApi;

    const svc = join(agent.dir, 'svc.nomad');
    writeFileSync(svc, sleepJob('svc', 50, 16));
    // Timed from the moment the CLI starts (it parses the file and registers over HTTP).
    const t1 = performance.now();
    const run = await runNomad(['job', 'run', '-detach', svc], agent.addr);
    if (run.code !== 0) throw new Error(`job run failed: ${run.stdout}${run.stderr}`);
    await waitForState<AllocStub[]>(agent.addr, '/v1/job/svc/allocations', (a) => a.length === 1 && a[0]!.ClientStatus === 'running');
    const runToRunningMs = performance.now() - t1;

    const batch = join(agent.dir, 'batch.nomad');
    writeFileSync(batch, batchTrueJob('batch100', 100));
    const t2 = performance.now();
    const brun = await runNomad(['job', 'run', '-detach', batch], agent.addr);
    if (brun.code !== 0) throw new Error(`batch run failed: ${brun.stdout}${brun.stderr}`);
    await waitForState<AllocStub[]>(agent.addr, '/v1/job/batch100/allocations', (a) => a.length === 100 && a.every((x) => x.ClientStatus === 'complete'), 120_000);
    const batchCompleteMs = performance.now() - t2;

    // Idle: stop the service, let the agent settle on a blocking query, read its RSS.
    await runNomad(['job', 'stop', '-purge', '-detach', 'svc'], agent.addr);
    await runNomad(['job', 'stop', '-purge', '-detach', 'api-svc'], agent.addr);
    await waitForState<AllocStub[]>(agent.addr, '/v1/allocations?prefix=', (a) => a.every((x) => x.ClientStatus !== 'running'), 30_000);
    const self = await getJson(agent.addr, '/v1/agent/self');
    if (self.status !== 200) throw new Error('agent self failed');
    return { startToReadyMs, runToRunningMs, registerToRunningMs, batchCompleteMs, idleRssMb, afterBatchRssMb: rssMb(agent.child.pid!) };
  } finally {
    await agent.stop('SIGINT');
    agent.cleanup();
  }
}

/** One keep-alive GET, answered 200; resolves with its time in microseconds. */
function timedGet(agent: HttpAgent, port: number, path: string, token: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: token ? { 'X-Nomad-Token': token } : {} }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve((performance.now() - t0) * 1000) : reject(new Error(`GET ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The same read through two ports, one request to each in turn (the first of each pair
 * alternating), so that both see the same load of a shared machine: the median of each after
 * warm-up.
 */
async function compareReads(keepAlive: HttpAgent, path: string, a: { port: number; token: string }, b: { port: number; token: string }): Promise<{ aUs: number; bUs: number }> {
  const PAIRS = 8000;
  const WARM_UP = 1000;
  const aTimes: number[] = [];
  const bTimes: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const order = i % 2 === 0 ? [a, b] : [b, a];
    for (const side of order) (side === a ? aTimes : bTimes).push(await timedGet(keepAlive, side.port, path, side.token));
  }
  return { aUs: median(aTimes.slice(WARM_UP)), bUs: median(bTimes.slice(WARM_UP)) };
}

/** The ACL check alone: one server, one listener with ACLs on and one with them off. */
async function aclOverheadInProcess(): Promise<{ offUs: number; onUs: number }> {
  const api = await startAclApiServer();
  const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  try {
    const root = (JSON.parse((await api.call('PUT', '/v1/acl/bootstrap')).text) as { SecretID: string }).SecretID;
    await api.call('PUT', '/v1/acl/policy/reader', root, { Name: 'reader', Rules: 'namespace "default" { policy = "read" }' });
    const token = (JSON.parse((await api.call('PUT', '/v1/acl/token', root, { Name: 'bench', Type: 'client', Policies: ['reader'] })).text) as { SecretID: string }).SecretID;
    const r = await compareReads(keepAlive, '/v1/jobs', { port: api.plainPort, token: '' }, { port: api.port, token });
    return { offUs: r.aUs, onUs: r.bUs };
  } finally {
    keepAlive.destroy();
    await api.close();
  }
}

/**
 * What ACLs cost a request: the same read against an agent with ACLs off and one with ACLs on
 * (a client token with a read policy), in alternating batches so that both see the same machine.
 */
async function aclOverhead(): Promise<{ offUs: number; onUs: number }> {
  const off = await startDevAgent({ args: ['-log-level', 'WARN'] });
  const on = await startDevAgent({ args: ['-log-level', 'WARN', '-acl-enabled'] });
  const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  try {
    await Promise.all([off.waitForOutput(/Nomad agent started/), on.waitForOutput(/Nomad agent started/)]);
    const boot = await fetch(`${on.addr}/v1/acl/bootstrap`, { method: 'PUT' }).then((r) => r.json() as Promise<{ SecretID: string }>);
    const mgmt = { 'X-Nomad-Token': boot.SecretID };
    await fetch(`${on.addr}/v1/acl/policy/reader`, { method: 'PUT', headers: mgmt, body: JSON.stringify({ Name: 'reader', Rules: 'namespace "default" { policy = "read" }' }) });
    const token = await fetch(`${on.addr}/v1/acl/token`, { method: 'PUT', headers: mgmt, body: JSON.stringify({ Name: 'bench', Type: 'client', Policies: ['reader'] }) }).then((r) => r.json() as Promise<{ SecretID: string }>);
    const r = await compareReads(keepAlive, '/v1/jobs', { port: off.httpPort, token: '' }, { port: on.httpPort, token: token.SecretID });
    return { offUs: r.aUs, onUs: r.bUs };
  } finally {
    keepAlive.destroy();
    await Promise.all([off.stop('SIGINT'), on.stop('SIGINT')]);
    off.cleanup();
    on.cleanup();
  }
}

const results: Array<Record<string, number>> = [];
for (let i = 0; i < RUNS; i++) results.push(await once());
const fig = (k: string) => median(results.map((r) => r[k]!));
console.log(`bench agent.start_to_node_ready_ms ${fig('startToReadyMs').toFixed(0)} ms`);
console.log(`bench agent.job_run_to_running_ms ${fig('runToRunningMs').toFixed(0)} ms`);
console.log(`bench agent.batch100_complete_ms ${fig('batchCompleteMs').toFixed(0)} ms`);
console.log(`bench agent.job_register_to_running_ms ${fig('registerToRunningMs').toFixed(0)} ms`);
console.log(`bench agent.idle_rss_mb ${fig('idleRssMb').toFixed(1)} MB`);
console.log(`bench agent.rss_after_batch100_mb ${fig('afterBatchRssMb').toFixed(1)} MB`);
const acl = await aclOverhead();
console.log(`bench agent.http_get_acl_off_us ${acl.offUs.toFixed(0)} us`);
console.log(`bench agent.http_get_acl_on_us ${acl.onUs.toFixed(0)} us`);
console.log(`bench agent.acl_overhead_pct ${(((acl.onUs - acl.offUs) / acl.offUs) * 100).toFixed(1)} %`);
// Two agent processes differ by a few percent even with the same settings; one server with two
// listeners measures the ACL check alone.
const inProcess = await aclOverheadInProcess();
console.log(`bench agent.http_get_acl_off_inprocess_us ${inProcess.offUs.toFixed(0)} us`);
console.log(`bench agent.http_get_acl_on_inprocess_us ${inProcess.onUs.toFixed(0)} us`);
console.log(`bench agent.acl_overhead_inprocess_pct ${(((inProcess.onUs - inProcess.offUs) / inProcess.offUs) * 100).toFixed(1)} %`);
