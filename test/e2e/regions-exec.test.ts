// Two federated regions of one server (with a client) each, and a client-only agent in east:
// `alloc exec -region west` (stdin, exit code, a terminal's size) and `alloc logs -f -region
// west` of an allocation that runs in west, sent to east's server and to east's client agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { terminalSizeSeen } from './exec-terminal.js';
import { http, waitFor } from './cluster-harness.js';
import { Clients } from './client-harness.js';
import { Federation } from './federation-harness.js';
import { NOMAD_BIN, runNomad } from './harness.js';
import { rawExecJob } from './job-files.js';

test('alloc exec and alloc logs -f into another region, through its server and a client agent', { timeout: 240_000 }, async () => {
  const fed = await Federation.start([
    { region: 'east', servers: 1, base: 81, options: { withClient: true } },
    { region: 'west', servers: 1, base: 82, options: { withClient: true } },
  ]);
  const clients = new Clients(fed.cluster('east'));
  try {
    const east = fed.server('east');
    const west = fed.server('west');
    await fed.join(east, west);
    await clients.create('east-c', '127.0.0.83', 'region = "east"\n');
    await clients.start('east-c').waitForOutput(/node registration complete/, 30_000);

    const file = join(fed.cluster('east').root, 'far.nomad');
    writeFileSync(file, rawExecJob({ name: 'far', region: 'west', command: '/bin/sh', args: ['-c', 'echo "hello from $NOMAD_REGION"; while true; do sleep 1; done'], cpu: 20, memoryMB: 16 }));
    const run = await runNomad(['job', 'run', '-detach', file], east.addr);
    assert.equal(run.code, 0, run.stderr);
    const allocId = await waitFor(
      'the job running in west',
      async () => {
        const r = await http<Array<{ ID: string; ClientStatus: string }>>(west.addr, 'GET', '/v1/job/far/allocations');
        return r.body.find((a) => a.ClientStatus === 'running')?.ID;
      },
      30_000,
    );
    const eastClient = clients.spec('east-c');
    for (const [name, addr] of Object.entries({ "east's server": east.addr, "east's client agent": eastClient.addr })) {
      const r = await runNomad(['alloc', 'exec', '-region', 'west', allocId, '/bin/sh', '-c', 'read x; echo "$x in $NOMAD_REGION"; exit 4'], addr, { input: 'hi\n', timeoutMs: 30_000 });
      assert.deepEqual([r.code, r.stdout, r.stderr], [4, 'hi in west\n', ''], `exec through ${name}`);
      await terminalSizeSeen(`${addr}/v1/client/allocation/${allocId}/exec?region=west`, 29, 97);

      const follower = spawn(process.execPath, [NOMAD_BIN, 'alloc', 'logs', '-f', '-region', 'west', allocId], { env: { ...process.env, NOMAD_ADDR: addr } });
      let out = '';
      follower.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        await waitFor(`logs -f through ${name}`, async () => (out.includes('hello from west\n') ? true : undefined), 20_000);
        const mark = `later-${Date.now()}`;
        const w = await runNomad(['alloc', 'exec', '-region', 'west', allocId, '/bin/sh', '-c', `echo ${mark} >> "$NOMAD_ALLOC_DIR/logs/t.stdout.0"`], addr, { timeoutMs: 30_000 });
        assert.equal(w.code, 0, w.stderr);
        await waitFor(`logs -f through ${name} follows`, async () => (out.includes(`${mark}\n`) ? true : undefined), 20_000);
      } finally {
        follower.kill('SIGINT');
        await new Promise((r) => (follower.exitCode !== null ? r(null) : follower.once('exit', r)));
      }
    }
    // A client agent passes ?region= on for its own routes too: a region nobody knows is refused by the servers.
    const nowhere = await http(eastClient.addr, 'GET', `/v1/client/fs/logs/${allocId}?task=t&region=nowhere`);
    assert.deepEqual([nowhere.status, nowhere.text], [500, 'No path to region']);
  } finally {
    await clients.shutdown();
    await fed.shutdown();
  }
});
