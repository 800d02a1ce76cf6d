import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../../test/unit/scheduler/harness.js';
import { mockBatchJob, mockEval, mockJob, mockNode, planAllocs, planStops, sequentialIds } from '../../test/unit/scheduler/mock.js';
import { newScheduler } from './index.js';
import { NomadError } from '../structs/errors.js';
import type { Job } from '../structs/job.js';

const NOW_MS = 1_795_282_745_000;
const opts = { nowMs: () => NOW_MS, generateId: sequentialIds() };

function referenceNode() {
  return mockNode({ cpuShares: 5198, memoryMB: 24105, diskMB: 79081, ip: '127.0.0.1', name: 'vm' });
}

async function register(h: Harness, job: Job) {
  const stored = h.registerJob(job);
  const ev = mockEval(stored);
  const done = await h.process(ev, opts);
  return { job: stored, ev: done! };
}

test('newScheduler knows the four job types and refuses others with a NomadError', () => {
  const h = new Harness();
  for (const t of ['service', 'batch', 'system', 'sysbatch']) assert.ok(newScheduler(t, h, h, {}));
  assert.throws(() => newScheduler('cron', h, h, {}), (e: unknown) => e instanceof NomadError && /unknown scheduler type "cron"/.test(e.message));
});

test('first registration places one alloc shaped as the reference, with a deployment', async () => {
  const h = new Harness();
  const node = h.upsertNode(referenceNode());
  const { job, ev } = await register(h, mockJob());
  const plan = h.lastPlan();
  const allocs = planAllocs(plan);
  assert.equal(allocs.length, 1);
  const a = allocs[0]!;
  assert.equal(a.Name, 'example.cache[0]');
  assert.equal(a.NodeID, node.ID);
  assert.equal(a.NodeName, 'vm');
  assert.equal(a.EvalID, ev.ID);
  assert.equal(a.Job, job);
  assert.equal(a.ClientStatus, 'pending');
  assert.equal(a.DesiredStatus, 'run');
  assert.equal(a.Resources?.CPU, 100);
  assert.equal(a.Resources?.MemoryMB, 64);
  assert.equal(a.Resources?.MemoryMaxMB, 64);
  assert.equal(a.Resources?.DiskMB, 300);
  assert.equal(a.SharedResources?.DiskMB, 300);
  assert.equal(a.TaskResources?.['redis']?.CPU, 100);
  assert.deepEqual(a.AllocatedResources?.Tasks['redis']?.Cpu, { CpuShares: 100, ReservedCores: null });
  assert.deepEqual(a.AllocatedResources?.Tasks['redis']?.Memory, { MemoryMB: 64, MemoryMaxMB: 0 });
  const port = a.AllocatedResources!.Shared.Ports![0]!;
  assert.equal(port.Label, 'db');
  assert.equal(port.HostIP, '127.0.0.1');
  assert.ok(port.Value >= 20000 && port.Value <= 32000);
  assert.equal(a.AllocatedResources!.Shared.Networks![0]!.IP, '127.0.0.1');
  assert.equal(a.AllocatedResources!.Shared.Networks![0]!.DynamicPorts![0]!.Value, port.Value);
  // Metrics as `alloc status -verbose` shows them.
  assert.equal(a.Metrics!.NodesEvaluated, 1);
  assert.deepEqual(a.Metrics!.NodesAvailable, { dc1: 1 });
  const meta = a.Metrics!.ScoreMetaData![0]!;
  assert.equal(meta.NodeID, node.ID);
  assert.ok(Math.abs(meta.Scores['binpack']! - 0.027458635733748418) < 1e-12, String(meta.Scores['binpack']));
  assert.equal(meta.Scores['job-anti-affinity'], 0);
  assert.equal(meta.Scores['node-reschedule-penalty'], 0);
  assert.equal(meta.Scores['node-affinity'], 0);
  assert.ok(Math.abs(meta.NormScore - 0.027458635733748418) < 1e-12);
  // Deployment for the first version.
  assert.ok(plan.Deployment);
  assert.equal(plan.Deployment!.Status, 'running');
  assert.equal(plan.Deployment!.StatusDescription, 'Deployment is running');
  assert.equal(plan.Deployment!.JobVersion, 0);
  assert.equal(plan.Deployment!.TaskGroups['cache']!.DesiredTotal, 1);
  assert.equal(plan.Deployment!.TaskGroups['cache']!.ProgressDeadline, 600_000_000_000);
  assert.equal(a.DeploymentID, plan.Deployment!.ID);
  // The eval completes with its queue empty and the deployment named.
  assert.equal(ev.Status, 'complete');
  assert.deepEqual(ev.QueuedAllocations, { cache: 0 });
  assert.equal(ev.DeploymentID, plan.Deployment!.ID);
  assert.equal(ev.BlockedEval, '');
});

