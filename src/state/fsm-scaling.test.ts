import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NomadError } from '../structs/errors.js';
import type { Job } from '../structs/job.js';
import type { ScalingEvent, ScalingPolicy } from '../structs/scaling.js';
import { FSM } from './fsm.js';
import { StateStore } from './store.js';
import { mockEval, mockJob, taskGroup, T0_NS } from '../../test/unit/state-fixtures.js';

function policy(id: string, overrides: Partial<ScalingPolicy> = {}): ScalingPolicy {
  return { ID: id, Namespace: 'default', Type: 'horizontal', Target: { Namespace: 'default', Job: 'web', Group: 'cache' }, Policy: null, Min: 1, Max: 5, Enabled: true, CreateIndex: 0, ModifyIndex: 0, ...overrides };
}

function scaledJob(p: ScalingPolicy | null, meta: Record<string, string> | null = null): Job {
  return mockJob('web', { TaskGroups: [{ ...taskGroup('cache', 2), Scaling: p }], Meta: meta });
}

function setup(): { store: StateStore; fsm: FSM; register: (index: number, job: Job) => void } {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  const register = (index: number, job: Job): void => {
    fsm.apply(index, { Type: 'JobRegister', Job: job, Eval: mockEval(`ev-${index}`, job.ID), SubmitTimeNs: T0_NS + index });
  };
  return { store, fsm, register };
}

function event(n: number, overrides: Partial<ScalingEvent> = {}): ScalingEvent {
  return { Time: T0_NS + n, Count: n, PreviousCount: n - 1, Message: `step ${n}`, Error: false, Meta: null, EvalID: null, CreateIndex: 0, ...overrides };
}

test('a group policy is stored with the job, keeps its CreateIndex, and moves its ModifyIndex only when it changes', () => {
  const { store, register } = setup();
  register(10, scaledJob(policy('p1')));
  let s = store.snapshot();
  assert.deepEqual(s.scalingPolicyByID('p1'), { ...policy('p1'), CreateIndex: 10, ModifyIndex: 10 });
  assert.equal(s.jobByID('default', 'web')!.TaskGroups[0]!.Scaling!.CreateIndex, 10, 'the job shows its policy as stored');
  assert.equal(s.tableIndex('scaling_policy'), 10);
  // Another version of the job with the same policy: the policy is untouched.
  register(11, scaledJob(policy('p1'), { v: '2' }));
  s = store.snapshot();
  assert.equal(s.scalingPolicyByID('p1')!.ModifyIndex, 10);
  assert.equal(s.tableIndex('scaling_policy'), 10);
  register(12, scaledJob(policy('p1', { Max: 9 })));
  s = store.snapshot();
  assert.deepEqual([s.scalingPolicyByID('p1')!.CreateIndex, s.scalingPolicyByID('p1')!.ModifyIndex, s.scalingPolicyByID('p1')!.Max], [10, 12, 9]);
  assert.deepEqual(s.scalingPoliciesByJob('default', 'web').map((p) => p.ID), ['p1']);
  assert.deepEqual(s.scalingPolicies('other'), []);
  // The group drops its scaling block: the policy goes.
  register(13, scaledJob(null));
  assert.equal(store.snapshot().scalingPolicyByID('p1'), null);
  assert.equal(store.snapshot().tableIndex('scaling_policy'), 13);
});

test('a policy without an ID, or one that belongs to another group, is refused and nothing is written', () => {
  const { store, register } = setup();
  assert.throws(() => register(10, scaledJob(policy(''))), (e: unknown) => e instanceof NomadError && /scaling policy supplied without ID/.test(e.message));
  assert.equal(store.snapshot().jobByID('default', 'web'), null);
  register(11, scaledJob(policy('p1')));
  const other = mockJob('db', { TaskGroups: [{ ...taskGroup('cache', 2), Scaling: policy('p1', { Target: { Namespace: 'default', Job: 'db', Group: 'cache' } }) }] });
  assert.throws(() => register(12, other), /belongs to web\/cache/);
});

test('scaling events are kept per group, newest first, at most 20, and go with a purged job; both survive a snapshot', () => {
  const { store, fsm, register } = setup();
  register(10, scaledJob(policy('p1')));
  for (let i = 1; i <= 22; i++) fsm.apply(10 + i, { Type: 'ScalingEventRegister', Namespace: 'default', JobID: 'web', TaskGroup: 'cache', ScalingEvent: event(i) });
  let events = store.snapshot().scalingEventsByJob('default', 'web')!;
  assert.equal(events.ScalingEvents.cache!.length, 20);
  assert.deepEqual(events.ScalingEvents.cache!.slice(0, 2).map((e) => [e.Count, e.CreateIndex]), [[22, 32], [21, 31]]);
  assert.equal(events.ModifyIndex, 32);
  assert.throws(() => fsm.apply(40, { Type: 'ScalingEventRegister', Namespace: 'default', JobID: 'nope', TaskGroup: 'cache', ScalingEvent: event(1) }), /not found/);

  const copy = new FSM(new StateStore());
  copy.restore(fsm.snapshot());
  const restored = copy.store.snapshot();
  assert.deepEqual(restored.scalingPolicyByID('p1'), store.snapshot().scalingPolicyByID('p1'));
  assert.deepEqual(restored.scalingEventsByJob('default', 'web'), events);
  assert.equal(restored.tableIndex('scaling_event'), 32);

  fsm.apply(41, { Type: 'JobDeregister', Namespace: 'default', JobID: 'web', Purge: true, Eval: null, SubmitTimeNs: T0_NS });
  const s = store.snapshot();
  assert.equal(s.scalingPolicyByID('p1'), null);
  events = s.scalingEventsByJob('default', 'web')!;
  assert.equal(events, null);
});
