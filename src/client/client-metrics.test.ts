import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RecordingMetrics } from '../../test/unit/recording-metrics.js';
import { Client } from './client.js';
import { devClientConfig, FakeServerRpc, makeAlloc, makeJob, makeTask } from '../../test/unit/client-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'client-metrics-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function runningClient(publish: boolean): Promise<{ client: Client; rpc: FakeServerRpc; m: RecordingMetrics; allocId: string }> {
  const rpc = new FakeServerRpc();
  const m = new RecordingMetrics();
  const client = new Client({
    rpc,
    config: devClientConfig(mkdtempSync(join(root, 'c-'))),
    metrics: m,
    telemetry: { publishNodeMetrics: publish, publishAllocationMetrics: publish },
  });
  await client.start();
  const job = makeJob('service', [makeTask('t', 'raw_exec', { command: '/bin/sleep', args: ['60'] })]);
  const alloc = makeAlloc(job, client.nodeId);
  rpc.upsertAlloc(alloc);
  await until(() => client.allocRunner(alloc.ID)?.clientStatus() === 'running', 'the task to run');
  return { client, rpc, m, allocId: alloc.ID };
}

test('with node and allocation metrics published: host, node resources, each running task, its start', async () => {
  const { client, m, allocId } = await runningClient(true);
  try {
    await client.emitMetrics();
    const node = client.node()!;
    const nodeLabels = { node_id: node.ID, datacenter: node.Datacenter, node_class: node.NodeClass || 'none', node_status: 'ready', node_scheduling_eligibility: 'eligible' };
    assert.deepEqual(m.named('client.allocations.running')[0]?.labels, nodeLabels);
    assert.equal(m.gauge('client.allocations.running'), 1);
    assert.equal(m.gauge('client.allocations.pending'), 0);
    // Resources: what the allocation holds, and what is left of the node for the scheduler.
    const alloc = client.allocRunner(allocId)!.alloc;
    const cpu = alloc.AllocatedResources!.Tasks['t']!.Cpu.CpuShares;
    assert.equal(m.gauge('client.allocated.cpu'), cpu);
    assert.equal(m.gauge('client.unallocated.cpu'), node.NodeResources!.Cpu.CpuShares - (node.ReservedResources?.Cpu.CpuShares ?? 0) - cpu);
    // The host: every core, memory, the alloc dir's disk, uptime.
    const cores = m.named('client.host.cpu.total').map((r) => r.labels?.['cpu']);
    assert.ok(cores.length >= 1 && cores.every((c) => /^cpu\d+$/.test(c ?? '')), String(cores));
    assert.ok((m.gauge('client.host.memory.total') ?? 0) > 0);
    assert.ok((m.gauge('client.host.disk.size') ?? 0) > 0);
    assert.ok((m.gauge('client.uptime') ?? 0) > 0);
    // The task, labelled as Nomad labels it, with what its driver measured.
    const taskLabels = { job: alloc.JobID, task_group: alloc.TaskGroup, alloc_id: allocId, task: 't', namespace: alloc.Namespace };
    assert.deepEqual(m.named('client.allocs.memory.rss')[0]?.labels, taskLabels);
    assert.ok((m.gauge('client.allocs.memory.rss') ?? 0) > 0, 'a sleeping process has resident memory');
    assert.equal(m.gauge('client.allocs.memory.allocated'), alloc.AllocatedResources!.Tasks['t']!.Memory.MemoryMB * 1024 * 1024);
    assert.equal(m.gauge('client.allocs.cpu.allocated'), cpu);
    for (const f of ['total_percent', 'system', 'user', 'throttled_time', 'throttled_periods', 'total_ticks']) assert.equal(m.named(`client.allocs.cpu.${f}`).length, 1, f);
    // raw_exec does not measure cache or usage: no figure rather than a made-up zero.
    assert.equal(m.named('client.allocs.memory.cache').length, 0);
    assert.deepEqual(m.named('client.allocs.running', 'counter').map((r) => r.labels), [taskLabels]);
    // Every call to the servers (register, watching and pulling allocations, updates) is counted.
    assert.ok(m.named('client.rpc', 'counter').length >= 3);
    assert.equal(m.named('client.rpc.failed', 'counter').length, 0);
  } finally {
    await client.shutdown({ stopTasks: true });
  }
  assert.equal(m.named('client.allocs.complete', 'counter').length + m.named('client.allocs.failed', 'counter').length, 1, 'the stopped task counts as ended');
});

test('without publish_node_metrics and publish_allocation_metrics only the allocation counts', async () => {
  const { client, m } = await runningClient(false);
  try {
    await client.emitMetrics();
    assert.equal(m.gauge('client.allocations.running'), 1);
    assert.deepEqual(m.seen.filter((r) => r.name.startsWith('client.host.') || r.name.startsWith('client.allocs.') || r.name.startsWith('client.allocated.')), []);
  } finally {
    await client.shutdown({ stopTasks: true });
  }
});
