import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Allocation } from '../structs/alloc.js';
import type { Job } from '../structs/job.js';
import { FSM } from './fsm.js';
import type { PlanApplyEntry } from './log-entries.js';
import { LIVE_ALLOC_CHANGES_KEPT, type LiveAllocChanges } from './reader.js';
import { StateStore } from './store.js';
import { mockAlloc, mockEval, mockJob, mockPlanApply, mockNode, T0_NS, taskGroup } from '../../test/unit/state-fixtures.js';

const PLACED_NS = T0_NS + 1_000_000_000;

interface Cluster {
  store: StateStore;
  fsm: FSM;
  job: Job;
  /** The next free log index. */
  index: number;
}

/** Nodes A, B and C, and job "example" registered with its evaluation; no allocations yet. */
function setup(): Cluster {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  let index = 1;
  for (const id of ['node-a', 'node-b', 'node-c']) fsm.apply(index++, { Type: 'NodeRegister', Node: mockNode(id), TimestampNs: T0_NS });
  fsm.apply(index++, {
    Type: 'JobRegister',
    Job: mockJob('example', { TaskGroups: [taskGroup('cache', 10)] }),
    Eval: mockEval('eval-1', 'example'),
    SubmitTimeNs: T0_NS,
  });
  return { store, fsm, job: store.snapshot().jobByID('default', 'example')!, index };
}

function plan(c: Cluster, over: Partial<PlanApplyEntry>): PlanApplyEntry {
  return mockPlanApply(c.job, { EvalID: 'eval-1', TimestampNs: PLACED_NS, ...over });
}

function place(c: Cluster, allocs: Allocation[]): void {
  c.fsm.apply(c.index++, plan(c, { AllocsUpdated: allocs }));
}

function head(c: Cluster): LiveAllocChanges | null {
  return c.store.snapshot().liveAllocChanges();
}

function named(e: LiveAllocChanges | null): string[] {
  assert.ok(e !== null, 'expected a change entry');
  return [...e.nodeIds].sort();
}

function clientUpdate(c: Cluster, id: string, status: Allocation['ClientStatus']): void {
  c.fsm.apply(c.index++, {
    Type: 'AllocClientUpdate',
    Updates: [{ ID: id, ClientStatus: status, ClientDescription: '', TaskStates: {}, DeploymentStatus: null }],
    Evals: [],
    TimestampNs: PLACED_NS,
  });
}

test('a store with no allocation writes has no change chain', () => {
  const c = setup();
  assert.equal(head(c), null);
});

test('a write placing allocations on two nodes names exactly those nodes, linked to the earlier head', () => {
  const c = setup();
  place(c, [mockAlloc('a1', 'node-a')]);
  const first = head(c);
  assert.deepEqual(named(first), ['node-a']);
  assert.equal(first!.prev, null);
  assert.equal(first!.depth, 1);

  place(c, [mockAlloc('a2', 'node-a'), mockAlloc('a3', 'node-b'), mockAlloc('a4', 'node-b')]);
  const second = head(c);
  assert.notEqual(second, first);
  assert.deepEqual(named(second), ['node-a', 'node-b'], 'each node once, node-c not named');
  assert.equal(second!.prev, first);
  assert.equal(second!.depth, 2);
});

test('writes that touch only evaluations, jobs or nodes leave the chain head the same object', () => {
  const c = setup();
  place(c, [mockAlloc('a1', 'node-a')]);
  const h = head(c);
  assert.ok(h !== null);

  c.fsm.apply(c.index++, { Type: 'EvalUpsert', Evals: [mockEval('eval-2', 'example')] });
  assert.equal(head(c), h, 'after EvalUpsert');
  c.fsm.apply(c.index++, { Type: 'JobRegister', Job: mockJob('other'), Eval: mockEval('eval-3', 'other'), SubmitTimeNs: T0_NS });
  assert.equal(head(c), h, 'after JobRegister of another job');
  c.fsm.apply(c.index++, { Type: 'JobRegister', Job: mockJob('example', { TaskGroups: [taskGroup('cache', 4)] }), Eval: null, SubmitTimeNs: T0_NS });
  assert.equal(head(c), h, 'after a new version of the job that has allocations');
  c.fsm.apply(c.index++, { Type: 'NodeUpdateEligibility', NodeID: 'node-b', Eligibility: 'ineligible', Event: null, Evals: [] });
  assert.equal(head(c), h, 'after a node change');
  // The writes did commit: the store moved on while the chain did not.
  const s = c.store.snapshot();
  assert.equal(s.evalByID('eval-2')!.ID, 'eval-2');
  assert.equal(s.jobByID('default', 'other')!.ID, 'other');
  assert.equal(s.nodeByID('node-b')!.SchedulingEligibility, 'ineligible');
  assert.equal(s.tableIndex('nodes'), c.index - 1);
});

