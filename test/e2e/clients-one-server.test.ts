// One server on 127.0.0.1 and two client-only agents on 127.0.0.4 and .5, as an operator would
// run them: the clients register over RPC, a job spreads over both, a client restart keeps its
// tasks (same pids, output kept meanwhile), a client machine that dies is marked down and its
// allocations lost and replaced on the other client, and when it comes back it is ready again,
// its lost allocations turn complete and nothing runs twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNomad } from './harness.js';
import { Cluster, http, waitFor } from './cluster-harness.js';
import { alive, Clients, jobAllocs, nodes, pidsRunning, serviceJob, taskPids, waitNodes } from './client-harness.js';

// Short enough that a dead machine is seen within seconds, long enough for a client restart not to look like one.
const FAST_HEARTBEATS = 'server {\n  min_heartbeat_ttl = "2s"\n  heartbeat_grace = "6s"\n}\n';

test('one server, two clients: register, spread, restart keeps tasks, machine loss, return', { timeout: 240_000 }, async () => {
  const cluster = await Cluster.create(1, { bootstrapExpect: 1, extraConfig: FAST_HEARTBEATS });
  const clients = new Clients(cluster);
  try {
    await cluster.startAll();
    const server = cluster.specs[0]!;
    await clients.create('c1', '127.0.0.4');
    await clients.create('c2', '127.0.0.5');
    await Promise.all([clients.start('c1').waitForOutput(/node registration complete/, 30_000), clients.start('c2').waitForOutput(/node registration complete/, 30_000)]);
    const ids = await waitNodes(server.addr, ['c1', 'c2'], 'ready');

    // The CLI against a client agent: its own node (-self) and the node list, forwarded to the server.
    const c1 = clients.spec('c1');
    const self = await runNomad(['node', 'status', '-self', '-short'], c1.addr);
    assert.equal(self.code, 0, self.stderr);
    assert.match(self.stdout, new RegExp(`ID\\s+= ${ids.get('c1')}`));
    const list = await runNomad(['node', 'status'], c1.addr);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout.trim().split('\n').length, 3, list.stdout);

    // A job through a client agent's API: one allocation on each client.
    const marker = `spread-${process.pid}`;
    const reg = await http(c1.addr, 'PUT', '/v1/jobs', serviceJob('spread', 2, marker));
    assert.equal(reg.status, 200, reg.text);
    const running = await waitFor(
      'both allocations running, one per client',
      async () => {
        const as = (await jobAllocs(server.addr, 'spread')).filter((a) => a.ClientStatus === 'running');
        return as.length === 2 && new Set(as.map((a) => a.NodeID)).size === 2 ? as : undefined;
      },
      30_000,
    );
    assert.equal(pidsRunning(marker).length, 2);

    // A client restart keeps its task: same pid, no restart, output captured while it was down.
    const c2 = clients.spec('c2');
    const [pidBefore] = taskPids(c2.dataDir);
    assert.ok(pidBefore && alive(pidBefore));
    const onC2 = running.find((a) => a.NodeID === ids.get('c2'))!;
    const logFile = join(c2.dataDir, 'alloc', onC2.ID, 'alloc', 'logs', 't.stdout.0');
    const lines = (): number => readFileSync(logFile, 'utf8').split('\n').length;
    await clients.stop('c2');
    assert.ok(alive(pidBefore), 'the task outlives its client');
    const linesAtStop = lines();
    await waitFor('output written while the client is down', async () => (lines() >= linesAtStop + 3 ? true : undefined), 10_000);
    const restartedAt = Date.now();
    await clients.start('c2').waitForOutput(/restored allocations allocs=1/, 30_000);
    assert.deepEqual(taskPids(c2.dataDir), [pidBefore]);
    await waitFor('reattached allocation reported running', async () => {
      const a = (await jobAllocs(server.addr, 'spread')).find((x) => x.ID === onC2.ID);
      return a?.ClientStatus === 'running' && a.TaskStates?.['t']?.Restarts === 0 ? a : undefined;
    }, 10_000);
    assert.ok(Date.now() - restartedAt < 15_000);
    const logs = await http<string>(server.addr, 'GET', `/v1/client/fs/logs/${onC2.ID}?task=t&type=stdout&plain=true`);
    assert.equal(logs.status, 200, logs.text);
    const ticks = String(logs.body).split('\n').filter((l) => l === `tick ${marker}`).length;
    assert.ok(ticks >= 2, `ticks logged: ${ticks}`);
    assert.equal(String(logs.body).split('\n').filter((l) => l.startsWith('start ')).length, 1, 'the task never started twice');

    // The machine of c1 dies: node down, its allocation lost, a replacement running on c2.
    const onC1 = running.find((a) => a.NodeID === ids.get('c1'))!;
    await clients.killMachine('c1');
    await waitNodes(server.addr, ['c1'], 'down', 30_000);
    const replaced = await waitFor(
      'lost allocation replaced on the other client',
      async () => {
        const as = await jobAllocs(server.addr, 'spread');
        const lost = as.find((a) => a.ID === onC1.ID);
        const live = as.filter((a) => a.ClientStatus === 'running' && a.NodeID === ids.get('c2'));
        return lost?.ClientStatus === 'lost' && live.length === 2 ? live : undefined;
      },
      30_000,
    );
    assert.equal(replaced.length, 2);
    const events = (await http<{ Events: Array<{ Message: string }> }>(server.addr, 'GET', `/v1/node/${ids.get('c1')}`)).body.Events.map((e) => e.Message);
    assert.ok(events.includes('Node heartbeat missed'), events.join(', '));

    // c1 comes back: ready, same node, its lost allocation complete, nothing runs twice.
    await clients.start('c1').waitForOutput(/node registration complete/, 30_000);
    const back = await waitNodes(server.addr, ['c1'], 'ready', 30_000);
    assert.equal(back.get('c1'), ids.get('c1'));
    await waitFor('lost allocation complete', async () => {
      const a = (await jobAllocs(server.addr, 'spread')).find((x) => x.ID === onC1.ID);
      return a?.ClientStatus === 'complete' ? a : undefined;
    }, 30_000);
    const after = (await http<{ Events: Array<{ Message: string }> }>(server.addr, 'GET', `/v1/node/${ids.get('c1')}`)).body.Events.map((e) => e.Message);
    assert.ok(after.includes('Node re-registered'), after.join(', '));
    assert.equal(pidsRunning(marker).length, 2, 'two tasks, both on c2');
    assert.deepEqual(taskPids(clients.spec('c1').dataDir).filter(alive), []);
    assert.equal((await nodes(server.addr)).length, 2);
  } finally {
    await clients.shutdown();
    await cluster.shutdown();
  }
});
