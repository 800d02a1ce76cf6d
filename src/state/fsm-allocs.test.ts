import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Allocation } from '../structs/alloc.js';
import { NomadError } from '../structs/errors.js';
import type { Job } from '../structs/job.js';
import { FSM } from './fsm.js';
import type { PlanApplyEntry } from './log-entries.js';
import { StateStore } from './store.js';
import { newMetric } from '../scheduler/metrics.js';
import { mockAlloc, mockDeployment, mockEval, mockJob, mockPlanApply, T0_NS, taskGroup } from '../../test/unit/state-fixtures.js';

const PLACED_NS = 1_795_282_745_348_822_327;

function setup(count = 3): { store: StateStore; fsm: FSM; job: Job } {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  fsm.apply(10, {
    Type: 'JobRegister',
    Job: mockJob('example', { TaskGroups: [taskGroup('cache', count)] }),
    Eval: mockEval('eval-10', 'example'),
    SubmitTimeNs: T0_NS,
  });
  fsm.apply(11, { Type: 'EvalUpsert', Evals: [mockEval('eval-10', 'example', { QueuedAllocations: { cache: count } })] });
  return { store, fsm, job: store.snapshot().jobByID('default', 'example')! };
}

function plan(job: Job | null, over: Partial<PlanApplyEntry> = {}): PlanApplyEntry {
  return mockPlanApply(job, { EvalID: 'eval-10', TimestampNs: PLACED_NS, ...over });
}

function placeWithDeployment(store: StateStore, fsm: FSM, job: Job, index = 12): void {
  fsm.apply(
    index,
    plan(job, {
      Deployment: mockDeployment('dep-1', job, { cache: { DesiredTotal: 3 } }),
      AllocsUpdated: ['a1', 'a2', 'a3'].map((id) => mockAlloc(id, 'n1', { DeploymentID: 'dep-1', EvalID: 'eval-10' })),
    }),
  );
}

test('a plan places allocations with their indexes, times and job, and counts them as starting', () => {
  const { store, fsm, job } = setup();
  placeWithDeployment(store, fsm, job);
  const s = store.snapshot();
  const a = s.allocByID('a1')!;
  assert.equal(a.CreateIndex, 12);
  assert.equal(a.ModifyIndex, 12);
  assert.equal(a.AllocModifyIndex, 12);
  assert.equal(a.CreateTime, PLACED_NS);
  assert.equal(a.ModifyTime, PLACED_NS);
  assert.equal(a.Job, job, 'filled from the plan, shared, not copied');
  assert.deepEqual(s.jobSummary('default', 'example')!.Summary['cache'], { Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 3, Lost: 0 });
  assert.equal(s.jobByID('default', 'example')!.Status, 'running');
  assert.equal(s.evalByID('eval-10')!.ModifyIndex, 12);
  const d = s.deploymentByID('dep-1')!;
  assert.equal(d.CreateIndex, 12);
  assert.equal(d.TaskGroups['cache']!.PlacedAllocs, 3);
  // The first placement starts the progress clock: modify time + 10m, to the nanosecond.
  assert.equal(d.TaskGroups['cache']!.RequireProgressBy, '2026-11-21T17:49:05.348822272Z');
  assert.deepEqual(s.deploymentsByJob('default', 'example').map((x) => x.ID), ['dep-1']);
  assert.equal(s.latestDeploymentByJob('default', 'example')!.ID, 'dep-1');
  for (const t of ['allocs', 'deployment', 'evals', 'job_summary', 'index'] as const) assert.equal(s.tableIndex(t), 12, t);
});

