import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NomadError } from '../structs/errors.js';
import { FSM } from './fsm.js';
import type { LogEntry } from './log-entries.js';
import { StateStore } from './store.js';
import { mockAlloc, mockEval, mockJob, mockPlanApply, mockNode, T0_NS, taskGroup } from '../../test/unit/state-fixtures.js';

function setup(): { store: StateStore; fsm: FSM } {
  const store = new StateStore({ freezeObjects: true });
  return { store, fsm: new FSM(store) };
}

function register(fsm: FSM, index: number, job = mockJob(), evalId: string | null = `eval-${index}`): unknown {
  const entry: LogEntry = {
    Type: 'JobRegister',
    Job: job,
    Eval: evalId === null ? null : mockEval(evalId, job.ID, { Namespace: job.Namespace }),
    SubmitTimeNs: T0_NS + index,
  };
  return fsm.apply(index, entry);
}

test('a new job gets version 0, its indexes, a pending status, a summary and its evaluation', () => {
  const { store, fsm } = setup();
  const result = register(fsm, 10);
  assert.deepEqual(result, { JobModifyIndex: 10, Version: 0, EvalID: 'eval-10' });
  const s = store.snapshot();
  const job = s.jobByID('default', 'example')!;
  assert.equal(job.Version, 0);
  assert.equal(job.CreateIndex, 10);
  assert.equal(job.ModifyIndex, 10);
  assert.equal(job.JobModifyIndex, 10);
  assert.equal(job.Status, 'pending');
  assert.equal(job.Stable, false);
  assert.equal(job.SubmitTime, T0_NS + 10);
  assert.deepEqual(s.jobSummary('default', 'example'), {
    JobID: 'example',
    Namespace: 'default',
    Summary: { cache: { Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 0, Lost: 0 } },
    Children: { Pending: 0, Running: 0, Dead: 0 },
    CreateIndex: 10,
    ModifyIndex: 10,
  });
  const ev = s.evalByID('eval-10')!;
  assert.equal(ev.CreateIndex, 10);
  assert.equal(ev.ModifyIndex, 10);
  assert.deepEqual(s.evalsByJob('default', 'example').map((e) => e.ID), ['eval-10']);
  for (const t of ['jobs', 'job_version', 'job_summary', 'evals', 'index'] as const) assert.equal(s.tableIndex(t), 10, t);
  assert.equal(s.jobVersions('default', 'example').length, 1);
});

test('a changed spec bumps the version; the same spec only touches ModifyIndex', () => {
  const { store, fsm } = setup();
  register(fsm, 10);
  // Same spec, with server fields differing: no new version.
  register(fsm, 12, mockJob('example', { Version: 7, Status: 'running', SubmitTime: 1, ModifyIndex: 99 }));
  let job = store.snapshot().jobByID('default', 'example')!;
  assert.equal(job.Version, 0);
  assert.equal(job.JobModifyIndex, 10);
  assert.equal(job.ModifyIndex, 12);
  assert.equal(job.SubmitTime, T0_NS + 10);
  assert.equal(store.snapshot().jobVersions('default', 'example').length, 1);
  // A changed count is a new version.
  const res = register(fsm, 19, mockJob('example', { TaskGroups: [taskGroup('cache', 3)] }));
  assert.deepEqual(res, { JobModifyIndex: 19, Version: 1, EvalID: 'eval-19' });
  job = store.snapshot().jobByID('default', 'example')!;
  assert.equal(job.Version, 1);
  assert.equal(job.CreateIndex, 10);
  assert.equal(job.JobModifyIndex, 19);
  assert.equal(job.ModifyIndex, 19);
  assert.equal(job.Stable, false);
  assert.deepEqual(store.snapshot().jobVersions('default', 'example').map((j) => j.Version), [1, 0]);
  assert.equal(store.snapshot().jobByIDAndVersion('default', 'example', 0)?.TaskGroups[0]!.Count, 1);
});

