// Three servers on 127.0.0.1-3 and two client-only agents on 127.0.0.6 and .7, as an operator
// would run them: both clients register with the cluster, a job spreads over them, `nomad node
// eligibility` toggles a node, and `nomad node drain` moves the job off a node through the
// leader's drainer (one allocation at a time, as the group's migrate block says, each
// replacement healthy before the next leaves), following the drain to its end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runNomad } from './harness.js';
import { agreedLeader, Cluster, http, waitFor } from './cluster-harness.js';
import { Clients, jobAllocs, nodes, pidsRunning, serviceJob, waitNodes } from './client-harness.js';

interface NodeDetail {
  Drain: boolean;
  SchedulingEligibility: string;
  DrainStrategy: unknown;
  LastDrain: { Status: string } | null;
  Events: Array<{ Message: string }>;
}

interface AllocHealth {
  ID: string;
  NodeID: string;
  ClientStatus: string;
  DesiredStatus: string;
  DeploymentStatus: { Healthy: boolean | null } | null;
}

test('three servers, two clients: eligibility, and a drain that migrates a job to the other client', { timeout: 300_000 }, async () => {
  const cluster = await Cluster.create(3);
  const clients = new Clients(cluster);
  try {
    await cluster.startAll();
    const leader = await agreedLeader(cluster.specs, 60_000);
    await clients.create('d1', '127.0.0.6');
    await clients.create('d2', '127.0.0.7', 'leave_on_interrupt = true\nclient {\n  drain_on_shutdown {\n    deadline = "1m"\n  }\n}\n');
    await Promise.all([clients.start('d1').waitForOutput(/node registration complete/, 60_000), clients.start('d2').waitForOutput(/node registration complete/, 60_000)]);
    const ids = await waitNodes(leader.addr, ['d1', 'd2'], 'ready', 60_000);
    const d1 = ids.get('d1')!;
    const d2 = ids.get('d2')!;
    // Any server answers; a follower forwards writes to the leader.
    const follower = cluster.specs.find((s) => s.name !== leader.name)!;

    // Eligibility, by full ID and through a client agent with -self.
    let r = await runNomad(['node', 'eligibility', '-disable', d2], follower.addr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `Node "${d2}" scheduling eligibility set: ineligible for scheduling`);
    assert.equal((await nodes(leader.addr)).find((n) => n.ID === d2)?.SchedulingEligibility, 'ineligible');
    r = await runNomad(['node', 'eligibility', '-enable', '-self'], clients.spec('d2').addr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `Node "${d2}" scheduling eligibility set: eligible for scheduling`);
    r = await runNomad(['node', 'eligibility', d2], follower.addr);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Either the '-enable' or '-disable' flag must be set/);

    // A job of two, one allocation per client, healthy after a second.
    const marker = `drain-${process.pid}`;
    const fast = { MaxParallel: 1, HealthCheck: 'task_states', MinHealthyTime: 1e9, HealthyDeadline: 60e9 };
    const reg = await http(follower.addr, 'PUT', '/v1/jobs', serviceJob('mover', 2, marker, { Update: { ...fast, ProgressDeadline: 120e9 }, Migrate: fast }));
    assert.equal(reg.status, 200, reg.text);
    const placed = await waitFor(
      'both allocations healthy, one per client',
      async () => {
        const as = (await jobAllocs(leader.addr, 'mover')) as unknown as AllocHealth[];
        const healthy = as.filter((a) => a.ClientStatus === 'running' && a.DeploymentStatus?.Healthy === true);
        return healthy.length === 2 && new Set(healthy.map((a) => a.NodeID)).size === 2 ? healthy : undefined;
      },
      60_000,
    );
    const onD1 = placed.find((a) => a.NodeID === d1)!;

    // Bad flag combinations are refused before anything is sent.
    r = await runNomad(['node', 'drain', '-disable', '-force', d1], follower.addr);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /-disable can't be combined with flags configuring drain strategy/);

    // The drain, followed to its end by the command.
    r = await runNomad(['node', 'drain', '-enable', '-yes', '-deadline', '5m', d1.slice(0, 8)], follower.addr, { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const lines = r.stdout.trim().split('\n').map((l) => l.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: /, ''));
    assert.equal(lines[0], 'Ctrl-C to stop monitoring: will not cancel the node drain');
    assert.equal(lines[1], `Node "${d1}" drain strategy set`);
    assert.ok(lines.includes(`Alloc "${onD1.ID}" marked for migration`), r.stdout);
    assert.ok(lines.includes(`Alloc "${onD1.ID}" status running -> complete`), r.stdout);
    assert.equal(lines.at(-1), `All allocations on node "${d1}" have stopped`);

    // The drain ends when the node is empty; its replacement may still be starting on d2.
    const after = await waitFor(
      'the replacement running on d2',
      async () => {
        const as = (await jobAllocs(leader.addr, 'mover')) as unknown as AllocHealth[];
        const live = as.filter((a) => a.DesiredStatus === 'run' && a.ClientStatus === 'running');
        return live.length === 2 && live.every((a) => a.NodeID === d2) ? as : undefined;
      },
      30_000,
    );
    assert.equal(after.find((a) => a.ID === onD1.ID)?.ClientStatus, 'complete');
    assert.equal(pidsRunning(marker).length, 2, 'nothing runs twice');

    const node = await waitFor('drain complete on the node', async () => {
      const n = (await http<NodeDetail>(leader.addr, 'GET', `/v1/node/${d1}`)).body;
      return n.DrainStrategy === null ? n : undefined;
    }, 30_000);
    assert.equal(node.Drain, false);
    assert.equal(node.SchedulingEligibility, 'ineligible', 'a finished drain leaves the node ineligible');
    assert.equal(node.LastDrain?.Status, 'complete');
    const messages = node.Events.map((e) => e.Message);
    assert.ok(messages.includes('Node drain strategy set'), messages.join(', '));
    assert.ok(messages.includes('Node drain complete'), messages.join(', '));

    // node status shows the drivers; -verbose their table.
    r = await runNomad(['node', 'status', '-verbose', d1], follower.addr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Driver Status\s+= .*raw_exec/m);
    assert.match(r.stdout, /\nDrivers\nDriver\s+Detected\s+Healthy\s+Message\s+Time\n/);
    assert.match(r.stdout, /^raw_exec\s+true\s+true\s+Healthy\s+\d{4}-/m);
    assert.match(r.stdout, /Node drain complete/);

    // -disable makes it eligible again (without -keep-ineligible).
    r = await runNomad(['node', 'drain', '-disable', '-yes', d1], follower.addr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `Node "${d1}" drain strategy unset`);
    assert.equal((await nodes(leader.addr)).find((n) => n.ID === d1)?.SchedulingEligibility, 'eligible');

    // d2 leaves with drain_on_shutdown: its allocations move back to d1 before it stops.
    const d2proc = clients.procs.get('d2')!;
    d2proc.child.kill('SIGINT');
    await d2proc.waitForOutput(/drain on shutdown: node drain complete/, 120_000);
    await waitFor('d2 exited', async () => (d2proc.child.exitCode !== null ? true : undefined), 60_000);
    await waitFor(
      'both allocations back on d1',
      async () => {
        const live = ((await jobAllocs(leader.addr, 'mover')) as unknown as AllocHealth[]).filter((a) => a.DesiredStatus === 'run' && a.ClientStatus === 'running');
        return live.length === 2 && live.every((a) => a.NodeID === d1) ? live : undefined;
      },
      30_000,
    );
    const d2node = (await http<NodeDetail>(leader.addr, 'GET', `/v1/node/${d2}`)).body;
    assert.equal(d2node.LastDrain?.Status, 'complete');
    assert.equal(pidsRunning(marker).length, 2, 'nothing left behind, nothing twice');

    // The operator purges the node that left: the servers forget it at once.
    const purge = await http<{ NodeModifyIndex: number }>(follower.addr, 'PUT', `/v1/node/${d2}/purge`);
    assert.equal(purge.status, 200, purge.text);
    assert.ok(purge.body.NodeModifyIndex > 0);
    assert.deepEqual((await nodes(leader.addr)).map((n) => n.Name), ['d1']);
    assert.equal((await http(leader.addr, 'PUT', `/v1/node/${d2}/purge`)).status, 404);
  } finally {
    await clients.shutdown();
    await cluster.shutdown();
  }
});