test('client updates merge status, health and count into the summary and the deployment', () => {
  const { store, fsm, job } = setup();
  placeWithDeployment(store, fsm, job);
  fsm.apply(14, {
    Type: 'AllocClientUpdate',
    Updates: [
      {
        ID: 'a1',
        ClientStatus: 'running',
        ClientDescription: 'Tasks are running',
        TaskStates: { redis: { State: 'running', Failed: false, Restarts: 0, LastRestart: null, StartedAt: null, FinishedAt: null, Events: [], TaskHandle: null } },
        DeploymentStatus: { Healthy: true, Timestamp: '2026-11-21T17:39:15.515312792Z', Canary: false, ModifyIndex: 0 },
      },
      { ID: 'a2', ClientStatus: 'running', ClientDescription: '', TaskStates: {}, DeploymentStatus: null },
      { ID: 'gone', ClientStatus: 'running', ClientDescription: '', TaskStates: {}, DeploymentStatus: null },
    ],
    Evals: [],
    TimestampNs: PLACED_NS + 5,
  });
  const s = store.snapshot();
  const a1 = s.allocByID('a1')!;
  assert.equal(a1.ClientStatus, 'running');
  assert.equal(a1.ModifyIndex, 14);
  assert.equal(a1.AllocModifyIndex, 12, 'client updates do not change what the client must pull');
  assert.equal(a1.ModifyTime, PLACED_NS + 5);
  assert.equal(a1.DeploymentStatus!.Healthy, true);
  assert.equal(a1.DeploymentStatus!.ModifyIndex, 14);
  assert.equal(a1.TaskStates!['redis']!.State, 'running');
  assert.deepEqual(s.jobSummary('default', 'example')!.Summary['cache'], { Queued: 0, Complete: 0, Failed: 0, Running: 2, Starting: 1, Lost: 0 });
  assert.equal(s.jobSummary('default', 'example')!.ModifyIndex, 14);
  const state = s.deploymentByID('dep-1')!.TaskGroups['cache']!;
  assert.equal(state.HealthyAllocs, 1);
  assert.equal(state.RequireProgressBy, '2026-11-21T17:49:15.515312792Z', 'health extends the deadline');

  // Healthy -> unhealthy moves the count; complete/failed are running totals.
  fsm.apply(15, {
    Type: 'AllocClientUpdate',
    Updates: [
      { ID: 'a1', ClientStatus: 'failed', ClientDescription: 'Failed tasks', TaskStates: {}, DeploymentStatus: { Healthy: false, Timestamp: '2026-11-21T17:40:00Z', Canary: false, ModifyIndex: 0 } },
      { ID: 'a2', ClientStatus: 'complete', ClientDescription: '', TaskStates: {}, DeploymentStatus: null },
    ],
    Evals: [mockEval('eval-15', 'example', { TriggeredBy: 'alloc-failure' })],
    TimestampNs: PLACED_NS + 6,
  });
  const s2 = store.snapshot();
  assert.deepEqual(s2.jobSummary('default', 'example')!.Summary['cache'], { Queued: 0, Complete: 1, Failed: 1, Running: 0, Starting: 1, Lost: 0 });
  const st2 = s2.deploymentByID('dep-1')!.TaskGroups['cache']!;
  assert.equal(st2.HealthyAllocs, 0);
  assert.equal(st2.UnhealthyAllocs, 1);
  assert.equal(s2.evalByID('eval-15')!.CreateIndex, 15);
  assert.deepEqual(s2.allocsByNodeNonTerminal('n1').map((a) => a.ID), ['a3']);
});

test('a late report of a running allocation does not reopen one its client has finished', () => {
  const { store, fsm, job } = setup();
  placeWithDeployment(store, fsm, job);
  const report = (index: number, id: string, status: Allocation['ClientStatus']) =>
    fsm.apply(index, { Type: 'AllocClientUpdate', Updates: [{ ID: id, ClientStatus: status, ClientDescription: '', TaskStates: {}, DeploymentStatus: null }], Evals: [], TimestampNs: PLACED_NS + index });
  report(13, 'a1', 'complete');
  report(14, 'a2', 'failed');
  // The earlier "running" reports, delivered after the final ones.
  report(15, 'a1', 'running');
  report(16, 'a2', 'running');
  const s = store.snapshot();
  assert.equal(s.allocByID('a1')!.ClientStatus, 'complete');
  assert.equal(s.allocByID('a1')!.ModifyIndex, 13);
  assert.equal(s.allocByID('a2')!.ClientStatus, 'failed');
  assert.deepEqual(s.allocsByNodeNonTerminal('n1').map((a) => a.ID), ['a3'], 'their resources stay free');
  assert.deepEqual(s.jobSummary('default', 'example')!.Summary['cache'], { Queued: 0, Complete: 1, Failed: 1, Running: 0, Starting: 1, Lost: 0 });
  // A final status may still be corrected by another final one.
  report(17, 'a1', 'failed');
  assert.equal(store.snapshot().allocByID('a1')!.ClientStatus, 'failed');
});