test('only the last 6 versions are kept, and the newest stable one survives', () => {
  const { store, fsm } = setup();
  register(fsm, 1);
  fsm.apply(2, { Type: 'JobStability', Namespace: 'default', JobID: 'example', JobVersion: 0, Stable: true });
  for (let v = 1; v <= 6; v++) register(fsm, 2 + v, mockJob('example', { Meta: { v: String(v) } }));
  const versions = store.snapshot().jobVersions('default', 'example').map((j) => j.Version);
  // Version 0 is the only stable one: kept in place of version 1.
  assert.deepEqual(versions, [6, 5, 4, 3, 2, 0]);
  register(fsm, 20, mockJob('example', { Meta: { v: '7' } }));
  assert.deepEqual(store.snapshot().jobVersions('default', 'example').map((j) => j.Version), [7, 6, 5, 4, 3, 0]);
});

test('job stability marks the version and the current job when it is that version', () => {
  const { store, fsm } = setup();
  register(fsm, 10);
  fsm.apply(16, { Type: 'JobStability', Namespace: 'default', JobID: 'example', JobVersion: 0, Stable: true });
  const s = store.snapshot();
  const job = s.jobByID('default', 'example')!;
  assert.equal(job.Stable, true);
  assert.equal(job.ModifyIndex, 16);
  assert.equal(job.JobModifyIndex, 10);
  const v0 = s.jobByIDAndVersion('default', 'example', 0)!;
  assert.equal(v0.Stable, true);
  assert.equal(v0.ModifyIndex, 16);
  // An older version: the current job is not touched.
  register(fsm, 19, mockJob('example', { Meta: { a: 'b' } }));
  fsm.apply(20, { Type: 'JobStability', Namespace: 'default', JobID: 'example', JobVersion: 0, Stable: false });
  const s2 = store.snapshot();
  assert.equal(s2.jobByID('default', 'example')!.ModifyIndex, 19);
  assert.equal(s2.jobByIDAndVersion('default', 'example', 0)!.Stable, false);
  // Unknown job or version: nothing happens.
  fsm.apply(21, { Type: 'JobStability', Namespace: 'default', JobID: 'nope', JobVersion: 0, Stable: true });
  assert.equal(store.latestIndex(), 20);
});

