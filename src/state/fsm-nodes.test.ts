import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NomadError } from '../structs/errors.js';
import { FSM } from './fsm.js';
import { StateStore } from './store.js';
import { mockEval, mockNode, T0_NS } from '../../test/unit/state-fixtures.js';

const REGISTERED_NS = 1_795_282_702_000_000_000;

function event(message: string) {
  return { Message: message, Subsystem: 'Cluster', Details: null, Timestamp: '2026-11-21T17:38:30Z', CreateIndex: 0 };
}

test('node registration records an event once, keeps CreateIndex and the operator decisions', () => {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  fsm.apply(7, { Type: 'NodeRegister', Node: mockNode('n1', { Status: 'initializing' }), TimestampNs: REGISTERED_NS });
  let n = store.snapshot().nodeByID('n1')!;
  assert.equal(n.CreateIndex, 7);
  assert.equal(n.StatusUpdatedAt, 1_795_282_702);
  assert.deepEqual(n.Events, [{ Message: 'Node registered', Subsystem: 'Cluster', Details: null, Timestamp: '2026-11-21T17:38:22Z', CreateIndex: 0 }]);
  fsm.apply(8, { Type: 'NodeUpdateEligibility', NodeID: 'n1', Eligibility: 'ineligible', Event: null, Evals: [] });
  fsm.apply(9, { Type: 'NodeRegister', Node: mockNode('n1', { Status: 'ready', Name: 'renamed' }), TimestampNs: REGISTERED_NS + 1e9 });
  n = store.snapshot().nodeByID('n1')!;
  assert.equal(n.CreateIndex, 7);
  assert.equal(n.ModifyIndex, 9);
  assert.equal(n.Name, 'renamed');
  assert.equal(n.SchedulingEligibility, 'ineligible', 'a client cannot undo an operator decision by registering');
  assert.equal(n.Events!.length, 1);
  assert.equal(store.snapshot().tableIndex('nodes'), 9);
});

test('status updates stamp the time, append bounded events and create evaluations', () => {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  fsm.apply(1, { Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: REGISTERED_NS });
  for (let i = 0; i < 12; i++) {
    fsm.apply(2 + i, { Type: 'NodeUpdateStatus', NodeID: 'n1', Status: i % 2 === 0 ? 'down' : 'ready', Event: event(`event ${i}`), Evals: [], TimestampNs: REGISTERED_NS + i * 1e9 });
  }
  fsm.apply(20, { Type: 'NodeUpdateStatus', NodeID: 'n1', Status: 'down', Event: null, Evals: [mockEval('e-node', 'example', { TriggeredBy: 'node-update', NodeID: 'n1' })], TimestampNs: REGISTERED_NS + 60e9 });
  const n = store.snapshot().nodeByID('n1')!;
  assert.equal(n.Status, 'down');
  assert.equal(n.StatusUpdatedAt, 1_795_282_762);
  assert.equal(n.Events!.length, 10);
  assert.equal(n.Events![9]!.Message, 'event 11');
  assert.equal(n.Events![9]!.CreateIndex, 13);
  assert.equal(store.snapshot().evalByID('e-node')!.CreateIndex, 20);
  // Coming back from down is recorded.
  fsm.apply(21, { Type: 'NodeRegister', Node: mockNode('n1', { Status: 'ready' }), TimestampNs: T0_NS });
  assert.equal(store.snapshot().nodeByID('n1')!.Events!.at(-1)!.Message, 'Node re-registered');
});

test('drain makes a node ineligible; eligibility cannot be restored while draining', () => {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  fsm.apply(1, { Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: REGISTERED_NS });
  const strategy = { Deadline: 3600e9, IgnoreSystemJobs: false, ForceDeadline: '2026-11-21T18:38:22Z', StartedAt: '2026-11-21T17:38:22Z' };
  fsm.apply(2, { Type: 'NodeUpdateDrain', NodeID: 'n1', DrainStrategy: strategy, MarkEligible: false, Event: event('Node drain strategy set') });
  let n = store.snapshot().nodeByID('n1')!;
  assert.equal(n.Drain, true);
  assert.equal(n.SchedulingEligibility, 'ineligible');
  assert.throws(
    () => fsm.apply(3, { Type: 'NodeUpdateEligibility', NodeID: 'n1', Eligibility: 'eligible', Event: null, Evals: [] }),
    (err: unknown) => err instanceof NomadError && err.kind === 'bad_request' && /while it is draining/.test(err.message),
  );
  fsm.apply(4, { Type: 'NodeUpdateDrain', NodeID: 'n1', DrainStrategy: null, MarkEligible: true, Event: null });
  n = store.snapshot().nodeByID('n1')!;
  assert.equal(n.Drain, false);
  assert.equal(n.DrainStrategy, null);
  assert.equal(n.SchedulingEligibility, 'eligible');
  assert.equal(n.ModifyIndex, 4);
});

test('deregistration removes nodes; unknown nodes are errors that change nothing', () => {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  fsm.apply(1, { Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: REGISTERED_NS });
  fsm.apply(2, { Type: 'NodeRegister', Node: mockNode('n2'), TimestampNs: REGISTERED_NS });
  assert.throws(() => fsm.apply(3, { Type: 'NodeDeregister', NodeIDs: ['n1', 'ghost'] }), (err: unknown) => err instanceof NomadError && err.kind === 'not_found');
  assert.equal(store.snapshot().nodes().length, 2);
  fsm.apply(4, { Type: 'NodeDeregister', NodeIDs: ['n1'] });
  assert.deepEqual(store.snapshot().nodes().map((x) => x.ID), ['n2']);
  assert.deepEqual(store.snapshot().nodesByIDPrefix('n'), store.snapshot().nodes());
  assert.throws(() => fsm.apply(5, { Type: 'NodeUpdateStatus', NodeID: 'ghost', Status: 'down', Event: null, Evals: [], TimestampNs: 1 }), /node not found: ghost/);
});

test('scheduler configuration keeps its CreateIndex', () => {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  assert.equal(store.snapshot().schedulerConfig().PreemptionConfig.SystemSchedulerEnabled, true);
  const config = { ...store.snapshot().schedulerConfig(), SchedulerAlgorithm: 'spread' as const };
  fsm.apply(5, { Type: 'SchedulerConfig', Config: config });
  fsm.apply(6, { Type: 'SchedulerConfig', Config: { ...config, MemoryOversubscriptionEnabled: true } });
  const c = store.snapshot().schedulerConfig();
  assert.equal(c.SchedulerAlgorithm, 'spread');
  assert.equal(c.MemoryOversubscriptionEnabled, true);
  assert.equal(c.CreateIndex, 5);
  assert.equal(c.ModifyIndex, 6);
  assert.equal(store.snapshot().tableIndex('scheduler_config'), 6);
});