test('count 1 -> 3: two placements with new indexes and one in-place update, annotated', async () => {
  const h = new Harness();
  h.upsertNode(referenceNode());
  const first = await register(h, mockJob());
  const firstAlloc = planAllocs(h.lastPlan())[0]!;
  h.updateAlloc(firstAlloc.ID, { ClientStatus: 'running', DeploymentStatus: { Healthy: true, Timestamp: '', Canary: false, ModifyIndex: 0 } });
  const d1 = h.lastPlan().Deployment!;
  h.upsertDeployment({ ...h.deploymentByID(d1.ID)!, Status: 'successful' });

  const job2 = h.registerJob(mockJob({}, 3));
  const ev2 = mockEval(job2, 'job-register', { AnnotatePlan: true });
  await h.process(ev2, opts);
  const plan = h.lastPlan();
  const allocs = planAllocs(plan);
  assert.equal(allocs.length, 3);
  const names = allocs.map((a) => a.Name).sort();
  assert.deepEqual(names, ['example.cache[0]', 'example.cache[1]', 'example.cache[2]']);
  const updated = allocs.find((a) => a.ID === firstAlloc.ID)!;
  assert.equal(updated.Job, h.jobByID('default', 'example'));
  assert.equal(updated.EvalID, ev2.ID);
  // The in-place update keeps its port.
  assert.deepEqual(updated.AllocatedResources!.Shared.Ports, firstAlloc.AllocatedResources!.Shared.Ports);
  const u = plan.Annotations!.DesiredTGUpdates['cache']!;
  assert.equal(u.Place, 2);
  assert.equal(u.InPlaceUpdate, 1);
  assert.equal(u.DestructiveUpdate, 0);
  assert.equal(planStops(plan).length, 0);
  // A new deployment for version 1 counting all three.
  assert.equal(plan.Deployment!.JobVersion, 1);
  assert.equal(plan.Deployment!.TaskGroups['cache']!.DesiredTotal, 3);
  assert.equal(updated.DeploymentID, plan.Deployment!.ID);
  // Different dynamic ports on the same node.
  const ports = new Set(allocs.map((a) => a.AllocatedResources!.Shared.Ports![0]!.Value));
  assert.equal(ports.size, 3);
  void first;
});

test('count lowered: highest indexes are stopped first', async () => {
  const h = new Harness();
  for (let i = 0; i < 3; i++) h.upsertNode(mockNode());
  await register(h, mockJob({}, 5));
  for (const a of h.allocs()) h.updateAlloc(a.ID, { ClientStatus: 'running' });
  const job2 = h.registerJob(mockJob({}, 2));
  await h.process(mockEval(job2), opts);
  const stops = planStops(h.lastPlan());
  assert.deepEqual(stops.map((a) => a.Name).sort(), ['example.cache[2]', 'example.cache[3]', 'example.cache[4]']);
  for (const s of stops) {
    assert.equal(s.DesiredStatus, 'stop');
    assert.equal(s.DesiredDescription, 'alloc not needed due to job update');
  }
});

test('scaling up reuses free indexes', async () => {
  const h = new Harness();
  h.upsertNode(mockNode());
  await register(h, mockJob({}, 3));
  const [, middle] = h.allocs().sort((a, b) => (a.Name < b.Name ? -1 : 1));
  h.updateAlloc(middle!.ID, { DesiredStatus: 'stop' });
  await h.process(mockEval(h.jobByID('default', 'example')!), opts);
  const placed = planAllocs(h.lastPlan());
  assert.deepEqual(placed.map((a) => a.Name), ['example.cache[1]']);
});

