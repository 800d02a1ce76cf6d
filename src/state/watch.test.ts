// Keyed blocking waits: a waiter wakes for writes to what it watches and for nothing else, the
// wake-ups of one write come after the writer's own turn and a bounded number per turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateStore } from './store.js';
import { KeyIndexes } from './key-indexes.js';
import { watchKey } from './watch-keys.js';
import { mockAlloc, mockEval, mockJob, mockNode } from '../../test/unit/state-fixtures.js';

/** A store whose wake-up turns the test runs by hand. */
function manualStore(wakesPerTurn = 16): { store: StateStore; turns: Array<() => void>; runTurn: () => Promise<void> } {
  const turns: Array<() => void> = [];
  const store = new StateStore({ watchers: { wakesPerTurn, schedule: (fn) => turns.push(fn) } });
  const runTurn = async (): Promise<void> => {
    const turn = turns.shift();
    assert.ok(turn !== undefined, 'no wake-up turn is scheduled');
    turn();
    // Let the woken waiters' promise callbacks run.
    await new Promise<void>((r) => setImmediate(r));
  };
  return { store, turns, runTurn };
}

function seed(store: StateStore): void {
  store.write(1, (txn) => {
    txn.putNode(mockNode('node-1'));
    txn.putNode(mockNode('node-2'));
    txn.putJob(mockJob('a', { CreateIndex: 1, ModifyIndex: 1 }));
    txn.putJob(mockJob('b', { CreateIndex: 1, ModifyIndex: 1 }));
  });
}

function alloc(id: string, jobId: string, nodeId: string, index: number) {
  return mockAlloc(id, nodeId, { JobID: jobId, Job: mockJob(jobId, { CreateIndex: 1 }), CreateIndex: index, ModifyIndex: index });
}

test('a waiter on one job\'s allocations is not woken by another job\'s, and is by its own', async () => {
  const { store, turns, runTurn } = manualStore();
  seed(store);
  const woken: string[] = [];
  const a = store.waitForKeys([watchKey.jobAllocs('default', 'a')], 1, 60_000).then(() => woken.push('a'));
  const b = store.waitForKeys([watchKey.jobAllocs('default', 'b')], 1, 60_000).then(() => woken.push('b'));
  const nodeWaiter = store.waitForKeys([watchKey.nodeAllocs('node-2')], 1, 60_000).then(() => woken.push('node-2'));
  assert.equal(store.waiterCount(), 3);

  store.write(2, (txn) => txn.putAlloc(alloc('b1', 'b', 'node-1', 2)));
  assert.equal(turns.length, 1, 'the write queued its watchers for a later turn');
  assert.deepEqual(woken, [], 'no waiter runs in the writer\'s own turn');
  await runTurn();
  assert.deepEqual(woken, ['b']);
  assert.equal(store.keysIndex([watchKey.jobAllocs('default', 'a')]), 0);
  assert.equal(store.keysIndex([watchKey.jobAllocs('default', 'b')]), 2);
  assert.equal(store.keysIndex([watchKey.nodeAllocs('node-1')]), 2);

  store.write(3, (txn) => txn.putAlloc(alloc('a1', 'a', 'node-2', 3)));
  await runTurn();
  await Promise.all([a, b, nodeWaiter]);
  assert.deepEqual(woken.sort(), ['a', 'b', 'node-2']);
  assert.equal(store.waiterCount(), 0);
  assert.equal(turns.length, 0);
});

test('a wait answers at once when its key changed after the caller\'s index, whatever the rest of the state did', async () => {
  const { store } = manualStore();
  seed(store);
  store.write(2, (txn) => txn.putAlloc(alloc('a1', 'a', 'node-1', 2)));
  store.write(3, (txn) => txn.putAlloc(alloc('b1', 'b', 'node-1', 3)));
  // Changed at 2, after the caller's 1: at once.
  assert.equal(await store.waitForKeys([watchKey.jobAllocs('default', 'a')], 1, 60_000), 3);
  // The caller has seen index 2: job a's allocations have not changed since, so it waits,
  // although the table changed at 3 (until the caller goes away, here).
  const gone = new AbortController();
  let answered = false;
  const wait = store.waitForKeys([watchKey.jobAllocs('default', 'a')], 2, 60_000, gone.signal).then(() => (answered = true));
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(answered, false);
  assert.equal(store.waiterCount(), 1);
  gone.abort();
  await wait;
  assert.equal(store.waiterCount(), 0);
});

test('one write wakes its watchers a bounded number per turn', async () => {
  const { store, turns, runTurn } = manualStore(2);
  seed(store);
  let woken = 0;
  const waits = Array.from({ length: 5 }, () => store.waitForKeys([watchKey.table('jobs')], 1, 60_000).then(() => woken++));
  store.write(2, (txn) => txn.putJob(mockJob('c', { CreateIndex: 2, ModifyIndex: 2 })));
  await runTurn();
  assert.equal(woken, 2);
  await runTurn();
  assert.equal(woken, 4);
  await runTurn();
  assert.equal(woken, 5);
  assert.equal(turns.length, 0);
  await Promise.all(waits);
});

