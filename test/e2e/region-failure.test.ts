// The region failure scenario, as separate processes: two federated regions of one server each;
// west's server is killed (SIGKILL). Requests for west fail within seconds with an error that
// says so (then "No path to region" once gossip has marked it failed), never hang; east goes
// on taking and running jobs. West's server restarted from its data_dir leads its region again
// with its jobs, and rejoins the federation by itself (it remembers the members it knew).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, waitFor } from './cluster-harness.js';
import { Federation, leaderOf } from './federation-harness.js';
import { runNomad } from './harness.js';
import { rawExecJob } from './job-files.js';

const batch = (name: string, region: string): string => rawExecJob({ name, type: 'batch', region, noRestart: true, command: '/bin/sh', args: ['-c', 'echo done'], cpu: 20, memoryMB: 16 });

test('a region lost and restored: clear errors meanwhile, the others go on, it comes back with its jobs', { timeout: 240_000 }, async () => {
  const fed = await Federation.start([
    { region: 'east', servers: 1, base: 51, options: { withClient: true } },
    { region: 'west', servers: 1, base: 52, options: { withClient: true } },
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'nomad-region-failure-'));
  try {
    const east = fed.server('east');
    const west = fed.server('west');
    await fed.join(east, west);

    const westJob = join(dir, 'west.nomad');
    writeFileSync(westJob, batch('west-work', 'west'));
    const ran = await runNomad(['job', 'run', westJob], east.addr);
    assert.equal(ran.code, 0, ran.stderr + ran.stdout);

    await fed.cluster('west').kill('west-s1');
    const failStarted = Date.now();
    const down = await http(east.addr, 'GET', '/v1/job/west-work?region=west', undefined, 10_000);
    const failMs = Date.now() - failStarted;
    assert.equal(down.status, 500);
    assert.match(down.text, /^(Failed to reach region "west": no server of the region answered \(west-s1\.west at 127\.0\.0\.52:\d+: .+\)|No path to region)$/);
    assert.ok(failMs < 5_000, `the request failed in ${failMs} ms`);
    console.log(`# a request for the killed region failed in ${failMs} ms`);
    const cli = await runNomad(['job', 'status', '-region', 'west', 'west-work'], east.addr);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /Error querying job: Unexpected response code: 500 \((Failed to reach region "west"|No path to region)/);

    // East goes on: a job of its own runs to completion.
    const eastJob = join(dir, 'east.nomad');
    writeFileSync(eastJob, batch('east-work', 'east'));
    const eastRun = await runNomad(['job', 'run', eastJob], east.addr);
    assert.equal(eastRun.code, 0, eastRun.stderr + eastRun.stdout);
    assert.match(eastRun.stdout, /finished with status "complete"/);

    // Once gossip has marked west's server failed, west is a region with no path to it.
    await waitFor('west no longer a known region', async () => {
      const r = await http<string[]>(east.addr, 'GET', '/v1/regions');
      return JSON.stringify(r.body) === '["east"]' ? true : undefined;
    }, 60_000);
    const gone = await http(east.addr, 'GET', '/v1/job/west-work?region=west');
    assert.deepEqual([gone.status, gone.text], [500, 'No path to region']);
    const members = await runNomad(['server', 'members'], east.addr);
    assert.match(members.stdout, /^east-s1\.east +\S+ +\d+ +alive +true /m);
    assert.match(members.stdout, /^west-s1\.west +\S+ +\d+ +failed +false /m);

    // West's server, restarted from its data_dir, leads its region with its jobs and finds east by itself.
    const restartedAt = Date.now();
    fed.cluster('west').start('west-s1');
    await waitFor('west serves its job again', async () => {
      const r = await http<{ ID: string; Region: string }>(west.addr, 'GET', '/v1/job/west-work', undefined, 5_000);
      return r.status === 200 && r.body.Region === 'west' ? true : undefined;
    }, 60_000);
    const leadsMs = Date.now() - restartedAt;
    assert.equal(await leaderOf(west.addr, 'west'), `${west.ip}:${west.rpc}`);
    await waitFor('west reachable from east again', async () => ((await http(east.addr, 'GET', '/v1/job/west-work?region=west', undefined, 5_000)).status === 200 ? true : undefined), 60_000);
    const rejoinMs = Date.now() - restartedAt;
    console.log(`# the restarted server led its region with its jobs after ${leadsMs} ms, and was reachable from east after ${rejoinMs} ms`);
    assert.match(fed.cluster('west').output('west-s1'), /serf: attempting re-join to previously known members: 127\.0\.0\.51:\d+/);
    const after = await runNomad(['server', 'members'], east.addr);
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /^west-s1\.west +\S+ +\d+ +alive +true /m);
  } finally {
    await fed.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});