test('stopping an allocation, by plan or by client, names its node', () => {
  const c = setup();
  place(c, [mockAlloc('a1', 'node-a'), mockAlloc('a2', 'node-b'), mockAlloc('a3', 'node-c')]);
  const placed = head(c);

  // Desired stop through a plan.
  c.fsm.apply(c.index++, plan(c, { AllocsStopped: [{ ID: 'a2', DesiredStatus: 'stop', DesiredDescription: 'alloc not needed' }] }));
  const stopped = head(c);
  assert.deepEqual(named(stopped), ['node-b']);
  assert.equal(stopped!.prev, placed);
  assert.equal(c.store.snapshot().allocsByNodeNonTerminal('node-b').length, 0);

  // Terminal by the client.
  clientUpdate(c, 'a3', 'complete');
  const completed = head(c);
  assert.deepEqual(named(completed), ['node-c']);
  assert.equal(completed!.prev, stopped);
  assert.equal(c.store.snapshot().allocsByNodeNonTerminal('node-c').length, 0);

  // An allocation already terminal that changes again changes no node's live list.
  clientUpdate(c, 'a2', 'complete');
  assert.equal(head(c), completed, 'terminal to terminal is no live change');
  assert.equal(c.store.snapshot().allocByID('a2')!.ClientStatus, 'complete', 'the update was applied');

  // Garbage collection of a terminal allocation is no live change either; of a live one it is.
  c.fsm.apply(c.index++, { Type: 'EvalDelete', EvalIDs: [], AllocIDs: ['a2'] });
  assert.equal(head(c), completed);
  assert.equal(c.store.snapshot().allocByID('a2'), null);
  c.fsm.apply(c.index++, { Type: 'EvalDelete', EvalIDs: [], AllocIDs: ['a1'] });
  assert.deepEqual(named(head(c)), ['node-a']);
  assert.equal(head(c)!.prev, completed);
});

test('a snapshot taken before a write keeps its old head', () => {
  const c = setup();
  place(c, [mockAlloc('a1', 'node-a')]);
  const before = c.store.snapshot();
  const oldHead = before.liveAllocChanges();
  const oldList = before.allocsByNodeNonTerminal('node-a');
  place(c, [mockAlloc('a2', 'node-a')]);
  assert.equal(before.liveAllocChanges(), oldHead);
  assert.deepEqual(oldList.map((a) => a.ID), ['a1']);
  assert.deepEqual(before.allocsByNodeNonTerminal('node-a').map((a) => a.ID), ['a1']);
  const after = c.store.snapshot();
  assert.notEqual(after.liveAllocChanges(), oldHead);
  assert.equal(after.liveAllocChanges()!.prev, oldHead);
  assert.deepEqual(after.allocsByNodeNonTerminal('node-a').map((a) => a.ID), ['a1', 'a2']);
});

test(`the chain is cut after ${LIVE_ALLOC_CHANGES_KEPT} entries`, () => {
  const c = setup();
  const writes = LIVE_ALLOC_CHANGES_KEPT + 44;
  const heads: LiveAllocChanges[] = [];
  for (let i = 0; i < writes; i++) {
    const node = ['node-a', 'node-b', 'node-c'][i % 3]!;
    place(c, [mockAlloc(`alloc-${String(i).padStart(4, '0')}`, node)]);
    const h = head(c)!;
    assert.deepEqual(named(h), [node]);
    heads.push(h);
  }
  const h = heads.at(-1)!;
  assert.ok(h.depth <= LIVE_ALLOC_CHANGES_KEPT);
  assert.equal(h.depth, ((writes - 1) % LIVE_ALLOC_CHANGES_KEPT) + 1);
  // Walking back reaches null within the kept length, and the depth counts the walk exactly.
  let steps = 0;
  for (let e: LiveAllocChanges | null = h; e !== null; e = e.prev) {
    steps++;
    assert.ok(steps <= LIVE_ALLOC_CHANGES_KEPT, 'walk longer than the kept length');
  }
  assert.equal(steps, h.depth);
  // The entry that filled the chain has the full depth, and the next one starts a new chain.
  const full = heads[LIVE_ALLOC_CHANGES_KEPT - 1]!;
  assert.equal(full.depth, LIVE_ALLOC_CHANGES_KEPT);
  assert.equal(heads[LIVE_ALLOC_CHANGES_KEPT]!.prev, null);
  assert.equal(heads[LIVE_ALLOC_CHANGES_KEPT]!.depth, 1);
  // Every entry's depth matches its own walk, none beyond the bound.
  for (const e of heads) {
    let n = 0;
    for (let x: LiveAllocChanges | null = e; x !== null; x = x.prev) n++;
    assert.equal(n, e.depth);
    assert.ok(e.depth >= 1 && e.depth <= LIVE_ALLOC_CHANGES_KEPT);
  }
});

