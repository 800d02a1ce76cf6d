// Rolling updates, canaries and deployment bookkeeping over several evaluations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../../test/unit/scheduler/harness.js';
import { mockEval, mockJob, mockNode, planAllocs, planStops, sequentialIds } from '../../test/unit/scheduler/mock.js';
import type { Job } from '../structs/job.js';

const opts = { nowMs: () => 1_795_282_745_000, generateId: sequentialIds(3) };

function healthyAll(h: Harness) {
  for (const a of h.allocs()) {
    if (a.DesiredStatus === 'run') h.updateAlloc(a.ID, { ClientStatus: 'running', DeploymentStatus: { Healthy: true, Timestamp: '', Canary: a.DeploymentStatus?.Canary ?? false, ModifyIndex: 0 } });
  }
}

function changed(h: Harness, edit: (j: Job) => void): Job {
  const j = structuredClone(h.jobByID('default', 'example')!);
  edit(j);
  return h.registerJob(j);
}

async function setup(count: number, update: Partial<Job['TaskGroups'][number]['Update']> = {}) {
  const h = new Harness();
  for (let i = 0; i < 3; i++) h.upsertNode(mockNode());
  const j = mockJob({}, count);
  j.TaskGroups[0]!.Update = { ...j.TaskGroups[0]!.Update!, ...update };
  await h.process(mockEval(h.registerJob(j)), opts);
  healthyAll(h);
  const d = h.latestDeploymentByJob('default', 'example')!;
  h.upsertDeployment({ ...d, Status: 'successful' });
  return h;
}

test('a rolling update replaces MaxParallel allocs per eval, the next ones once they are healthy', async () => {
  const h = await setup(4, { MaxParallel: 2 });
  const job2 = changed(h, (j) => (j.TaskGroups[0]!.Tasks[0]!.Env = { V: '2' }));
  await h.process(mockEval(job2), opts);
  let plan = h.lastPlan();
  assert.equal(planAllocs(plan).length, 2);
  assert.equal(planStops(plan).length, 2);
  const d = plan.Deployment!;
  assert.equal(d.JobVersion, 1);
  assert.equal(d.TaskGroups['cache']!.DesiredTotal, 4);
  // The deployment watcher triggers another eval; new allocs not healthy yet: nothing more.
  const plans = h.plans.length;
  await h.process(mockEval(job2, 'deployment-watcher', { DeploymentID: d.ID }), opts);
  assert.equal(h.plans.length, plans, 'no plan while the replacements are not healthy');
  // Healthy: the next two.
  healthyAll(h);
  await h.process(mockEval(job2, 'deployment-watcher', { DeploymentID: d.ID }), opts);
  plan = h.lastPlan();
  assert.equal(planAllocs(plan).length, 2);
  assert.equal(plan.Deployment, null, 'the same deployment continues');
  for (const a of planAllocs(plan)) assert.equal(a.DeploymentID, d.ID);
  // All replaced and healthy: the scheduler marks the deployment successful.
  healthyAll(h);
  const dep = h.deploymentByID(d.ID)!;
  h.upsertDeployment({ ...dep, TaskGroups: { cache: { ...dep.TaskGroups['cache']!, HealthyAllocs: 4 } } });
  await h.process(mockEval(job2, 'deployment-watcher', { DeploymentID: d.ID }), opts);
  assert.deepEqual(h.lastPlan().DeploymentUpdates, [{ DeploymentID: d.ID, Status: 'successful', StatusDescription: 'Deployment completed successfully' }]);
});

test('an unhealthy alloc in the deployment stops the rollout', async () => {
  const h = await setup(3, { MaxParallel: 1 });
  const job2 = changed(h, (j) => (j.TaskGroups[0]!.Tasks[0]!.Env = { V: '2' }));
  await h.process(mockEval(job2), opts);
  const placed = planAllocs(h.lastPlan())[0]!;
  h.updateAlloc(placed.ID, { ClientStatus: 'running', DeploymentStatus: { Healthy: false, Timestamp: '', Canary: false, ModifyIndex: 0 } });
  const plans = h.plans.length;
  await h.process(mockEval(job2, 'deployment-watcher'), opts);
  assert.equal(h.plans.length, plans);
});

test('a newer version cancels the active deployment of the older one', async () => {
  const h = await setup(3, { MaxParallel: 1 });
  const job2 = changed(h, (j) => (j.TaskGroups[0]!.Tasks[0]!.Env = { V: '2' }));
  await h.process(mockEval(job2), opts);
  const d2 = h.lastPlan().Deployment!;
  const job3 = changed(h, (j) => (j.TaskGroups[0]!.Tasks[0]!.Env = { V: '3' }));
  await h.process(mockEval(job3), opts);
  const plan = h.lastPlan();
  assert.deepEqual(plan.DeploymentUpdates, [{ DeploymentID: d2.ID, Status: 'cancelled', StatusDescription: 'Cancelled due to newer version of job' }]);
  assert.equal(plan.Deployment!.JobVersion, 2);
});

