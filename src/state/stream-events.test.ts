import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FSM } from './fsm.js';
import { StateStore } from './store.js';
import { eventMatches, type EventBatch, type EventFilter, type EventTopic } from './stream-events.js';
import { mockAlloc, mockEval, mockJob, mockNode, mockPlanApply, T0_NS } from '../../test/unit/state-fixtures.js';

function setup(): { store: StateStore; fsm: FSM; batches: EventBatch[]; resets: number[] } {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  const batches: EventBatch[] = [];
  const resets: number[] = [];
  fsm.onEvents({ publish: (b) => batches.push(b), reset: (i) => resets.push(i) });
  return { store, fsm, batches, resets };
}

const summary = (b: EventBatch): string[] => b.Events.map((e) => `${e.Topic}/${e.Type}/${e.Key}`);

test('a job registration publishes its job and its evaluation as JobRegistered at the entry index', () => {
  const { fsm, batches } = setup();
  const job = mockJob();
  fsm.apply(7, { Type: 'JobRegister', Job: job, Eval: mockEval('ev1'), SubmitTimeNs: T0_NS });
  assert.equal(batches.length, 1);
  assert.equal(batches[0]!.Index, 7);
  assert.deepEqual(summary(batches[0]!), ['Job/JobRegistered/example', 'Evaluation/JobRegistered/ev1']);
  const jobEvent = batches[0]!.Events[0]!;
  assert.equal(jobEvent.Namespace, 'default');
  assert.equal(jobEvent.Index, 7);
  assert.equal(jobEvent.object.table, 'jobs');
  // The payload is the stored job itself, with the indexes the FSM gave it.
  assert.equal((jobEvent.object.value as { JobModifyIndex: number }).JobModifyIndex, 7);
  assert.deepEqual(batches[0]!.Events[1]!.FilterKeys, ['example', '']);
});

test('a plan result publishes each placed allocation once, and the job whose status it changed', () => {
  const { fsm, batches } = setup();
  const job = mockJob();
  fsm.apply(5, { Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  fsm.apply(6, { Type: 'JobRegister', Job: job, Eval: mockEval('ev1'), SubmitTimeNs: T0_NS });
  batches.length = 0;
  fsm.apply(8, mockPlanApply(job, { EvalID: 'ev1', AllocsUpdated: [mockAlloc('a1', 'n1', { DeploymentID: 'd1' }), mockAlloc('a2', 'n1')] }));
  assert.equal(batches.length, 1);
  const names = summary(batches[0]!);
  assert.deepEqual(names.filter((n) => n.startsWith('Allocation/')), ['Allocation/PlanResult/a1', 'Allocation/PlanResult/a2']);
  assert.ok(names.includes('Job/PlanResult/example'), names.join(', '));
  const a1 = batches[0]!.Events.find((e) => e.Key === 'a1')!;
  assert.deepEqual(a1.FilterKeys, ['example', 'd1']);
});

test('nodes: registration, status, drain and removal each have their type; a removed node is still told about', () => {
  const { fsm, batches } = setup();
  fsm.apply(1, { Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  fsm.apply(2, { Type: 'NodeUpdateStatus', NodeID: 'n1', Status: 'down', Event: null, Evals: [], TimestampNs: T0_NS });
  fsm.apply(3, { Type: 'NodeUpdateEligibility', NodeID: 'n1', Eligibility: 'ineligible', Event: null, Evals: [] });
  fsm.apply(4, { Type: 'NodeDeregister', NodeIDs: ['n1'] });
  assert.deepEqual(batches.map(summary), [['Node/NodeRegistration/n1'], ['Node/NodeStreamEvent/n1'], ['Node/NodeDrain/n1'], ['Node/NodeDeregistration/n1']]);
  assert.equal(batches[3]!.Events[0]!.Namespace, '');
});

test('entries Nomad publishes nothing for, and failed entries, publish nothing; a restore resets the sinks', () => {
  const { fsm, batches, resets } = setup();
  fsm.apply(1, { Type: 'SchedulerConfig', Config: { SchedulerAlgorithm: 'spread', MemoryOversubscriptionEnabled: false, RejectJobRegistration: false, PreemptionConfig: { SystemSchedulerEnabled: true, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: false }, CreateIndex: 0, ModifyIndex: 0 } });
  assert.throws(() => fsm.apply(2, { Type: 'NodeUpdateStatus', NodeID: 'missing', Status: 'down', Event: null, Evals: [], TimestampNs: T0_NS }));
  assert.equal(batches.length, 0);
  fsm.restore(fsm.snapshot());
  assert.deepEqual(resets, [1]);
});

test('without a sink, the FSM records no changes (and publishes nothing)', () => {
  const store = new StateStore();
  const fsm = new FSM(store);
  const batches: EventBatch[] = [];
  const stop = fsm.onEvents({ publish: (b) => batches.push(b), reset: () => {} });
  stop();
  fsm.apply(1, { Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  assert.equal(batches.length, 0);
});

function filter(topics: Array<[EventTopic, string[]]>, namespace = 'default'): EventFilter {
  return { topics: new Map(topics), namespace };
}

test('filters: topic and key (or a filter key), "*" for every topic or key, the namespace, and NodeDrain', () => {
  const { fsm, batches } = setup();
  fsm.apply(1, { Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  fsm.apply(2, { Type: 'JobRegister', Job: mockJob('web'), Eval: mockEval('ev1', 'web'), SubmitTimeNs: T0_NS });
  fsm.apply(3, { Type: 'JobRegister', Job: mockJob('db', { Namespace: 'other' }), Eval: mockEval('ev2', 'db', { Namespace: 'other' }), SubmitTimeNs: T0_NS });
  fsm.apply(4, { Type: 'NodeUpdateEligibility', NodeID: 'n1', Eligibility: 'ineligible', Event: null, Evals: [] });
  const all = batches.flatMap((b) => b.Events);
  const keys = (f: EventFilter): string[] => all.filter((e) => eventMatches(f, e)).map((e) => `${e.Topic}:${e.Key}`);
  assert.deepEqual(keys(filter([['*', ['*']]])), ['Node:n1', 'Job:web', 'Evaluation:ev1', 'Node:n1']);
  assert.deepEqual(keys(filter([['*', ['*']]], '*')), ['Node:n1', 'Job:web', 'Evaluation:ev1', 'Job:db', 'Evaluation:ev2', 'Node:n1']);
  assert.deepEqual(keys(filter([['Job', ['web']]])), ['Job:web']);
  // An evaluation is found by its job's ID too.
  assert.deepEqual(keys(filter([['Evaluation', ['web']]])), ['Evaluation:ev1']);
  assert.deepEqual(keys(filter([['Job', ['nope']]])), []);
  assert.deepEqual(keys(filter([['NodeDrain', ['*']]])), ['Node:n1']);
  assert.equal(all.filter((e) => eventMatches(filter([['NodeDrain', ['*']]]), e))[0]!.Type, 'NodeDrain');
});