test('unchanged job re-evaluated: nothing to do, no plan submitted', async () => {
  const h = new Harness();
  h.upsertNode(mockNode());
  const { job } = await register(h, mockJob({}, 2));
  const plans = h.plans.length;
  const ev = await h.process(mockEval(job), opts);
  assert.equal(h.plans.length, plans);
  assert.equal(ev!.Status, 'complete');
  assert.deepEqual(ev!.QueuedAllocations, { cache: 0 });
});

test('a command change is a destructive update, limited by max_parallel=1 (1 create/destroy update, 2 ignore)', async () => {
  const h = new Harness();
  h.upsertNode(referenceNode());
  await register(h, mockJob({}, 3));
  for (const a of h.allocs()) h.updateAlloc(a.ID, { ClientStatus: 'running', DeploymentStatus: { Healthy: true, Timestamp: '', Canary: false, ModifyIndex: 0 } });
  const d = h.latestDeploymentByJob('default', 'example')!;
  h.upsertDeployment({ ...d, Status: 'successful' });
  const changed = mockJob({}, 3);
  changed.TaskGroups[0]!.Tasks[0]!.Config = { command: '/bin/sh', args: ['-c', 'while true; do echo hello; sleep 1; done'] };
  const job2 = h.registerJob(changed);
  await h.process(mockEval(job2, 'job-register', { AnnotatePlan: true }), opts);
  const plan = h.lastPlan();
  const u = plan.Annotations!.DesiredTGUpdates['cache']!;
  assert.equal(u.DestructiveUpdate, 1);
  assert.equal(u.Ignore, 2);
  assert.equal(u.Place, 0);
  const stops = planStops(plan);
  assert.equal(stops.length, 1);
  assert.equal(stops[0]!.Name, 'example.cache[0]');
  assert.equal(stops[0]!.DesiredDescription, 'alloc is being updated due to job update');
  const placed = planAllocs(plan);
  assert.equal(placed.length, 1);
  assert.equal(placed[0]!.Name, 'example.cache[0]');
  assert.equal(placed[0]!.PreviousAllocation, stops[0]!.ID);
  assert.equal(plan.Deployment!.TaskGroups['cache']!.DesiredTotal, 3);
});