test('allocsByNodeNonTerminal is the same frozen array across snapshots until that node changes', () => {
  const c = setup();
  place(c, [mockAlloc('a1', 'node-a'), mockAlloc('b1', 'node-b')]);
  const s1 = c.store.snapshot();
  const a1 = s1.allocsByNodeNonTerminal('node-a');
  const b1 = s1.allocsByNodeNonTerminal('node-b');
  assert.ok(Object.isFrozen(a1));
  assert.ok(Object.isFrozen(b1));
  assert.equal(s1.allocsByNodeNonTerminal('node-a'), a1, 'same answer twice from one snapshot');
  // A node without allocations: a frozen empty list.
  const none = s1.allocsByNodeNonTerminal('node-c');
  assert.equal(none.length, 0);
  assert.ok(Object.isFrozen(none));

  // Only node-b changes.
  place(c, [mockAlloc('b2', 'node-b')]);
  const s2 = c.store.snapshot();
  assert.equal(s2.allocsByNodeNonTerminal('node-a'), a1, 'node-a unchanged: same array');
  const b2 = s2.allocsByNodeNonTerminal('node-b');
  assert.notEqual(b2, b1, 'node-b changed: another array');
  assert.ok(Object.isFrozen(b2));
  assert.deepEqual(b2.map((a) => a.ID), ['b1', 'b2']);
  assert.deepEqual(b1.map((a) => a.ID), ['b1'], 'the earlier array is untouched');

  // Writes that change no allocation keep both arrays.
  c.fsm.apply(c.index++, { Type: 'EvalUpsert', Evals: [mockEval('eval-9', 'example')] });
  const s3 = c.store.snapshot();
  assert.equal(s3.allocsByNodeNonTerminal('node-a'), a1);
  assert.equal(s3.allocsByNodeNonTerminal('node-b'), b2);

  // Stopping node-a's allocation changes node-a's list only.
  clientUpdate(c, 'a1', 'failed');
  const s4 = c.store.snapshot();
  assert.notEqual(s4.allocsByNodeNonTerminal('node-a'), a1);
  assert.equal(s4.allocsByNodeNonTerminal('node-a').length, 0);
  assert.equal(s4.allocsByNodeNonTerminal('node-b'), b2);
});

test('nodes() is the same frozen array while no node changes', () => {
  const c = setup();
  const s1 = c.store.snapshot();
  const n1 = s1.nodes();
  assert.ok(Object.isFrozen(n1));
  assert.deepEqual(n1.map((n) => n.ID), ['node-a', 'node-b', 'node-c']);
  assert.equal(s1.nodes(), n1);

  place(c, [mockAlloc('a1', 'node-a')]);
  c.fsm.apply(c.index++, { Type: 'EvalUpsert', Evals: [mockEval('eval-2', 'example')] });
  clientUpdate(c, 'a1', 'running');
  assert.equal(c.store.snapshot().nodes(), n1, 'allocation and evaluation writes keep the node list');

  c.fsm.apply(c.index++, { Type: 'NodeUpdateEligibility', NodeID: 'node-b', Eligibility: 'ineligible', Event: null, Evals: [] });
  const n2 = c.store.snapshot().nodes();
  assert.notEqual(n2, n1, 'a changed node gives a new list');
  assert.ok(Object.isFrozen(n2));
  assert.equal(n2[1]!.SchedulingEligibility, 'ineligible');
  assert.equal(n1[1]!.SchedulingEligibility, 'eligible', 'the old list still shows the old node');
  assert.equal(n2[0], n1[0], 'unchanged nodes are the same objects');

  c.fsm.apply(c.index++, { Type: 'NodeRegister', Node: mockNode('node-d'), TimestampNs: T0_NS });
  const n3 = c.store.snapshot().nodes();
  assert.notEqual(n3, n2);
  assert.deepEqual(n3.map((n) => n.ID), ['node-a', 'node-b', 'node-c', 'node-d']);
  assert.equal(c.store.snapshot().nodes(), n3);
});