test('the scheduler stopping, losing and updating allocations in place keeps what the client owns', () => {
  const { store, fsm, job } = setup();
  placeWithDeployment(store, fsm, job);
  fsm.apply(13, {
    Type: 'AllocClientUpdate',
    Updates: ['a1', 'a2', 'a3'].map((ID) => ({ ID, ClientStatus: 'running' as const, ClientDescription: 'ok', TaskStates: {}, DeploymentStatus: null })),
    Evals: [],
    TimestampNs: PLACED_NS + 1,
  });
  fsm.apply(20, {
    Type: 'JobRegister',
    Job: mockJob('example', { TaskGroups: [taskGroup('cache', 3)], Meta: { x: '1' } }),
    Eval: mockEval('eval-20', 'example'),
    SubmitTimeNs: T0_NS + 20,
  });
  const v1 = store.snapshot().jobByID('default', 'example')!;
  const inPlace: Allocation = { ...store.snapshot().allocByID('a3')!, Job: null, ClientStatus: 'pending', TaskStates: null };
  fsm.apply(
    21,
    plan(v1, {
      EvalID: 'eval-20',
      AllocsStopped: [
        { ID: 'a1', DesiredStatus: 'stop', DesiredDescription: 'alloc not needed due to job update' },
        { ID: 'a2', DesiredStatus: 'stop', DesiredDescription: 'alloc is lost since its node is down', ClientStatus: 'lost' },
        { ID: 'gone', DesiredStatus: 'stop', DesiredDescription: '' },
      ],
      AllocsUpdated: [inPlace, mockAlloc('a4', 'n2', { PreviousAllocation: 'a1' })],
      TimestampNs: PLACED_NS + 100,
    }),
  );
  const s = store.snapshot();
  const a1 = s.allocByID('a1')!;
  assert.equal(a1.DesiredStatus, 'stop');
  assert.equal(a1.ClientStatus, 'running', 'a stop does not change the client status');
  assert.equal(a1.AllocModifyIndex, 21);
  assert.equal(a1.NextAllocation, 'a4');
  assert.equal(s.allocByID('a2')!.ClientStatus, 'lost');
  const a3 = s.allocByID('a3')!;
  assert.equal(a3.ClientStatus, 'running', 'the client status survives an in-place update');
  assert.deepEqual(a3.TaskStates, {});
  assert.equal(a3.Job!.Version, 1, 'an in-place update carries the new job version');
  assert.equal(a3.CreateIndex, 12);
  assert.equal(a3.AllocModifyIndex, 21);
  assert.equal(a3.CreateTime, PLACED_NS);
  assert.equal(a3.ModifyTime, PLACED_NS + 100);
  assert.equal(s.allocByID('a4')!.Job!.Version, 1);
  assert.deepEqual(s.jobSummary('default', 'example')!.Summary['cache'], { Queued: 0, Complete: 0, Failed: 0, Running: 2, Starting: 1, Lost: 1 });
  assert.deepEqual(s.allocsByNodeNonTerminal('n1').map((a) => a.ID), ['a3']);
});

test('a plan whose new allocation has no job fails whole, leaving the store unchanged', () => {
  const { store, fsm } = setup();
  const before = store.snapshot();
  assert.throws(
    () => fsm.apply(12, plan(null, { AllocsUpdated: [mockAlloc('ok', 'n1', { Job: mockJob() }), mockAlloc('nojob', 'n1')] })),
    (err: unknown) => err instanceof NomadError && err.kind === 'bad_request' && /without a job/.test(err.message) && err.where === 'AllocsUpdated[1].Job',
  );
  assert.equal(store.snapshot().tables, before.tables);
  assert.equal(store.snapshot().allocByID('ok'), null);
});

test('a plan updating a deployment that already ended keeps the end and commits its allocations', () => {
  const { store, fsm, job } = setup();
  placeWithDeployment(store, fsm, job);
  fsm.apply(13, { Type: 'DeploymentStatus', DeploymentID: 'dep-1', Status: 'failed', StatusDescription: 'Deployment marked as failed', Job: null, Eval: null, TimestampNs: 1 });
  fsm.apply(14, plan(job, { DeploymentUpdates: [{ DeploymentID: 'dep-1', Status: 'successful', StatusDescription: '' }], AllocsUpdated: [mockAlloc('x', 'n1')] }));
  assert.equal(store.snapshot().deploymentByID('dep-1')!.Status, 'failed');
  assert.ok(store.snapshot().allocByID('x'));
  assert.equal(store.latestIndex(), 14);
});

