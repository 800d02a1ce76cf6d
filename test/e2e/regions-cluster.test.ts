// A region of three servers (one Raft cluster) and a region of one, as separate processes
// speaking mutual TLS on RPC (each region's servers carry their own region's role name, checked
// by verify_server_hostname), federated by one `nomad server join`: every server sees all four,
// `server members` marks exactly each region's leader, and requests cross in both directions:
// writes land in the other region's replicated state whichever of its servers took them, reads
// and blocking queries are answered from there, and when the bigger region's leader is killed,
// requests for it go on through its other servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agreedLeader, http, jobBody, waitFor } from './cluster-harness.js';
import { Federation, leaderOf, rpcTlsConfig } from './federation-harness.js';
import { runNomad } from './harness.js';
import { rawExecJob } from './job-files.js';

test('a region of three servers and a region of one: members, leaders, writes, reads and blocking queries', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-regions-cluster-'));
  const fed = await Federation.start([
    { region: 'north', servers: 3, base: 61, options: { extraConfig: rpcTlsConfig(dir, 'north') } },
    { region: 'south', servers: 1, base: 64, options: { extraConfig: rpcTlsConfig(dir, 'south') } },
  ]);
  try {
    const north = fed.cluster('north').specs;
    const south = fed.server('south');
    const northLeader = await agreedLeader(north, 30_000);
    await waitFor('south leads itself', async () => ((await leaderOf(south.addr, 'south')) ? true : undefined), 30_000);

    await fed.join(south, fed.server('north', 'north-s2'));

    for (const s of fed.allServers()) {
      const r = await runNomad(['server', 'members'], s.addr);
      assert.equal(r.code, 0, r.stderr);
      const rows = r.stdout.trimEnd().split('\n').slice(1);
      assert.equal(rows.length, 4, r.stdout);
      const leaders = rows.filter((row) => / alive +true /.test(row)).map((row) => row.split(/ +/)[0]);
      assert.deepEqual(leaders, [`${northLeader.name}.north`, 'south-s1.south'], `${s.name} marks each region's leader: ${r.stdout}`);
      assert.deepEqual((await http<string[]>(s.addr, 'GET', '/v1/regions')).body, ['north', 'south']);
    }

    // Writes from south land in north's replicated state, whichever north server took them.
    for (let i = 0; i < 6; i++) {
      const w = await http<{ EvalID: string }>(south.addr, 'PUT', '/v1/jobs?region=north', jobBody(`from-south-${i}`));
      assert.equal(w.status, 200, w.text);
    }
    for (const s of north) {
      for (let i = 0; i < 6; i++) {
        const r = await http<{ Region: string }>(s.addr, 'GET', `/v1/job/from-south-${i}`);
        assert.equal(r.status, 200, `${s.name} has from-south-${i}`);
        assert.equal(r.body.Region, 'north');
      }
    }
    assert.equal((await http(south.addr, 'GET', '/v1/job/from-south-0')).status, 404);

    // A job naming south, given to a north follower, runs... in south (stored there).
    const follower = north.find((s) => s !== northLeader)!;
    const file = join(dir, 'southern.nomad');
    writeFileSync(file, rawExecJob({ name: 'southern', type: 'batch', region: 'south', command: '/bin/true', cpu: 20, memoryMB: 16 }));
    const run = await runNomad(['job', 'run', '-detach', file], follower.addr);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await http<{ Region: string }>(south.addr, 'GET', '/v1/job/southern')).body.Region, 'south');

    // Reads through south are consistent with north's writes, whichever north server answers.
    for (let i = 0; i < 8; i++) {
      const r = await http<Array<{ ID: string }>>(south.addr, 'GET', '/v1/jobs?region=north&prefix=from-south-');
      assert.equal(r.status, 200);
      assert.equal(r.body.length, 6);
    }

    // A blocking query through south is answered by a write in north.
    const index = Number((await http(south.addr, 'GET', '/v1/jobs?region=north')).headers.get('x-nomad-index'));
    const blocked = http<Array<{ ID: string }>>(south.addr, 'GET', `/v1/jobs?region=north&index=${index}&wait=60s`, undefined, 70_000);
    const late = await http(follower.addr, 'PUT', '/v1/jobs', jobBody('late'));
    assert.equal(late.status, 200, late.text);
    const woke = await blocked;
    assert.ok(Number(woke.headers.get('x-nomad-index')) > index);
    assert.ok(woke.body.some((j) => j.ID === 'late'));

    // North's leader dies: north elects another, and requests from south find a live server.
    await fed.cluster('north').kill(northLeader.name);
    const rest = north.filter((s) => s !== northLeader);
    const next = await agreedLeader(rest, 30_000);
    assert.notEqual(next.name, northLeader.name);
    await waitFor('south writes to north again', async () => ((await http(south.addr, 'PUT', '/v1/jobs?region=north', jobBody('after-failover'), 10_000)).status === 200 ? true : undefined), 30_000);
    for (let i = 0; i < 6; i++) {
      const r = await http(south.addr, 'GET', '/v1/job/after-failover?region=north', undefined, 10_000);
      assert.equal(r.status, 200, r.text);
    }
    assert.equal(await leaderOf(south.addr, 'north'), `${next.ip}:${next.rpc}`);
  } finally {
    await fed.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});