test('env, user, driver, ports and constraints force a new alloc; meta, kill timeout, restart policy and resources that fit do not', async () => {
  const cases: Array<[string, (j: Job) => void, boolean]> = [
    ['env', (j) => (j.TaskGroups[0]!.Tasks[0]!.Env = { A: '1' }), true],
    ['user', (j) => (j.TaskGroups[0]!.Tasks[0]!.User = 'nobody'), true],
    ['driver', (j) => (j.TaskGroups[0]!.Tasks[0]!.Driver = 'exec'), true],
    ['ports', (j) => (j.TaskGroups[0]!.Networks![0]!.ReservedPorts = [{ Label: 'http', Value: 8080, To: 0, HostNetwork: 'default' }]), true],
    ['constraint', (j) => (j.Constraints = [{ LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' }]), true],
    ['task added', (j) => j.TaskGroups[0]!.Tasks.push({ ...j.TaskGroups[0]!.Tasks[0]!, Name: 'sidecar' }), true],
    ['artifact', (j) => (j.TaskGroups[0]!.Tasks[0]!.Artifacts = [{ GetterSource: 'https://x/y.tgz', GetterOptions: null, GetterHeaders: null, GetterMode: 'any', RelativeDest: 'local/' }]), true],
    ['meta', (j) => (j.Meta = { owner: 'team' }), false],
    ['kill timeout', (j) => (j.TaskGroups[0]!.Tasks[0]!.KillTimeout = 30_000_000_000), false],
    ['restart policy', (j) => (j.TaskGroups[0]!.RestartPolicy = { Attempts: 9, Interval: 1, Delay: 1, Mode: 'delay' }), false],
    ['cpu that fits', (j) => (j.TaskGroups[0]!.Tasks[0]!.Resources.CPU = 200), false],
    ['log config', (j) => (j.TaskGroups[0]!.Tasks[0]!.LogConfig = { MaxFiles: 3, MaxFileSizeMB: 5 }), false],
  ];
  for (const [what, change, destructive] of cases) {
    const h = new Harness();
    h.upsertNode(mockNode());
    await register(h, mockJob({}, 1));
    const j = structuredClone(h.jobByID('default', 'example')!);
    change(j);
    const job2 = h.registerJob(j);
    await h.process(mockEval(job2, 'job-register', { AnnotatePlan: true }), opts);
    const u = h.lastPlan().Annotations!.DesiredTGUpdates['cache']!;
    assert.equal(u.DestructiveUpdate, destructive ? 1 : 0, `${what}: destructive`);
    assert.equal(u.InPlaceUpdate, destructive ? 0 : 1, `${what}: in place`);
  }
});

test('resources that no longer fit on the node turn an in-place update destructive', async () => {
  const h = new Harness();
  h.upsertNode(mockNode({ cpuShares: 1000 }));
  await register(h, mockJob({}, 1));
  const j = structuredClone(h.jobByID('default', 'example')!);
  j.TaskGroups[0]!.Tasks[0]!.Resources.CPU = 2000;
  const job2 = h.registerJob(j);
  await h.process(mockEval(job2, 'job-register', { AnnotatePlan: true }), opts);
  const u = h.lastPlan().Annotations!.DesiredTGUpdates['cache']!;
  assert.equal(u.InPlaceUpdate, 0);
  assert.equal(u.DestructiveUpdate, 1);
});

test('stopping the job stops every alloc and cancels the active deployment', async () => {
  const h = new Harness();
  h.upsertNode(mockNode());
  await register(h, mockJob({}, 2));
  const d = h.latestDeploymentByJob('default', 'example')!;
  const stopped = h.registerJob({ ...h.jobByID('default', 'example')!, Stop: true });
  await h.process(mockEval(stopped, 'job-deregister', { AnnotatePlan: true }), opts);
  const plan = h.lastPlan();
  assert.equal(planStops(plan).length, 2);
  assert.deepEqual(plan.DeploymentUpdates, [{ DeploymentID: d.ID, Status: 'cancelled', StatusDescription: 'Cancelled because job is stopped' }]);
  assert.equal(plan.Annotations!.DesiredTGUpdates['cache']!.Stop, 2);
  assert.equal(h.latestDeploymentByJob('default', 'example')!.Status, 'cancelled');
});

test('a purged job: its allocs are stopped', async () => {
  const h = new Harness();
  h.upsertNode(mockNode());
  const { job } = await register(h, mockJob({}, 2));
  h.deleteJob('default', 'example');
  const ev = await h.process(mockEval(job, 'job-deregister'), opts);
  assert.equal(planStops(h.lastPlan()).length, 2);
  assert.equal(ev!.Status, 'complete');
});

test('allocs on a down node are lost and replaced elsewhere', async () => {
  const h = new Harness();
  const n1 = h.upsertNode(mockNode());
  await register(h, mockJob({}, 2));
  for (const a of h.allocs()) h.updateAlloc(a.ID, { ClientStatus: 'running' });
  const n2 = h.upsertNode(mockNode());
  h.upsertNode({ ...n1, Status: 'down' });
  await h.process(mockEval(h.jobByID('default', 'example')!, 'node-update', { NodeID: n1.ID, AnnotatePlan: true }), opts);
  const plan = h.lastPlan();
  const stops = planStops(plan);
  assert.equal(stops.length, 2);
  for (const s of stops) {
    assert.equal(s.ClientStatus, 'lost');
    assert.equal(s.DesiredDescription, 'alloc is lost since its node is down');
  }
  const placed = planAllocs(plan);
  assert.equal(placed.length, 2);
  for (const p of placed) assert.equal(p.NodeID, n2.ID);
  assert.deepEqual(placed.map((a) => a.Name).sort(), ['example.cache[0]', 'example.cache[1]']);
});

test('allocs marked for migration on a draining node move to another node', async () => {
  const h = new Harness();
  const n1 = h.upsertNode(mockNode());
  await register(h, mockJob({}, 1));
  const a = h.allocs()[0]!;
  h.updateAlloc(a.ID, { ClientStatus: 'running', DesiredTransition: { Migrate: true, Reschedule: null, ForceReschedule: null } });
  const n2 = h.upsertNode(mockNode());
  h.upsertNode({ ...n1, DrainStrategy: { Deadline: 0, IgnoreSystemJobs: false, ForceDeadline: '', StartedAt: '' }, SchedulingEligibility: 'ineligible' });
  await h.process(mockEval(h.jobByID('default', 'example')!, 'node-drain', { AnnotatePlan: true }), opts);
  const plan = h.lastPlan();
  assert.equal(plan.Annotations!.DesiredTGUpdates['cache']!.Migrate, 1);
  assert.equal(planStops(plan)[0]!.DesiredDescription, 'alloc is being migrated');
  const placed = planAllocs(plan)[0]!;
  assert.equal(placed.NodeID, n2.ID);
  assert.equal(placed.Name, a.Name);
  assert.equal(placed.PreviousAllocation, a.ID);
});

test('no room: failed placement metrics, coalesced failures and a blocked eval', async () => {
  const h = new Harness();
  h.upsertNode(mockNode({ cpuShares: 250 }));
  h.upsertNode(mockNode({ attributes: { 'kernel.name': 'windows' } }));
  h.upsertNode(mockNode({ drivers: ['exec'] }));
  const job = mockJob({ Constraints: [{ LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' }] }, 4);
  const { ev } = await register(h, job);
  assert.equal(ev.Status, 'complete');
  const failed = ev.FailedTGAllocs!['cache']!;
  assert.ok(failed);
  assert.equal(failed.CoalescedFailures, 1); // 2 placed on the 250 MHz node, 2 failed: one metric, one coalesced
  assert.equal(failed.NodesEvaluated, 3);
  assert.equal(failed.NodesFiltered, 2);
  assert.deepEqual(failed.ConstraintFiltered, { '${attr.kernel.name} = linux': 1, 'missing drivers': 1 });
  assert.equal(failed.NodesExhausted, 1);
  assert.deepEqual(failed.DimensionExhausted, { cpu: 1 });
  assert.deepEqual(failed.NodesAvailable, { dc1: 3 });
  assert.deepEqual(ev.QueuedAllocations, { cache: 2 });
  const blocked = h.createdEvals.find((e) => e.Status === 'blocked')!;
  assert.ok(blocked);
  assert.equal(ev.BlockedEval, blocked.ID);
  assert.equal(blocked.TriggeredBy, 'queued-allocs');
  assert.equal(blocked.PreviousEval, ev.ID);
  assert.equal(blocked.StatusDescription, 'created to place remaining allocations');
  assert.ok(blocked.ClassEligibility && Object.values(blocked.ClassEligibility).includes(false));
  assert.equal(blocked.EscapedComputedClass, false);
  // Re-processing the blocked eval without new room re-blocks it instead of completing it.
  await h.process(blocked, opts);
  assert.equal(h.reblockedEvals.length, 1);
  assert.equal(h.reblockedEvals[0]!.ID, blocked.ID);
});

test('static port collisions are recorded as a network dimension', async () => {
  const h = new Harness();
  h.upsertNode(mockNode({ reservedPorts: '8080' }));
  const job = mockJob({}, 1);
  job.TaskGroups[0]!.Networks![0]!.ReservedPorts = [{ Label: 'http', Value: 8080, To: 0, HostNetwork: 'default' }];
  const { ev } = await register(h, job);
  assert.deepEqual(ev.FailedTGAllocs!['cache']!.DimensionExhausted, { 'network: port collision': 1 });
  // Two allocs asking for the same static port cannot share a node.
  const h2 = new Harness();
  h2.upsertNode(mockNode());
  const job2 = mockJob({}, 2);
  job2.TaskGroups[0]!.Networks![0]!.ReservedPorts = [{ Label: 'http', Value: 9090, To: 0, HostNetwork: 'default' }];
  const r2 = await register(h2, job2);
  assert.equal(planAllocs(h2.lastPlan()).length, 1);
  assert.equal(r2.ev.FailedTGAllocs!['cache']!.DimensionExhausted!['network: port collision'], 1);
});

test('a partly committed plan is retried against the refreshed state', async () => {
  const h = new Harness();
  const n1 = h.upsertNode(mockNode());
  h.upsertNode(mockNode());
  const job = h.registerJob(mockJob({}, 4));
  h.rejectNodesOnce = new Set([n1.ID]);
  const ev = await h.process(mockEval(job), opts);
  assert.ok(h.plans.length >= 2);
  assert.equal(ev!.Status, 'complete');
  assert.equal(h.allocs().filter((a) => a.DesiredStatus === 'run').length, 4);
});

test('plans that never commit end in a failed eval and a max-plan-attempts blocked eval', async () => {
  const h = new Harness();
  const n1 = h.upsertNode(mockNode());
  const job = h.registerJob(mockJob({}, 1));
  const planner = {
    submitPlan: async (plan: import('../structs/plan.js').Plan) => {
      void plan;
      return {
        result: { NodeUpdate: {}, NodeAllocation: {}, NodePreemptions: {}, Deployment: null, DeploymentUpdates: null, RejectedNodes: [n1.ID], RefreshIndex: h.latestIndex(), AllocIndex: 0 },
        newState: h,
      };
    },
    updateEval: (e: import('../structs/evaluation.js').Evaluation) => h.updateEval(e),
    createEval: (e: import('../structs/evaluation.js').Evaluation) => h.createEval(e),
    reblockEval: (e: import('../structs/evaluation.js').Evaluation) => h.reblockEval(e),
  };
  const ev = mockEval(job);
  await newScheduler('service', h, planner, { ...opts, maxPlanAttempts: 3 }).process(ev);
  const last = h.lastEvalUpdate();
  assert.equal(last.Status, 'failed');
  assert.equal(last.StatusDescription, 'maximum attempts reached (3)');
  const blocked = h.createdEvals.find((e) => e.TriggeredBy === 'max-plan-attempts')!;
  assert.ok(blocked);
  assert.equal(last.BlockedEval, blocked.ID);
});

test('an unknown trigger fails the eval with a clear description', async () => {
  const h = new Harness();
  const job = h.registerJob(mockJob());
  await h.process(mockEval(job, 'bogus'), opts);
  assert.equal(h.lastEvalUpdate().Status, 'failed');
  assert.equal(h.lastEvalUpdate().StatusDescription, "scheduler cannot handle 'bogus' evaluation reason");
});

test('the same eval over the same state gives the same plan (seeded by the eval ID)', async () => {
  const run = async () => {
    const h = new Harness();
    for (let i = 0; i < 50; i++) h.upsertNode(mockNode({ id: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}` }));
    const job = h.registerJob(mockJob({}, 20));
    await h.process(mockEval(job, 'job-register', { ID: '11111111-2222-3333-4444-555555555555' }), { nowMs: () => NOW_MS, generateId: sequentialIds(7) });
    return planAllocs(h.lastPlan()).map((a) => [a.Name, a.NodeID, a.AllocatedResources!.Shared.Ports![0]!.Value]);
  };
  assert.deepEqual(await run(), await run());
});

test('service jobs spread over nodes: job anti-affinity and a bounded look at log2(N) nodes', async () => {
  const h = new Harness();
  for (let i = 0; i < 64; i++) h.upsertNode(mockNode());
  const job = h.registerJob(mockJob({}, 10));
  await h.process(mockEval(job), opts);
  const allocs = planAllocs(h.lastPlan());
  assert.equal(allocs.length, 10);
  for (const a of allocs) assert.ok(a.Metrics!.NodesEvaluated <= 6 + 3, `evaluated ${a.Metrics!.NodesEvaluated}`);
  const nodes = new Set(allocs.map((a) => a.NodeID));
  assert.ok(nodes.size >= 8, `spread on ${nodes.size} nodes`);
  for (const a of allocs) assert.ok(a.Metrics!.ScoreMetaData!.length <= 5);
});

test('a batch job purged and registered again runs in full: the old completed allocations are history', async () => {
  const h = new Harness();
  h.upsertNode(referenceNode());
  const { job } = await register(h, mockBatchJob('b', 3));
  const first = h.allocsByJob('default', 'b', true);
  assert.equal(first.length, 3);
  for (const a of first) h.updateAlloc(a.ID, { ClientStatus: 'complete' });

  // Re-running the same version places nothing: completed batch work is never redone.
  await h.process(mockEval(job), opts);
  assert.equal(h.allocsByJob('default', 'b', true).length, 3);

  // Purged and registered again: a new incarnation (new CreateIndex) runs all of its count.
  h.deleteJob('default', 'b');
  const again = await register(h, mockBatchJob('b', 3));
  assert.ok(again.job.CreateIndex > job.CreateIndex);
  const all = h.allocsByJob('default', 'b', true);
  assert.equal(all.length, 6);
  assert.equal(all.filter((a) => a.Job?.CreateIndex === again.job.CreateIndex && a.DesiredStatus === 'run').length, 3);

  // A new version of the job (changed spec) also runs in full.
  for (const a of all) h.updateAlloc(a.ID, { ClientStatus: 'complete' });
  const v2 = await register(h, mockBatchJob('b', 3, { Meta: { run: '2' } }));
  assert.equal(v2.job.Version, 1);
  assert.equal(h.allocsByJob('default', 'b', true).filter((a) => a.Job?.Version === 1).length, 3);
});

test('placement time is measured on the injected monotonic clock, so a replayed run records the same metrics', async () => {
  const h = new Harness();
  h.upsertNode(referenceNode());
  let ticks = 0;
  // Each reading advances 0.25 ms: one placement reads the clock twice.
  const monotonicMs = (): number => ++ticks * 0.25;
  const stored = h.registerJob(mockJob());
  await h.process(mockEval(stored), { ...opts, monotonicMs });
  const a = planAllocs(h.lastPlan())[0]!;
  assert.equal(a.Metrics!.AllocationTime, 250_000);
  assert.equal(ticks, 2);
});

test('in-place updates on one node count each other: the second that no longer fits goes destructive', async () => {
  const h = new Harness();
  const node = h.upsertNode(mockNode({ cpuShares: 4000, memoryMB: 1024 }));
  const small = mockJob({}, 2);
  small.TaskGroups[0]!.Tasks[0]!.Resources.MemoryMB = 256;
  await register(h, small);
  const other = mockJob({ ID: 'other', Name: 'other' }, 1);
  other.TaskGroups[0]!.Tasks[0]!.Resources.MemoryMB = 128;
  await register(h, other);
  // 2 x 256 + 128 = 640 MB used; two in-place updates to 512 would make 1152 MB on a 1024 MB node.
  const bigger = structuredClone(h.jobByID('default', 'example')!);
  bigger.TaskGroups[0]!.Tasks[0]!.Resources.MemoryMB = 512;
  const job2 = h.registerJob(bigger);
  await h.process(mockEval(job2, 'job-register', { AnnotatePlan: true }), opts);
  const u = h.lastPlan().Annotations!.DesiredTGUpdates['cache']!;
  assert.equal(u.InPlaceUpdate, 1);
  assert.equal(u.DestructiveUpdate, 1);
  const usedMB = h
    .allocsByNode(node.ID)
    .filter((a) => a.DesiredStatus === 'run' && a.ClientStatus !== 'complete' && a.ClientStatus !== 'failed' && a.ClientStatus !== 'lost')
    .reduce((n, a) => n + Object.values(a.AllocatedResources!.Tasks).reduce((m, t) => m + t.Memory.MemoryMB, 0), 0);
  assert.ok(usedMB <= 1024, `the node holds ${usedMB} MB of its 1024`);
});