test('objects and owners are keys of their own: an eval, a node, a summary, a job and its evals', async () => {
  const { store, runTurn } = manualStore();
  seed(store);
  const woken: string[] = [];
  const watch = (name: string, key: ReturnType<typeof watchKey.job>) => store.waitForKeys([key], 1, 60_000).then(() => woken.push(name));
  const waits = [
    watch('eval-1', watchKey.eval('eval-1')),
    watch('eval-2', watchKey.eval('eval-2')),
    watch('evals of a', watchKey.jobEvals('default', 'a')),
    watch('evals of b', watchKey.jobEvals('default', 'b')),
    watch('job b', watchKey.job('default', 'b')),
    watch('node-2', watchKey.node('node-2')),
  ];
  store.write(2, (txn) => txn.putEval(mockEval('eval-1', 'a')));
  await runTurn();
  assert.deepEqual(woken, ['eval-1', 'evals of a']);
  store.write(3, (txn) => {
    txn.putEval(mockEval('eval-2', 'b'));
    txn.putJob(mockJob('b', { CreateIndex: 1, ModifyIndex: 3 }));
    txn.putNode(mockNode('node-2'));
  });
  await runTurn();
  await Promise.all(waits);
  assert.deepEqual(woken.slice(2).sort(), ['eval-2', 'evals of b', 'job b', 'node-2']);
});

test('a job created again under the same ID changes which of its allocations a list shows', () => {
  const { store } = manualStore();
  seed(store);
  const key = watchKey.jobAllocs('default', 'a');
  assert.equal(store.keysIndex([key]), 0, 'creating a job without allocations leaves its (empty) list alone');
  store.write(2, (txn) => txn.putAlloc(alloc('a1', 'a', 'node-1', 2)));
  store.write(3, (txn) => txn.putJob(mockJob('a', { CreateIndex: 1, ModifyIndex: 3 })));
  assert.equal(store.keysIndex([key]), 2, 'an update of the same incarnation leaves its allocation list alone');
  store.write(4, (txn) => txn.deleteJob('default', 'a'));
  assert.equal(store.keysIndex([key]), 4);
  store.write(5, (txn) => txn.putJob(mockJob('a', { CreateIndex: 5, ModifyIndex: 5 })));
  assert.equal(store.keysIndex([key]), 5);
  store.write(6, (txn) => txn.deleteJob('default', 'b'));
  assert.equal(store.keysIndex([watchKey.jobAllocs('default', 'b')]), 0, 'a job without allocations goes without touching its list');
});

test('a restore wakes every waiter and answers every key from the restored index on', async () => {
  const { store, runTurn } = manualStore();
  seed(store);
  const wait = store.waitForKeys([watchKey.jobAllocs('default', 'a')], 1, 60_000);
  const restored = new StateStore();
  seed(restored);
  restored.write(7, (txn) => txn.putAlloc(alloc('a1', 'a', 'node-1', 7)));
  store.replace(restored.currentTables());
  await runTurn();
  assert.equal(await wait, 7);
  assert.equal(store.keysIndex([watchKey.jobAllocs('default', 'never-written')]), 7);
});

test('key indexes are bounded: a forgotten key reports an index at or above its last change', () => {
  const k = new KeyIndexes(2);
  k.record(new Map([['jobAllocs', ['a']]]), 5);
  assert.equal(k.get('jobAllocs', 'a'), 5);
  assert.equal(k.get('jobAllocs', 'never'), 0);
  // The second key fills the generation: a and b move to the previous one and are still known.
  k.record(new Map([['jobAllocs', ['b']]]), 6);
  k.record(new Map([['jobAllocs', ['a']]]), 7);
  assert.equal(k.get('jobAllocs', 'a'), 7, 'the newer change wins over the older generation');
  assert.equal(k.get('jobAllocs', 'b'), 6);
  // c fills the current generation again: the one holding a@5 and b@6 is forgotten, its highest index the floor.
  k.record(new Map([['jobAllocs', ['c']]]), 8);
  assert.ok(k.size() <= 4, 'at most two generations');
  assert.equal(k.get('jobAllocs', 'a'), 7);
  assert.equal(k.get('jobAllocs', 'c'), 8);
  assert.equal(k.get('jobAllocs', 'b'), 6, 'forgotten: the floor, at or above its last change');
  assert.equal(k.get('jobAllocs', 'never'), 6);
  for (let i = 0; i < 10; i++) k.record(new Map([['jobAllocs', [`x${i}`]]]), 9 + i);
  assert.ok(k.size() <= 4);
  assert.ok(k.get('jobAllocs', 'a') >= 7 && k.get('jobAllocs', 'c') >= 8, 'never below a key\'s last change');
  assert.equal(k.get('nodeAllocs', 'never'), 0, 'other kinds keep their own floor');
  k.reset(20);
  assert.equal(k.get('jobAllocs', 'a'), 20);
  assert.equal(k.get('eval', 'x'), 20);
});
