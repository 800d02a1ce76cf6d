import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AllocClientUpdate } from '../rpc/protocol.js';
import type { Allocation } from '../structs/alloc.js';
import { Client } from './client.js';
import type { ClientConfig } from './config.js';
import { devClientConfig, FakeServerRpc, makeAlloc, makeJob, makeTask } from '../../test/unit/client-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'client-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

function config(extra: Partial<ClientConfig> = {}): ClientConfig {
  return devClientConfig(mkdtempSync(join(root, 'c-')), extra);
}

async function startClient(extra: Partial<ClientConfig> = {}): Promise<{ client: Client; rpc: FakeServerRpc }> {
  const rpc = new FakeServerRpc();
  const client = new Client({ rpc, config: config(extra) });
  await client.start();
  return { client, rpc };
}

/** A server whose answers to alloc updates wait, while held, until released. */
class HeldUpdatesRpc extends FakeServerRpc {
  private gate: Promise<void> | null = null;
  private open: () => void = () => undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.gate = null;
    this.open();
  }

  override async nodeUpdateAllocs(updates: AllocClientUpdate[]) {
    if (this.gate) await this.gate;
    return super.nodeUpdateAllocs(updates);
  }
}

/** Resolves once `pred` holds, checked after each turn of the event loop; rejects after timeoutMs. */
async function until(pred: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Three batch allocations finish while the servers hold every update unanswered, and a pull
 * of the allocation list runs the client's GC (gcMaxAllocs 1) before any of them was reported.
 */
async function reportsFinishedAllocsBeforeCollecting(client: Client, rpc: HeldUpdatesRpc): Promise<void> {
  rpc.hold();
  const batch = makeJob('batch', [makeTask('t', 'mock_driver', { run_for: '1ms' })]);
  const done = [0, 1, 2].map(() => makeAlloc(batch, client.nodeId));
  for (const a of done) rpc.upsertAlloc(a);
  await until(() => done.every((a) => client.allocRunner(a.ID)?.isFinished === true), 'the batch allocations to finish');
  // A new allocation makes the client pull its list, which runs its GC in the same turn as the
  // new runner is created: three finished runners, none of them reported yet.
  const service = makeJob('service', [makeTask('t', 'mock_driver', { run_for: '1h' })]);
  const busy = makeAlloc(service, client.nodeId);
  rpc.upsertAlloc(busy);
  await until(() => client.allocRunner(busy.ID) !== undefined, 'the pull of the new allocation');
  rpc.release();
  for (const a of done) {
    const final = await rpc.waitForAlloc(a.ID, (x) => x.ClientStatus === 'complete');
    assert.deepEqual(eventTypes(final, 't'), ['Received', 'Task Setup', 'Started', 'Terminated']);
  }
  // Once acknowledged they are collected again, down to gcMaxAllocs, at the next pull.
  await new Promise((r) => setImmediate(r));
  const busy2 = makeAlloc(service, client.nodeId);
  rpc.upsertAlloc(busy2);
  await until(() => client.allocRunner(busy2.ID) !== undefined, 'the pull of the second new allocation');
  assert.equal(done.filter((a) => client.allocRunner(a.ID) !== undefined).length, 1);
}

function eventTypes(a: Allocation, task: string): string[] {
  return (a.TaskStates?.[task]?.Events ?? []).map((e) => e.Type);
}

describe('client', () => {
  it('fingerprints, registers ready with drivers, and logs its startup time', async () => {
    const { client, rpc } = await startClient();
    const node = rpc.nodes.get(client.nodeId)!;
    assert.equal(node.Status, 'ready');
    assert.equal(node.Drivers['raw_exec']?.Healthy, true);
    assert.equal(node.Attributes['driver.raw_exec'], '1');
    assert.equal(node.Attributes['driver.mock_driver'], '1');
    assert.match(node.ComputedClass, /^v1:\d+$/);
    assert.equal(node.NodeResources?.Networks?.[0]?.IP, '127.0.0.1');
    console.log(`client startup: new Client -> registered in ${client.startupMs?.toFixed(1)} ms`);
    await client.shutdown({ stopTasks: true });
  });

  it('runs a batch alloc with the mock driver to complete, reporting Nomad\'s events', async () => {
    const { client, rpc } = await startClient();
    const job = makeJob('batch', [makeTask('t', 'mock_driver', { run_for: '20ms' })]);
    const alloc = makeAlloc(job, client.nodeId);
    rpc.upsertAlloc(alloc);
    // Updates are coalesced: a 20 ms task may go from pending to complete in one report.
    const done = await rpc.waitForAlloc(alloc.ID, (a) => a.ClientStatus === 'complete');
    assert.equal(done.ClientDescription, 'All tasks have completed');
    const ts = done.TaskStates!['t']!;
    assert.equal(ts.State, 'dead');
    assert.equal(ts.Failed, false);
    assert.ok(ts.StartedAt && ts.FinishedAt);
    assert.deepEqual(eventTypes(done, 't'), ['Received', 'Task Setup', 'Started', 'Terminated']);
    const msgs = ts.Events!.map((e) => e.DisplayMessage);
    assert.deepEqual(msgs.slice(0, 4), ['Task received by client', 'Building Task Directory', 'Task started by client', 'Exit Code: 0']);
    // The alloc dir layout, as Nomad's.
    for (const p of ['alloc/logs', 'alloc/data', 'alloc/tmp', 't/local', 't/secrets', 't/tmp']) {
      assert.ok(existsSync(join(client.allocRoot, alloc.ID, p)), p);
    }
    assert.ok(existsSync(join(client.allocRoot, alloc.ID, 'alloc/logs/t.stdout.0')));
    await client.shutdown({ stopTasks: true });
  });

  it('applies the restart policy and fails the alloc with "Not Restarting"', async () => {
    const { client, rpc } = await startClient();
    const job = makeJob('service', [makeTask('t', 'mock_driver', { run_for: '5ms', exit_code: 1 })], {
      RestartPolicy: { Attempts: 1, Interval: 60e9, Delay: 10e6, Mode: 'fail' },
    });
    const alloc = makeAlloc(job, client.nodeId);
    rpc.upsertAlloc(alloc);
    const failed = await rpc.waitForAlloc(alloc.ID, (a) => a.ClientStatus === 'failed');
    assert.equal(failed.ClientDescription, 'Failed tasks');
    const ts = failed.TaskStates!['t']!;
    assert.equal(ts.Failed, true);
    assert.equal(ts.Restarts, 1);
    assert.ok(ts.LastRestart);
    const ev = ts.Events!;
    assert.deepEqual(
      ev.map((e) => e.Type),
      ['Received', 'Task Setup', 'Started', 'Terminated', 'Restarting', 'Started', 'Terminated', 'Not Restarting'],
    );
    assert.equal(ev[3]!.DisplayMessage, 'Exit Code: 1');
    assert.match(ev[4]!.DisplayMessage, /^Task restarting in \d+(\.\d+)?ms$/);
    assert.equal(ev[7]!.DisplayMessage, 'Exceeded allowed attempts 1 in interval 1m0s and mode is "fail"');
    await client.shutdown({ stopTasks: true });
  });

  it('stops an alloc when the server says stop: Killing, Terminated, Killed, complete', async () => {
    const { client, rpc } = await startClient();
    const job = makeJob('service', [makeTask('t', 'mock_driver', { run_for: '1h' })]);
    const alloc = makeAlloc(job, client.nodeId);
    rpc.upsertAlloc(alloc);
    await rpc.waitForAlloc(alloc.ID, (a) => a.ClientStatus === 'running');
    rpc.upsertAlloc({ ...rpc.allocs.get(alloc.ID)!, DesiredStatus: 'stop', DesiredDescription: 'alloc is being updated due to job update' });
    const done = await rpc.waitForAlloc(alloc.ID, (a) => a.ClientStatus === 'complete');
    assert.deepEqual(eventTypes(done, 't'), ['Received', 'Task Setup', 'Started', 'Killing', 'Terminated', 'Killed']);
    const killing = done.TaskStates!['t']!.Events![3]!;
    assert.equal(killing.DisplayMessage, 'Sent interrupt. Waiting 5s before force killing');
    assert.deepEqual(killing.Details, { kill_timeout: '5s' });
    assert.equal(killing.KillTimeout, 5e9);
    assert.equal(done.TaskStates!['t']!.Events![5]!.DisplayMessage, 'Task successfully killed');
    await client.shutdown({ stopTasks: true });
  });

  it('marks deployment health after min_healthy_time, and updates in place', async () => {
    const { client, rpc } = await startClient();
    const job = makeJob('service', [makeTask('t', 'mock_driver', { run_for: '1h' })], {
      Update: { Stagger: 0, MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 30e6, HealthyDeadline: 5e9, ProgressDeadline: 10e9, AutoRevert: false, AutoPromote: false, Canary: 0 },
    });
    const alloc = makeAlloc(job, client.nodeId, { DeploymentID: 'dep-1' });
    rpc.upsertAlloc(alloc);
    const healthy = await rpc.waitForAlloc(alloc.ID, (a) => a.DeploymentStatus?.Healthy === true);
    assert.equal(healthy.ClientStatus, 'running');
    assert.equal(healthy.ClientDescription, 'Tasks are running');
    // In-place update to a new job version: no restart, no new task events.
    const job2 = structuredClone(job);
    job2.Version = 1;
    rpc.upsertAlloc({ ...rpc.allocs.get(alloc.ID)!, Job: job2 });
    await rpc.waitForAlloc(alloc.ID, () => client.allocRunner(alloc.ID)?.alloc.Job?.Version === 1);
    assert.deepEqual(eventTypes(rpc.allocs.get(alloc.ID)!, 't'), ['Received', 'Task Setup', 'Started']);
    await client.shutdown({ stopTasks: true });
  });

  it('marks deployment health unhealthy when a task fails', async () => {
    const { client, rpc } = await startClient();
    const job = makeJob('service', [makeTask('t', 'mock_driver', { run_for: '1ms', exit_code: 2 })], {
      RestartPolicy: { Attempts: 0, Interval: 60e9, Delay: 1e6, Mode: 'fail' },
      Update: { Stagger: 0, MaxParallel: 1, HealthCheck: 'task_states', MinHealthyTime: 10e9, HealthyDeadline: 60e9, ProgressDeadline: 60e9, AutoRevert: false, AutoPromote: false, Canary: 0 },
    });
    const alloc = makeAlloc(job, client.nodeId, { DeploymentID: 'dep-1' });
    rpc.upsertAlloc(alloc);
    const a = await rpc.waitForAlloc(alloc.ID, (x) => x.DeploymentStatus?.Healthy === false);
    assert.equal(a.TaskStates!['t']!.Events!.find((e) => e.Type === 'Not Restarting')?.DisplayMessage, 'Policy allows no restarts');
    await client.shutdown({ stopTasks: true });
  });

  it('runs lifecycle hooks in order and kills siblings when a task fails', async () => {
    const { client, rpc } = await startClient();
    const job = makeJob('batch', [
      makeTask('init', 'mock_driver', { run_for: '5ms' }, { Lifecycle: { Hook: 'prestart', Sidecar: false } }),
      makeTask('side', 'mock_driver', { run_for: '1h' }, { Lifecycle: { Hook: 'prestart', Sidecar: true } }),
      makeTask('main', 'mock_driver', { run_for: '20ms', exit_code: 1 }),
      makeTask('other', 'mock_driver', { run_for: '1h' }),
      makeTask('cleanup', 'mock_driver', { run_for: '1ms' }, { Lifecycle: { Hook: 'poststop', Sidecar: false } }),
    ], { RestartPolicy: { Attempts: 0, Interval: 60e9, Delay: 1e6, Mode: 'fail' } });
    const alloc = makeAlloc(job, client.nodeId);
    rpc.upsertAlloc(alloc);
    const a = await rpc.waitForAlloc(alloc.ID, (x) => x.ClientStatus === 'failed' && x.TaskStates!['cleanup']!.State === 'dead');
    const started = (t: string) => a.TaskStates![t]!.StartedAt!;
    assert.ok(started('init') <= started('main'), 'prestart before main');
    assert.ok(a.TaskStates!['init']!.FinishedAt! <= started('main'), 'prestart finished before main started');
    assert.ok(eventTypes(a, 'other').includes('Sibling Task Failed'));
    assert.equal(a.TaskStates!['other']!.Events!.find((e) => e.Type === 'Sibling Task Failed')!.DisplayMessage, 'Task\'s sibling "main" failed');
    assert.equal(a.TaskStates!['side']!.State, 'dead');
    assert.ok(a.TaskStates!['cleanup']!.StartedAt! >= a.TaskStates!['main']!.FinishedAt!, 'poststop after main');
    await client.shutdown({ stopTasks: true });
  });

  it('destroys runners and alloc dirs of allocations the server garbage collected', async () => {
    const { client, rpc } = await startClient();
    const job = makeJob('batch', [makeTask('t', 'mock_driver', { run_for: '1ms' })]);
    const alloc = makeAlloc(job, client.nodeId);
    rpc.upsertAlloc(alloc);
    await rpc.waitForAlloc(alloc.ID, (a) => a.ClientStatus === 'complete');
    const dir = join(client.allocRoot, alloc.ID);
    assert.ok(existsSync(dir));
    rpc.removeAlloc(alloc.ID);
    const deadline = Date.now() + 5_000;
    while (existsSync(dir) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    assert.equal(existsSync(dir), false);
    assert.equal(client.allocRunner(alloc.ID), undefined);
    await client.shutdown({ stopTasks: true });
  });

  it('keeps finished runners past gcMaxAllocs until the servers acknowledged their final state', async () => {
    const rpc = new HeldUpdatesRpc();
    const client = new Client({ rpc, config: config({ gcMaxAllocs: 1 }) });
    await client.start();
    try {
      await reportsFinishedAllocsBeforeCollecting(client, rpc);
    } finally {
      rpc.release();
      await client.shutdown({ stopTasks: true });
    }
  });

  it('registers again when a heartbeat finds the node unknown', async () => {
    const rpc = new FakeServerRpc();
    rpc.heartbeatTtlMs = 40;
    rpc.forgetNodeOnce = true;
    const client = new Client({ rpc, config: config() });
    await client.start();
    const deadline = Date.now() + 5_000;
    while (rpc.registerCount < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(rpc.registerCount, 2);
    assert.equal(client.stats()['node_id'], client.nodeId);
    assert.equal(client.stats()['known_servers'], '127.0.0.1:4647');
    await client.shutdown({ stopTasks: true });
  });

  // A dev agent stops its tasks with it, so it is their parent; any other client's tasks run
  // under an executor of their own, so that they outlive it.
  for (const devMode of [true, false]) {
    it(`runs a raw_exec task ${devMode ? 'as its own child in dev mode' : 'under an executor outside dev mode'}`, async () => {
      const { client, rpc } = await startClient({ devMode, options: { 'driver.raw_exec.enable': '1' } });
      const job = makeJob('batch', [makeTask('t', 'raw_exec', { command: '/bin/sh', args: ['-c', 'echo "parent=$PPID"'] })]);
      const alloc = makeAlloc(job, client.nodeId);
      rpc.upsertAlloc(alloc);
      await rpc.waitForAlloc(alloc.ID, (a) => a.ClientStatus === 'complete');
      const out = readFileSync(join(client.allocRoot, alloc.ID, 'alloc/logs/t.stdout.0'), 'utf8');
      const parent = Number(/parent=(\d+)/.exec(out)?.[1]);
      if (devMode) assert.equal(parent, process.pid);
      else assert.ok(parent > 0 && parent !== process.pid, `the executor is the parent: ${out}`);
      await client.shutdown({ stopTasks: true });
    });
  }

  it('keeps the node ID across restarts outside dev mode', async () => {
    const cfg = config({ devMode: false, options: { 'driver.raw_exec.enable': '1' } });
    const rpc = new FakeServerRpc();
    const a = new Client({ rpc, config: cfg });
    await a.start();
    await a.shutdown({ stopTasks: true });
    const b = new Client({ rpc, config: cfg });
    await b.start();
    assert.equal(b.nodeId, a.nodeId);
    assert.equal(rpc.nodes.get(b.nodeId)!.Attributes['driver.mock_driver'], undefined, 'mock is off outside dev mode');
    await b.shutdown({ stopTasks: true });
  });
});