test('a successful deployment makes its job version stable', () => {
  const { store, fsm, job } = setup();
  placeWithDeployment(store, fsm, job);
  fsm.apply(16, plan(job, { DeploymentUpdates: [{ DeploymentID: 'dep-1', Status: 'successful', StatusDescription: 'Deployment completed successfully' }] }));
  const s = store.snapshot();
  assert.equal(s.deploymentByID('dep-1')!.Status, 'successful');
  assert.equal(s.deploymentByID('dep-1')!.ModifyIndex, 16);
  assert.equal(s.jobByID('default', 'example')!.Stable, true);
  assert.equal(s.jobByID('default', 'example')!.ModifyIndex, 16);
  assert.equal(s.jobByIDAndVersion('default', 'example', 0)!.Stable, true);
});

test('alloc health from the deployment watcher, with an auto-revert job and evaluation', () => {
  const { store, fsm, job } = setup();
  placeWithDeployment(store, fsm, job);
  fsm.apply(17, {
    Type: 'DeploymentAllocHealth',
    DeploymentID: 'dep-1',
    HealthyAllocIDs: ['a1'],
    UnhealthyAllocIDs: ['a2'],
    Status: { Status: 'failed', StatusDescription: 'Failed due to unhealthy allocations - rolling back to job version 0' },
    Job: mockJob('example', { TaskGroups: [taskGroup('cache', 3)], Meta: { reverted: 'yes' } }),
    Eval: mockEval('eval-17', 'example', { TriggeredBy: 'deployment-watcher' }),
    TimestampNs: PLACED_NS + 1_000_000_000,
  });
  const s = store.snapshot();
  const a1 = s.allocByID('a1')!;
  assert.deepEqual(a1.DeploymentStatus, { Canary: false, Healthy: true, Timestamp: '2026-11-21T17:39:06.348822272Z', ModifyIndex: 17 });
  assert.equal(s.allocByID('a2')!.DeploymentStatus!.Healthy, false);
  const d = s.deploymentByID('dep-1')!;
  assert.equal(d.Status, 'failed');
  assert.equal(d.TaskGroups['cache']!.HealthyAllocs, 1);
  assert.equal(d.TaskGroups['cache']!.UnhealthyAllocs, 1);
  assert.equal(s.jobByID('default', 'example')!.Version, 1);
  assert.equal(s.evalByID('eval-17')!.TriggeredBy, 'deployment-watcher');
  assert.throws(
    () => fsm.apply(18, { Type: 'DeploymentAllocHealth', DeploymentID: 'dep-1', HealthyAllocIDs: ['nope'], UnhealthyAllocIDs: [], Status: null, Job: null, Eval: null, TimestampNs: 1 }),
    (err: unknown) => err instanceof NomadError && err.kind === 'not_found',
  );
});

test('promotion requires healthy canaries, then clears the canary flag', () => {
  const { store, fsm, job } = setup();
  const dep = mockDeployment('dep-c', job, { cache: { DesiredCanaries: 1, DesiredTotal: 3 } });
  dep.StatusDescription = 'Deployment is running but requires manual promotion';
  fsm.apply(
    12,
    plan(job, {
      Deployment: dep,
      AllocsUpdated: [mockAlloc('c1', 'n1', { DeploymentID: 'dep-c', DeploymentStatus: { Healthy: null, Timestamp: '0001-01-01T00:00:00Z', Canary: true, ModifyIndex: 0 } })],
    }),
  );
  assert.deepEqual(store.snapshot().deploymentByID('dep-c')!.TaskGroups['cache']!.PlacedCanaries, ['c1']);
  assert.throws(
    () => fsm.apply(13, { Type: 'DeploymentPromote', DeploymentID: 'dep-c', Groups: [], Eval: null }),
    (err: unknown) => err instanceof NomadError && /Canary allocation "c1" for group "cache" is not healthy/.test(err.message),
  );
  fsm.apply(14, { Type: 'DeploymentAllocHealth', DeploymentID: 'dep-c', HealthyAllocIDs: ['c1'], UnhealthyAllocIDs: [], Status: null, Job: null, Eval: null, TimestampNs: PLACED_NS });
  fsm.apply(15, { Type: 'DeploymentPromote', DeploymentID: 'dep-c', Groups: ['cache'], Eval: mockEval('eval-15', 'example'), TimestampNs: PLACED_NS + 1e9 });
  const s = store.snapshot();
  const d = s.deploymentByID('dep-c')!;
  assert.equal(d.TaskGroups['cache']!.Promoted, true);
  assert.equal(d.StatusDescription, 'Deployment is running');
  assert.equal(d.TaskGroups['cache']!.RequireProgressBy, '2026-11-21T17:49:06.348822272Z');
  const c1 = s.allocByID('c1')!;
  assert.equal(c1.DeploymentStatus!.Canary, false);
  assert.equal(c1.AllocModifyIndex, 15);
  assert.throws(() => fsm.apply(16, { Type: 'DeploymentPromote', DeploymentID: 'dep-c', Groups: ['web'], Eval: null }), /no task group "web"/);
});