test('canaries are placed first and the rest waits for promotion', async () => {
  const h = await setup(3, { MaxParallel: 1, Canary: 1 });
  const job2 = changed(h, (j) => (j.TaskGroups[0]!.Tasks[0]!.Env = { V: '2' }));
  const ev = mockEval(job2, 'job-register', { AnnotatePlan: true });
  await h.process(ev, opts);
  let plan = h.lastPlan();
  const u = plan.Annotations!.DesiredTGUpdates['cache']!;
  assert.equal(u.Canary, 1);
  assert.equal(u.DestructiveUpdate, 0);
  assert.equal(u.Ignore, 3);
  assert.equal(planStops(plan).length, 0, 'old allocs keep running beside the canary');
  const canary = planAllocs(plan)[0]!;
  assert.equal(canary.DeploymentStatus!.Canary, true);
  assert.equal(canary.Name, 'example.cache[0]', 'the canary takes the name of an alloc it will replace');
  const d = plan.Deployment!;
  assert.equal(d.TaskGroups['cache']!.DesiredCanaries, 1);
  assert.deepEqual(h.deploymentByID(d.ID)!.TaskGroups['cache']!.PlacedCanaries, [canary.ID]);
  // Healthy canary, not promoted: nothing happens.
  healthyAll(h);
  const plans = h.plans.length;
  await h.process(mockEval(job2, 'deployment-watcher'), opts);
  assert.equal(h.plans.length, plans);
  // Promoted: the old alloc with the canary's name stops, the others are replaced one at a time.
  const dep = h.deploymentByID(d.ID)!;
  h.upsertDeployment({ ...dep, TaskGroups: { cache: { ...dep.TaskGroups['cache']!, Promoted: true } } });
  await h.process(mockEval(job2, 'deployment-watcher'), opts);
  plan = h.lastPlan();
  const stops = planStops(plan);
  assert.ok(stops.some((s) => s.Name === 'example.cache[0]' && s.ID !== canary.ID && s.DesiredDescription === 'alloc not needed due to job update'));
  assert.ok(!stops.some((s) => s.ID === canary.ID), 'the canary stays');
  assert.equal(planAllocs(plan).length, 1);
  assert.equal(stops.filter((s) => s.DesiredDescription === 'alloc is being updated due to job update').length, 1);
});

test('a first registration with no update block (max_parallel 0) creates no deployment', async () => {
  const h = new Harness();
  h.upsertNode(mockNode());
  const j = mockJob({}, 2);
  j.TaskGroups[0]!.Update = null;
  await h.process(mockEval(h.registerJob(j)), opts);
  assert.equal(h.lastPlan().Deployment, null);
  for (const a of planAllocs(h.lastPlan())) assert.equal(a.DeploymentID, '');
});

test('a new deployment with canaries says that it waits for a promotion', async () => {
  const manual = await setup(2, { MaxParallel: 1, Canary: 1 });
  await manual.process(mockEval(changed(manual, (j) => (j.TaskGroups[0]!.Tasks[0]!.Env = { V: '2' }))), opts);
  assert.equal(manual.lastPlan().Deployment!.StatusDescription, 'Deployment is running but requires manual promotion');

  const auto = await setup(2, { MaxParallel: 1, Canary: 2, AutoPromote: true });
  await auto.process(mockEval(changed(auto, (j) => (j.TaskGroups[0]!.Tasks[0]!.Env = { V: '2' }))), opts);
  assert.equal(auto.lastPlan().Deployment!.StatusDescription, 'Deployment is running pending automatic promotion');

  const none = await setup(2, { MaxParallel: 1 });
  await none.process(mockEval(changed(none, (j) => (j.TaskGroups[0]!.Tasks[0]!.Env = { V: '2' }))), opts);
  assert.equal(none.lastPlan().Deployment!.StatusDescription, 'Deployment is running');
});

test('a failed alloc waiting for a delayed reschedule stays stopped when a new version replaces it', async () => {
  const h = await setup(2, { MaxParallel: 2 });
  const [failed] = h.allocs();
  h.updateAlloc(failed!.ID, { ClientStatus: 'failed' });
  await h.process(mockEval(changed(h, (j) => (j.TaskGroups[0]!.Tasks[0]!.Env = { V: '2' }))), opts);
  const plan = h.lastPlan();
  assert.ok(planStops(plan).some((a) => a.ID === failed!.ID), 'the failed alloc is replaced');
  assert.ok(!planAllocs(plan).some((a) => a.ID === failed!.ID), 'and not written back with desired status "run"');
  assert.equal(h.allocByID(failed!.ID)!.DesiredStatus, 'stop');
});

test('max_parallel bounds the replacements in flight; a healthy one frees exactly one slot', async () => {
  const h = await setup(5, { MaxParallel: 2 });
  const job2 = changed(h, (j) => (j.TaskGroups[0]!.Tasks[0]!.Env = { V: '2' }));
  await h.process(mockEval(job2), opts);
  const first = planAllocs(h.lastPlan());
  assert.equal(first.length, 2);
  const d = h.lastPlan().Deployment!;
  // One of the two is healthy: one more replacement, not two.
  h.updateAlloc(first[0]!.ID, { ClientStatus: 'running', DeploymentStatus: { Healthy: true, Timestamp: '', Canary: false, ModifyIndex: 0 } });
  await h.process(mockEval(job2, 'deployment-watcher', { DeploymentID: d.ID }), opts);
  assert.equal(planAllocs(h.lastPlan()).length, 1);
  assert.equal(planStops(h.lastPlan()).length, 1);
});
