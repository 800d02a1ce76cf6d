// One server on 127.0.0.1 and two client-only agents on .2 and .3: what an operator reaches
// through any agent for an allocation that runs on .3. `alloc exec` (stdin, exit code, a
// terminal's size), `alloc logs -f` and `alloc fs` through the server's HTTP port and through
// the other client's; then `node purge` of a client whose machine is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { terminalSizeSeen } from './exec-terminal.js';
import { NOMAD_BIN, runNomad } from './harness.js';
import { Cluster, http, waitFor } from './cluster-harness.js';
import { Clients, jobAllocs, serviceJob, waitNodes } from './client-harness.js';

/** `nomad alloc logs -f` against `addr`: resolves once `text` was printed, then stops the command. */
async function followUntil(addr: string, allocId: string, texts: string[], makeMore: () => Promise<void>): Promise<string> {
  const child = spawn(process.execPath, [NOMAD_BIN, 'alloc', 'logs', '-f', allocId], { env: { ...process.env, NOMAD_ADDR: addr } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await waitFor(`alloc logs -f at ${addr} prints ${texts[0]}`, async () => (out.includes(texts[0]!) ? true : undefined), 20_000);
    await makeMore();
    for (const t of texts.slice(1)) await waitFor(`alloc logs -f at ${addr} follows with ${t} (stderr: ${err})`, async () => (out.includes(t) ? true : undefined), 20_000);
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
  return out;
}

test('alloc exec, logs -f and fs reach an allocation on another node through any agent; node purge', { timeout: 240_000 }, async () => {
  const cluster = await Cluster.create(1, { bootstrapExpect: 1 });
  const clients = new Clients(cluster);
  try {
    await cluster.startAll();
    const server = cluster.specs[0]!;
    await clients.create('near', '127.0.0.2');
    await clients.create('far', '127.0.0.3');
    await Promise.all([clients.start('near').waitForOutput(/node registration complete/, 30_000), clients.start('far').waitForOutput(/node registration complete/, 30_000)]);
    const ids = await waitNodes(server.addr, ['near', 'far'], 'ready');

    // A job pinned to the far client.
    const marker = `remote-${process.pid}`;
    const job = serviceJob('remote', 1, marker);
    const group = (job.Job['TaskGroups'] as Array<Record<string, unknown>>)[0]!;
    group['Constraints'] = [{ LTarget: '${node.unique.name}', RTarget: 'far', Operand: '=' }];
    assert.equal((await http(server.addr, 'PUT', '/v1/jobs', job)).status, 200);
    const alloc = await waitFor(
      'the allocation running on the far client',
      async () => (await jobAllocs(server.addr, 'remote')).find((a) => a.ClientStatus === 'running' && a.NodeID === ids.get('far')),
      30_000,
    );
    const near = clients.spec('near');
    const via = { server: server.addr, 'the other client': near.addr };

    for (const [name, addr] of Object.entries(via)) {
      // stdin in, output and the command's exit code back.
      const r = await runNomad(['alloc', 'exec', alloc.ID, '/bin/sh', '-c', 'read x; echo "got $x on $(hostname)"; echo oops >&2; exit 3'], addr, { input: 'hello\n', timeoutMs: 30_000 });
      assert.equal(r.code, 3, `exec through ${name}: ${r.stderr}`);
      assert.match(r.stdout, /^got hello on /, `exec through ${name}`);
      assert.equal(r.stderr, 'oops\n', `exec through ${name}`);
      // A terminal's resize reaches the far task.
      await terminalSizeSeen(`${addr}/v1/client/allocation/${alloc.ID}/exec?region=global`, 33, 101);
      // Files and logs.
      const cat = await runNomad(['alloc', 'fs', alloc.ID, 'alloc/logs/t.stdout.0'], addr);
      assert.equal(cat.code, 0, `fs through ${name}: ${cat.stderr}`);
      assert.match(cat.stdout, new RegExp(`^start ${marker} ${alloc.ID}\\n`));
      const token = `mark-${name.replace(/ /g, '-')}-${Date.now()}`;
      const followed = await followUntil(addr, alloc.ID, [`tick ${marker}`, token], async () => {
        // Written into the task's own stdout log file by an exec, so that -f must follow a new line.
        const w = await runNomad(['alloc', 'exec', alloc.ID, '/bin/sh', '-c', `echo ${token} >> "$NOMAD_ALLOC_DIR/logs/t.stdout.0"`], addr, { timeoutMs: 30_000 });
        assert.equal(w.code, 0, w.stderr);
      });
      assert.ok(followed.startsWith(`start ${marker}`), followed.slice(0, 200));
    }

    // The other client answers for its own allocation locally and for no one else's node stats.
    const stats = await http<{ ResourceUsage?: unknown }>(near.addr, 'GET', `/v1/client/allocation/${alloc.ID}/stats`);
    assert.equal(stats.status, 200, stats.text);
    const unknown = await http(near.addr, 'GET', '/v1/client/fs/logs/00000000-0000-0000-0000-000000000000?task=t');
    assert.equal(unknown.status, 404, unknown.text);

    // node purge: the near client's machine is gone; the servers forget it at once.
    await clients.killMachine('near');
    const purged = await runNomad(['node', 'purge', ids.get('near')!], server.addr);
    assert.equal(purged.code, 0, purged.stderr);
    assert.equal(purged.stdout.split('\n')[0], `Node "${ids.get('near')}" purged`);
    assert.equal((await http(server.addr, 'GET', `/v1/node/${ids.get('near')}`)).status, 404);
    const again = await runNomad(['node', 'purge', ids.get('near')!], server.addr);
    assert.deepEqual([again.code, again.stderr.trim()], [1, `No node(s) with prefix or id "${ids.get('near')}" found`]);
    const usage = await runNomad(['node', 'purge'], server.addr);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /Node ID must be specified if -self isn't being used/);
  } finally {
    await clients.shutdown();
    await cluster.shutdown();
  }
});