test('desired transitions merge only the fields set; deployments can be deleted', () => {
  const { store, fsm, job } = setup();
  placeWithDeployment(store, fsm, job);
  fsm.apply(13, { Type: 'AllocDesiredTransition', Transitions: { a1: { Migrate: true, Reschedule: null, ForceReschedule: null }, ghost: { Migrate: true, Reschedule: null, ForceReschedule: null } }, Evals: [mockEval('eval-13', 'example', { TriggeredBy: 'node-drain' })] });
  fsm.apply(14, { Type: 'AllocDesiredTransition', Transitions: { a1: { Migrate: null, Reschedule: true, ForceReschedule: null } }, Evals: [] });
  let s = store.snapshot();
  assert.deepEqual(s.allocByID('a1')!.DesiredTransition, { Migrate: true, Reschedule: true, ForceReschedule: null });
  assert.equal(s.allocByID('a1')!.ModifyIndex, 14);
  // As Nomad's: the servers changed what the client holds, so the client is told to pull it.
  assert.equal(s.allocByID('a1')!.AllocModifyIndex, 14);
  fsm.apply(15, { Type: 'DeploymentDelete', DeploymentIDs: ['dep-1', 'missing'] });
  s = store.snapshot();
  assert.equal(s.deploymentByID('dep-1'), null);
  assert.deepEqual(s.deploymentsByJob('default', 'example'), []);
  assert.equal(s.tableIndex('deployment'), 15);
});

test('allocations of one job version placed by different plans share one job object', () => {
  const { store, fsm, job } = setup();
  // Each log entry is decoded on its own, so each plan carries its own copy of the job.
  fsm.apply(20, plan(structuredClone(job), { AllocsUpdated: [mockAlloc('s1', 'n1')] }));
  fsm.apply(21, plan(structuredClone(job), { AllocsUpdated: [mockAlloc('s2', 'n1')] }));
  const s = store.snapshot();
  assert.equal(s.allocByID('s1')!.Job, s.allocByID('s2')!.Job);
  assert.deepEqual(s.allocByID('s1')!.Job, job);
});

test('allocations of one plan that ask alike share their resource blocks, which the entry holds in copies', () => {
  const { store, fsm, job } = setup();
  const asking = (id: string, cpu: number): Allocation =>
    mockAlloc(id, 'n1', {
      EvalID: 'eval-10',
      Resources: { CPU: cpu, Cores: 0, MemoryMB: 10, MemoryMaxMB: 0, DiskMB: 0, IOPS: 0, Networks: null, Devices: null },
      AllocatedResources: {
        Tasks: { redis: { Cpu: { CpuShares: cpu, ReservedCores: null }, Memory: { MemoryMB: 10, MemoryMaxMB: 0 }, Networks: null, Devices: null } },
        TaskLifecycles: {},
        Shared: { Networks: null, DiskMB: 0, Ports: null },
      },
      Metrics: { ...newMetric(), NodesEvaluated: 2, NodesAvailable: { dc1: 3 } },
    });
  const entry = plan(job, { AllocsUpdated: [asking('a1', 10), asking('a2', 10), asking('a3', 20)] });
  const entryMetrics = entry.AllocsUpdated[1]!.Metrics;
  fsm.apply(12, entry);
  const s = store.snapshot();
  const [a1, a2, a3] = ['a1', 'a2', 'a3'].map((id) => s.allocByID(id)!);
  assert.equal(a2!.Resources, a1!.Resources);
  assert.equal(a2!.AllocatedResources, a1!.AllocatedResources);
  assert.equal(a2!.Metrics!.NodesAvailable, a1!.Metrics!.NodesAvailable);
  assert.equal(a2!.Metrics!.NodesEvaluated, 2);
  assert.notEqual(a3!.Resources, a2!.Resources);
  assert.equal(a3!.Resources!.CPU, 20);
  assert.equal(a3!.AllocatedResources!.Tasks['redis']!.Cpu.CpuShares, 20);
  assert.equal(entry.AllocsUpdated[1]!.Metrics, entryMetrics, 'the entry\'s objects are not written');
  assert.notEqual(entryMetrics!.NodesAvailable, a1!.Metrics!.NodesAvailable);
});
