// Two regions of one server (with a client) each, as separate processes, federated by
// `nomad server join`: both see both, each region's leader is "true" in `server members`, and
// every command works against the other region from either server: a job whose region is the
// other one runs there, `job status`/`node status`/`job plan` with -region or NOMAD_REGION,
// `alloc logs` (whole and followed) of an allocation in the other region, its event stream, a blocking query
// answered when the other region changes, and "No path to region" for a region that does not exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, waitFor } from './cluster-harness.js';
import { Federation } from './federation-harness.js';
import { NOMAD_BIN, REPO_ROOT, runNomad, waitForState } from './harness.js';
import { rawExecJob } from './job-files.js';
import { createClient, type EventFrame, type StreamedEvent } from '../../src/api/index.js';

interface AllocStub {
  ID: string;
  ClientStatus: string;
  DesiredStatus: string;
}

test('two federated regions: members, leaders, and every command across regions', { timeout: 240_000 }, async () => {
  const fed = await Federation.start([
    { region: 'east', servers: 1, base: 41, options: { withClient: true } },
    { region: 'west', servers: 1, base: 42, options: { withClient: true } },
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'nomad-regions-'));
  try {
    const east = fed.server('east');
    const west = fed.server('west');
    const convergeMs = await fed.join(east, west);
    console.log(`# members converged ${convergeMs} ms after server join`);

    for (const s of [east, west]) {
      const regions = await http<string[]>(s.addr, 'GET', '/v1/regions');
      assert.deepEqual(regions.body, ['east', 'west']);
      const self = await http<{ stats: { nomad: Record<string, string> } }>(s.addr, 'GET', '/v1/agent/self');
      assert.equal(self.body.stats.nomad['known_regions'], '2');
      const members = await runNomad(['server', 'members'], s.addr);
      assert.equal(members.code, 0, members.stderr);
      const rows = members.stdout.trimEnd().split('\n');
      assert.match(rows[0]!, /^Name +Address +Port +Status +Leader +Protocol +Build +Datacenter +Region$/);
      assert.equal(rows.length, 3, members.stdout);
      assert.match(rows[1]!, /^east-s1\.east +127\.0\.0\.41 +\d+ +alive +true +2 +\S+ +dc1 +east$/);
      assert.match(rows[2]!, /^west-s1\.west +127\.0\.0\.42 +\d+ +alive +true +2 +\S+ +dc1 +west$/);
    }

    // A job that names its region runs there, whichever server it was given to.
    const hello = join(dir, 'hello.nomad');
    writeFileSync(hello, rawExecJob({ name: 'hello', type: 'batch', region: 'west', noRestart: true, command: '/bin/sh', args: ['-c', 'echo "hello from $NOMAD_REGION"'], cpu: 20, memoryMB: 16 }));
    const planned = await runNomad(['job', 'plan', hello], east.addr);
    assert.equal(planned.code, 1, planned.stderr);
    assert.match(planned.stdout, /\+ Job: "hello"/);
    const run = await runNomad(['job', 'run', hello], east.addr);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /Evaluation "[0-9a-f]{8}" finished with status "complete"/);
    assert.equal((await http(west.addr, 'GET', '/v1/job/hello')).status, 200, 'the job is in west');
    assert.equal((await http(east.addr, 'GET', '/v1/job/hello')).status, 404, 'and not in east');

    const status = await runNomad(['job', 'status', '-region', 'west', 'hello'], east.addr);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^ID +\s*= hello$/m);
    const byEnv = await runNomad(['job', 'status', 'hello'], east.addr, { env: { NOMAD_REGION: 'west' } });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    const notHere = await runNomad(['job', 'status', 'hello'], east.addr);
    assert.equal(notHere.code, 1);
    assert.match(notHere.stderr + notHere.stdout, /No job\(s\) with prefix or id "hello" found/);

    const nodes = await runNomad(['node', 'status', '-region', 'west'], east.addr);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.match(nodes.stdout, /^[0-9a-f]{8} +dc1 +west-s1 +/m);
    assert.doesNotMatch(nodes.stdout, /east-s1/);

    const allocs = await waitForState<AllocStub[]>(east.addr, '/v1/job/hello/allocations?region=west', (a) => a.length === 1 && a[0]!.ClientStatus === 'complete', 30_000);
    const logs = await runNomad(['alloc', 'logs', '-region', 'west', allocs[0]!.ID, 't'], east.addr);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, 'hello from west\n');

    // A followed log streams across regions as the task writes it.
    const ticker = join(dir, 'ticker.nomad');
    writeFileSync(ticker, rawExecJob({ name: 'ticker', region: 'west', command: '/bin/sh', args: ['-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'], cpu: 20, memoryMB: 16 }));
    // West's event stream, followed through east, shows the job registered in west.
    const events = createClient({ address: east.addr });
    events.setRegion('west');
    const eventsAbort = new AbortController();
    const frames = events.events.stream({ topics: ['Job:ticker'], signal: eventsAbort.signal })[Symbol.asyncIterator]();
    const started = await runNomad(['job', 'run', '-detach', ticker], west.addr);
    assert.equal(started.code, 0, started.stderr);
    try {
      const registered = await firstEvent(frames, (e) => e.Type === 'JobRegistered', 30_000);
      assert.equal((registered.Payload.Job as { Region: string }).Region, 'west');
    } finally {
      eventsAbort.abort();
    }
    const running = await waitForState<AllocStub[]>(east.addr, '/v1/job/ticker/allocations?region=west', (a) => a.some((x) => x.ClientStatus === 'running'), 30_000);
    const tickerAlloc = running.find((x) => x.ClientStatus === 'running')!.ID;
    const follower = spawn(process.execPath, [NOMAD_BIN, 'alloc', 'logs', '-f', tickerAlloc, 't'], { cwd: REPO_ROOT, env: { ...process.env, NOMAD_ADDR: east.addr, NOMAD_REGION: 'west' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    follower.stdout.on('data', (d) => (followed += d));
    try {
      // Ticks keep arriving after the command started: the stream is live, not a copy.
      await waitFor('ticks streamed', async () => (/tick \d+\n[^]*tick \d+\n[^]*tick \d+\n/.test(followed) ? true : undefined), 20_000);
      const seen = followed.length;
      await waitFor('more ticks streamed', async () => (followed.length > seen ? true : undefined), 10_000);
    } finally {
      follower.kill('SIGINT');
    }

    // A blocking query through east for west's allocations is answered by west's change.
    const before = await http<AllocStub[]>(east.addr, 'GET', '/v1/job/ticker/allocations?region=west');
    const index = Number(before.headers.get('x-nomad-index'));
    const blocked = http<AllocStub[]>(east.addr, 'GET', `/v1/job/ticker/allocations?region=west&index=${index}&wait=60s`, undefined, 70_000);
    const stop = await runNomad(['job', 'stop', '-detach', '-region', 'west', 'ticker'], east.addr);
    assert.equal(stop.code, 0, stop.stderr);
    const woke = await blocked;
    assert.equal(woke.status, 200);
    assert.ok(Number(woke.headers.get('x-nomad-index')) > index);
    assert.ok(woke.body.every((a) => a.DesiredStatus === 'stop'), JSON.stringify(woke.body));

    const unknown = await runNomad(['job', 'status', '-region', 'nowhere'], east.addr);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No path to region/);
  } finally {
    await fed.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The first streamed event that matches, within a bound. */
async function firstEvent(frames: AsyncIterator<EventFrame>, match: (e: StreamedEvent) => boolean, boundMs: number): Promise<StreamedEvent> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no matching event within ${boundMs} ms`)), Math.max(0, left))));
    try {
      const next = await Promise.race([frames.next(), timeout]);
      if (next.done) throw new Error('the event stream ended');
      const found = next.value.Events.find(match);
      if (found) return found;
    } finally {
      clearTimeout(timer);
    }
  }
}
