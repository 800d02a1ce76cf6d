import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NomadError } from '../structs/errors.js';
import { FSM } from '../state/fsm.js';
import { StateStore } from '../state/store.js';
import { mockEval, mockJob, mockNode, T0_NS } from '../../test/unit/state-fixtures.js';
import { InMemoryConsensus } from './consensus-memory.js';

function setup(options = {}): { store: StateStore; consensus: InMemoryConsensus } {
  const store = new StateStore({ freezeObjects: true });
  const consensus = new InMemoryConsensus(new FSM(store), options);
  return { store, consensus };
}

test('becomes leader asynchronously after construction, and tells late listeners too', async () => {
  const { consensus } = setup();
  assert.equal(consensus.isLeader(), false);
  const first = new Promise<boolean>((resolve) => consensus.onLeadershipChange(resolve));
  assert.equal(await first, true);
  assert.equal(consensus.isLeader(), true);
  assert.equal(consensus.leaderAddr(), '127.0.0.1:4647');
  const late = new Promise<boolean>((resolve) => consensus.onLeadershipChange(resolve));
  assert.equal(await late, true);
  const lost = new Promise<boolean>((resolve) => consensus.onLeadershipChange((l) => (l ? undefined : resolve(l))));
  await consensus.shutdown();
  assert.equal(await lost, false);
  assert.equal(consensus.stats().state, 'Shutdown');
});

test('entries get increasing indexes from 1 and resolve with the FSM result', async () => {
  const { store, consensus } = setup();
  const r1 = await consensus.apply({ Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  assert.equal(r1.index, 1);
  const r2 = await consensus.apply({ Type: 'JobRegister', Job: mockJob(), Eval: mockEval('e1', 'example'), SubmitTimeNs: T0_NS });
  assert.deepEqual(r2, { index: 2, result: { JobModifyIndex: 2, Version: 0, EvalID: 'e1' } });
  assert.equal(store.latestIndex(), 2);
  assert.equal(await consensus.barrier(), 2);
  const stats = consensus.stats();
  assert.equal(stats.appliedIndex, 2);
  assert.equal(stats.lastLogIndex, 2);
  assert.equal(stats.configuration.length, 1);
  await consensus.shutdown();
});

test('entries proposed in the same tick are applied in one pass, in order', async () => {
  const { store, consensus } = setup();
  const all = Array.from({ length: 100 }, (_, i) => consensus.apply({ Type: 'NodeRegister', Node: mockNode(`n${String(i).padStart(3, '0')}`), TimestampNs: T0_NS }));
  const results = await Promise.all(all);
  assert.deepEqual(results.map((r) => r.index), Array.from({ length: 100 }, (_, i) => i + 1));
  assert.equal(store.snapshot().nodes().length, 100);
  await consensus.shutdown();
});

test('an entry the FSM refuses rejects with its error and leaves the store unchanged', async () => {
  const { store, consensus } = setup();
  await consensus.apply({ Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  const before = store.snapshot();
  await assert.rejects(
    consensus.apply({ Type: 'NodeDeregister', NodeIDs: ['n1', 'ghost'] }),
    (err: unknown) => err instanceof NomadError && err.kind === 'not_found',
  );
  assert.equal(store.snapshot().tables, before.tables);
  // The log moves on.
  const r = await consensus.apply({ Type: 'NodeDeregister', NodeIDs: ['n1'] });
  assert.equal(r.index, 3);
  await consensus.shutdown();
});

test('a caller mutating its entry after proposing it cannot reach the state', async () => {
  const { store, consensus } = setup();
  const node = mockNode('n1');
  const pending = consensus.apply({ Type: 'NodeRegister', Node: node, TimestampNs: T0_NS });
  node.Name = 'mutated';
  await pending;
  assert.equal(store.snapshot().nodeByID('n1')!.Name, 'node-n1');
  await consensus.shutdown();
});

test('an entry that is not plain data reaches the FSM as msgpack gives it back', async () => {
  const { store, consensus } = setup();
  const node = mockNode('n1');
  (node as unknown as { Meta: unknown }).Meta = new Map([['rack', 'r1']]);
  await consensus.apply({ Type: 'NodeRegister', Node: node, TimestampNs: T0_NS });
  assert.deepEqual(store.snapshot().nodeByID('n1')!.Meta, { rack: 'r1' });
  await consensus.shutdown();
});

test('the log stays bounded: it is compacted behind a snapshot', async () => {
  const { store, consensus } = setup({ compactThresholdEntries: 32 });
  for (let i = 0; i < 100; i++) await consensus.apply({ Type: 'NodeRegister', Node: mockNode(`n${i}`), TimestampNs: T0_NS });
  assert.ok(consensus.logLength() <= 32, `log length ${consensus.logLength()}`);
  const snap = consensus.latestSnapshot()!;
  assert.ok(snap.index > 0 && snap.index <= 100);
  const restored = new StateStore();
  new FSM(restored).restore(snap.data);
  assert.equal(restored.latestIndex(), snap.index);
  assert.equal(restored.snapshot().nodes().length, snap.index);
  assert.equal(store.snapshot().nodes().length, 100);
  await consensus.shutdown();
});

test('after shutdown, proposals are refused with no_leader; proposals made before are applied', async () => {
  const { store, consensus } = setup();
  const before = consensus.apply({ Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  await consensus.shutdown();
  assert.equal((await before).index, 1);
  assert.equal(store.latestIndex(), 1);
  await assert.rejects(consensus.apply({ Type: 'NodeDeregister', NodeIDs: ['n1'] }), (err: unknown) => err instanceof NomadError && err.kind === 'no_leader');
});

test('back-pressure: proposals beyond the bound are refused as unavailable', async () => {
  const { consensus } = setup({ maxPendingEntries: 2 });
  const ok = [0, 1].map((i) => consensus.apply({ Type: 'NodeRegister', Node: mockNode(`n${i}`), TimestampNs: T0_NS }));
  await assert.rejects(consensus.apply({ Type: 'NodeRegister', Node: mockNode('n9'), TimestampNs: T0_NS }), (err: unknown) => err instanceof NomadError && err.kind === 'unavailable');
  await Promise.all(ok);
  await consensus.shutdown();
});
