import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../../test/unit/scheduler/harness.js';
import { mockEval, mockNode, mockSystemJob, planAllocs, planStops, sequentialIds, withClass } from '../../test/unit/scheduler/mock.js';

const opts = { nowMs: () => 1_795_282_745_000, generateId: sequentialIds(5) };

test('system: one alloc per feasible node; infeasible nodes are skipped without failure', async () => {
  const h = new Harness();
  const nodes = [0, 1, 2].map(() => h.upsertNode(mockNode()));
  h.upsertNode(mockNode({ attributes: { 'kernel.name': 'windows' } }));
  const job = h.registerJob(mockSystemJob('sys', 'system', { Constraints: [{ LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' }] }));
  const ev = await h.process(mockEval(job, 'job-register', { AnnotatePlan: true }), opts);
  const allocs = planAllocs(h.lastPlan());
  assert.deepEqual(allocs.map((a) => a.NodeID).sort(), nodes.map((n) => n.ID).sort());
  for (const a of allocs) assert.equal(a.Name, 'sys.agent[0]');
  assert.equal(ev!.Status, 'complete');
  assert.equal(ev!.FailedTGAllocs, null);
  assert.deepEqual(ev!.QueuedAllocations, { agent: 0 });
  assert.equal(h.lastPlan().Annotations!.DesiredTGUpdates['agent']!.Place, 3);
});

test('system: a new node gets an alloc; a node that goes down loses it; re-eval is a no-op', async () => {
  const h = new Harness();
  const n1 = h.upsertNode(mockNode());
  const job = h.registerJob(mockSystemJob());
  await h.process(mockEval(job), opts);
  const n2 = h.upsertNode(mockNode());
  await h.process(mockEval(job, 'node-update', { NodeID: n2.ID }), opts);
  assert.deepEqual(planAllocs(h.lastPlan()).map((a) => a.NodeID), [n2.ID]);
  const plans = h.plans.length;
  await h.process(mockEval(job, 'node-update'), opts);
  assert.equal(h.plans.length, plans);
  h.upsertNode({ ...h.nodeByID(n1.ID)!, Status: 'down' });
  await h.process(mockEval(job, 'node-update', { NodeID: n1.ID }), opts);
  const stops = planStops(h.lastPlan());
  assert.equal(stops.length, 1);
  assert.equal(stops[0]!.NodeID, n1.ID);
  assert.equal(stops[0]!.ClientStatus, 'lost');
});

test('system: a node that stops matching the constraints loses its alloc', async () => {
  const h = new Harness();
  const n1 = h.upsertNode(mockNode());
  const job = h.registerJob(mockSystemJob('sys', 'system', { Constraints: [{ LTarget: '${meta.role}', RTarget: 'edge', Operand: '!=' }] }));
  await h.process(mockEval(job), opts);
  assert.equal(planAllocs(h.lastPlan()).length, 1);
  h.upsertNode(withClass({ ...h.nodeByID(n1.ID)!, Meta: { role: 'edge' } }));
  await h.process(mockEval(job, 'node-update', { NodeID: n1.ID }), opts);
  const stops = planStops(h.lastPlan());
  assert.equal(stops.length, 1);
  assert.equal(stops[0]!.DesiredDescription, 'alloc not needed as node is tainted');
});

test('system: a node without room is a failed placement with metrics and a blocked eval', async () => {
  const h = new Harness();
  h.upsertNode(mockNode());
  h.upsertNode(mockNode({ cpuShares: 10 }));
  const job = h.registerJob(mockSystemJob());
  const ev = await h.process(mockEval(job), opts);
  assert.equal(planAllocs(h.lastPlan()).length, 1);
  assert.deepEqual(ev!.FailedTGAllocs!['agent']!.DimensionExhausted, { cpu: 1 });
  assert.ok(h.createdEvals.some((e) => e.Status === 'blocked' && e.TriggeredBy === 'queued-allocs'));
});

test('system: destructive updates roll MaxParallel at a time with a rolling follow-up eval', async () => {
  const h = new Harness();
  for (let i = 0; i < 4; i++) h.upsertNode(mockNode());
  const job = h.registerJob(mockSystemJob());
  await h.process(mockEval(job), opts);
  const j2 = structuredClone(h.jobByID('default', 'sys')!);
  j2.TaskGroups[0]!.Tasks[0]!.Config = { command: '/bin/agent2' };
  j2.Update = { ...j2.Update, MaxParallel: 1, Stagger: 5_000_000_000 };
  const job2 = h.registerJob(j2);
  const ev = await h.process(mockEval(job2, 'job-register', { AnnotatePlan: true }), opts);
  const plan = h.lastPlan();
  assert.equal(planAllocs(plan).length, 1);
  assert.equal(planStops(plan).length, 1);
  assert.equal(planAllocs(plan)[0]!.NodeID, planStops(plan)[0]!.NodeID);
  const u = plan.Annotations!.DesiredTGUpdates['agent']!;
  assert.equal(u.DestructiveUpdate, 1);
  assert.equal(u.Ignore, 3);
  const rolling = h.createdEvals.find((e) => e.TriggeredBy === 'rolling-update')!;
  assert.equal(rolling.Wait, 5_000_000_000);
  assert.equal(ev!.NextEval, rolling.ID);
});

test('system: an in-place change updates every alloc without stopping any', async () => {
  const h = new Harness();
  for (let i = 0; i < 3; i++) h.upsertNode(mockNode());
  await h.process(mockEval(h.registerJob(mockSystemJob())), opts);
  const j2 = structuredClone(h.jobByID('default', 'sys')!);
  j2.Meta = { v: '2' };
  await h.process(mockEval(h.registerJob(j2), 'job-register', { AnnotatePlan: true }), opts);
  assert.equal(h.lastPlan().Annotations!.DesiredTGUpdates['agent']!.InPlaceUpdate, 3);
  assert.equal(planStops(h.lastPlan()).length, 0);
});

test('sysbatch: a completed alloc is not run again on its node for the same version', async () => {
  const h = new Harness();
  h.upsertNode(mockNode());
  const job = h.registerJob(mockSystemJob('sb', 'sysbatch'));
  await h.process(mockEval(job), opts);
  const a = h.allocs()[0]!;
  h.updateAlloc(a.ID, { ClientStatus: 'complete' });
  const plans = h.plans.length;
  await h.process(mockEval(job, 'node-update'), opts);
  assert.equal(h.plans.length, plans);
  h.updateAlloc(a.ID, { ClientStatus: 'failed' });
  await h.process(mockEval(job, 'node-update'), opts);
  assert.equal(planAllocs(h.lastPlan()).length, 1);
});

test('system: stopping the job stops every alloc', async () => {
  const h = new Harness();
  for (let i = 0; i < 2; i++) h.upsertNode(mockNode());
  const job = h.registerJob(mockSystemJob());
  await h.process(mockEval(job), opts);
  const stopped = h.registerJob({ ...h.jobByID('default', 'sys')!, Stop: true });
  await h.process(mockEval(stopped, 'job-deregister'), opts);
  assert.equal(planStops(h.lastPlan()).length, 2);
});

test('system: placement time is measured on the injected monotonic clock', async () => {
  const h = new Harness();
  h.upsertNode(mockNode());
  let ticks = 0;
  const monotonicMs = (): number => ++ticks * 0.5;
  const job = h.registerJob(mockSystemJob());
  await h.process(mockEval(job), { ...opts, monotonicMs });
  assert.equal(planAllocs(h.lastPlan())[0]!.Metrics!.AllocationTime, 500_000);
});