test('stopping a job records a stopped version, keeps stability and submit time, and the job dies with its allocations', () => {
  const { store, fsm } = setup();
  fsm.apply(7, { Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  register(fsm, 10);
  const job = store.snapshot().jobByID('default', 'example')!;
  fsm.apply(11, mockPlanApply(job, { EvalID: 'eval-10', AllocsUpdated: [mockAlloc('a1', 'n1', { EvalID: 'eval-10' })], TimestampNs: T0_NS + 1000 }));
  fsm.apply(12, { Type: 'EvalUpsert', Evals: [mockEval('eval-10', 'example', { Status: 'complete' })] });
  fsm.apply(13, {
    Type: 'AllocClientUpdate',
    Updates: [{ ID: 'a1', ClientStatus: 'running', ClientDescription: 'Tasks are running', TaskStates: {}, DeploymentStatus: null }],
    Evals: [],
    TimestampNs: T0_NS + 2000,
  });
  fsm.apply(14, { Type: 'JobStability', Namespace: 'default', JobID: 'example', JobVersion: 0, Stable: true });
  assert.equal(store.snapshot().jobByID('default', 'example')!.Status, 'running');

  const res = fsm.apply(52, {
    Type: 'JobDeregister',
    Namespace: 'default',
    JobID: 'example',
    Purge: false,
    Eval: mockEval('eval-52', 'example', { TriggeredBy: 'job-deregister' }),
    SubmitTimeNs: T0_NS + 99,
  });
  assert.deepEqual(res, { JobModifyIndex: 52, Version: 1, EvalID: 'eval-52' });
  let s = store.snapshot();
  let stopped = s.jobByID('default', 'example')!;
  assert.equal(stopped.Stop, true);
  assert.equal(stopped.Version, 1);
  assert.equal(stopped.JobModifyIndex, 52);
  assert.equal(stopped.Stable, true);
  assert.equal(stopped.SubmitTime, T0_NS + 10);
  assert.equal(stopped.Status, 'running', 'still running while its allocation runs');
  assert.deepEqual(s.jobVersions('default', 'example').map((j) => [j.Version, j.Stop]), [
    [1, true],
    [0, false],
  ]);

  fsm.apply(53, {
    Type: 'PlanApply',
    EvalID: 'eval-52',
    Job: stopped,
    AllocsUpdated: [],
    AllocsStopped: [{ ID: 'a1', DesiredStatus: 'stop', DesiredDescription: 'alloc not needed due to job update' }],
    Deployment: null,
    DeploymentUpdates: [],
    Evals: [],
    TimestampNs: T0_NS + 3000,
  });
  // Its allocation is stopped but the deregistration's evaluation is still pending.
  assert.equal(store.snapshot().jobByID('default', 'example')!.Status, 'pending');
  fsm.apply(54, { Type: 'EvalUpsert', Evals: [mockEval('eval-52', 'example', { Status: 'complete' })] });
  s = store.snapshot();
  stopped = s.jobByID('default', 'example')!;
  assert.equal(stopped.Status, 'dead');
  assert.equal(stopped.ModifyIndex, 54);
  // The version row keeps the status it was written with, as Nomad's does.
  assert.equal(s.jobByIDAndVersion('default', 'example', 1)!.Status, 'running');
});

test('deregistering a job that does not exist fails and changes nothing', () => {
  const { store, fsm } = setup();
  for (const Purge of [true, false]) {
    assert.throws(
      () => fsm.apply(5, { Type: 'JobDeregister', Namespace: 'default', JobID: 'ghost', Purge, Eval: mockEval('e', 'ghost'), SubmitTimeNs: 1 }),
      (err: unknown) => err instanceof NomadError && err.kind === 'not_found',
    );
  }
  assert.equal(store.latestIndex(), 0);
  assert.equal(store.snapshot().evalByID('e'), null);
});

test('purging deletes the job, its versions and summary; allocations and evaluations stay', () => {
  const { store, fsm } = setup();
  register(fsm, 10);
  fsm.apply(11, mockPlanApply(store.snapshot().jobByID('default', 'example'), { EvalID: 'eval-10', AllocsUpdated: [mockAlloc('a1', 'n1')] }));
  fsm.apply(12, { Type: 'JobDeregister', Namespace: 'default', JobID: 'example', Purge: true, Eval: mockEval('eval-12', 'example'), SubmitTimeNs: 1 });
  const s = store.snapshot();
  assert.equal(s.jobByID('default', 'example'), null);
  assert.deepEqual(s.jobVersions('default', 'example'), []);
  assert.equal(s.jobSummary('default', 'example'), null);
  assert.equal(s.allocByID('a1')?.ID, 'a1');
  assert.equal(s.evalsByJob('default', 'example').length, 2);
  assert.equal(s.tableIndex('jobs'), 12);
  assert.equal(s.tableIndex('job_summary'), 12);
  // Registering again starts a new incarnation: version 0, new CreateIndex, old allocs not counted.
  register(fsm, 20);
  const again = store.snapshot();
  assert.equal(again.jobByID('default', 'example')!.CreateIndex, 20);
  assert.equal(again.jobByID('default', 'example')!.Version, 0);
  assert.deepEqual(again.allocsByJob('default', 'example', false), []);
  assert.equal(again.allocsByJob('default', 'example', true).length, 1);
});

test('GC of a job removes it with its evaluations and allocations', () => {
  const { store, fsm } = setup();
  register(fsm, 10);
  register(fsm, 11, mockJob('other'));
  fsm.apply(12, mockPlanApply(store.snapshot().jobByID('default', 'example'), { EvalID: 'eval-10', AllocsUpdated: [mockAlloc('a1', 'n1'), mockAlloc('a2', 'n1')] }));
  fsm.apply(13, { Type: 'JobBatchDelete', Jobs: [{ Namespace: 'default', JobID: 'example' }, { Namespace: 'default', JobID: 'missing' }] });
  const s = store.snapshot();
  assert.equal(s.jobByID('default', 'example'), null);
  assert.deepEqual(s.evalsByJob('default', 'example'), []);
  assert.deepEqual(s.allocsByNode('n1'), []);
  assert.equal(s.jobByID('default', 'other')?.Status, 'pending');
  assert.equal(s.evals().length, 1);
});

test('evaluation deletion makes a job without evaluations or allocations dead', () => {
  const { store, fsm } = setup();
  register(fsm, 10, mockJob('batchy', { Type: 'batch' }));
  assert.equal(store.snapshot().jobByID('default', 'batchy')!.Status, 'pending');
  fsm.apply(11, { Type: 'EvalDelete', EvalIDs: ['eval-10', 'unknown'], AllocIDs: ['unknown'] });
  const s = store.snapshot();
  assert.equal(s.evalByID('eval-10'), null);
  assert.equal(s.jobByID('default', 'batchy')!.Status, 'dead');
  assert.equal(s.jobByID('default', 'batchy')!.ModifyIndex, 11);
});

test('queued allocations come from evaluations; a successful evaluation cancels blocked ones', () => {
  const { store, fsm } = setup();
  register(fsm, 10);
  fsm.apply(11, {
    Type: 'EvalUpsert',
    Evals: [
      mockEval('eval-10', 'example', { Status: 'complete', QueuedAllocations: { cache: 1 }, FailedTGAllocs: { cache: {} as never } }),
      mockEval('blocked-1', 'example', { Status: 'blocked', TriggeredBy: 'queued-allocs' }),
    ],
  });
  let s = store.snapshot();
  assert.equal(s.jobSummary('default', 'example')!.Summary['cache']!.Queued, 1);
  assert.equal(s.jobSummary('default', 'example')!.ModifyIndex, 11);
  assert.equal(s.evalByID('blocked-1')!.Status, 'blocked');
  fsm.apply(12, { Type: 'EvalUpsert', Evals: [mockEval('eval-12', 'example', { Status: 'complete', QueuedAllocations: { cache: 0 } })] });
  s = store.snapshot();
  assert.equal(s.jobSummary('default', 'example')!.Summary['cache']!.Queued, 0);
  const blocked = s.evalByID('blocked-1')!;
  assert.equal(blocked.Status, 'canceled');
  assert.equal(blocked.StatusDescription, 'evaluation "eval-12" successful');
  assert.equal(blocked.ModifyIndex, 12);
  assert.equal(blocked.CreateIndex, 11);
  assert.equal(s.jobByID('default', 'example')!.Status, 'dead');
});

test('system and periodic jobs are running until stopped; child jobs count in the parent summary', () => {
  const { store, fsm } = setup();
  register(fsm, 1, mockJob('sys', { Type: 'system' }));
  assert.equal(store.snapshot().jobByID('default', 'sys')!.Status, 'running');
  register(fsm, 2, mockJob('cron', { Type: 'batch', Periodic: { Enabled: true, Spec: '* * * * *', SpecType: 'cron', ProhibitOverlap: false, TimeZone: 'UTC' } }), null);
  assert.equal(store.snapshot().jobByID('default', 'cron')!.Status, 'running');
  register(fsm, 3, mockJob('cron/periodic-1', { Type: 'batch', ParentID: 'cron' }));
  let parent = store.snapshot().jobSummary('default', 'cron')!;
  assert.deepEqual(parent.Children, { Pending: 1, Running: 0, Dead: 0 });
  fsm.apply(4, { Type: 'EvalDelete', EvalIDs: ['eval-3'], AllocIDs: [] });
  parent = store.snapshot().jobSummary('default', 'cron')!;
  assert.deepEqual(parent.Children, { Pending: 0, Running: 0, Dead: 1 });
  assert.equal(parent.ModifyIndex, 4);
});

test('an invalid job is refused with a message that names the field, leaving the store unchanged', () => {
  const { store, fsm } = setup();
  const bad = mockJob('x', { Namespace: '' });
  assert.throws(() => register(fsm, 1, bad), (err: unknown) => err instanceof NomadError && err.kind === 'bad_request' && err.where === 'Job.Namespace');
  assert.throws(() => fsm.apply(1, { Type: 'Bogus' } as unknown as LogEntry), /unknown log entry type "Bogus"/);
  assert.equal(store.latestIndex(), 0);
});
