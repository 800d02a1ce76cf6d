import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NomadError } from '../structs/errors.js';
import { StateStore } from './store.js';
import { mockAlloc, mockJob, mockNode } from '../../test/unit/state-fixtures.js';

function storeWithNode(): StateStore {
  const store = new StateStore({ freezeObjects: true });
  store.write(1, (txn) => txn.putNode(mockNode('node-1', { CreateIndex: 1, ModifyIndex: 1 })));
  return store;
}

test('a snapshot keeps its view while writes go on', () => {
  const store = storeWithNode();
  const before = store.snapshot();
  store.write(2, (txn) => {
    txn.putNode(mockNode('node-2'));
    txn.deleteNode('node-1');
  });
  assert.deepEqual(before.nodes().map((n) => n.ID), ['node-1']);
  assert.equal(before.latestIndex(), 1);
  assert.equal(before.tableIndex('nodes'), 1);
  const after = store.snapshot();
  assert.deepEqual(after.nodes().map((n) => n.ID), ['node-2']);
  assert.equal(after.tableIndex('nodes'), 2);
  assert.equal(after.tableIndex('index'), 2);
  assert.equal(after.tableIndex('allocs'), 0);
});

test('stored objects are frozen in test mode', () => {
  const store = storeWithNode();
  const node = store.snapshot().nodeByID('node-1')!;
  assert.throws(() => {
    (node as { Name: string }).Name = 'changed';
  }, TypeError);
});

test('a write that throws leaves the store unchanged and wakes nobody', () => {
  const store = storeWithNode();
  const before = store.snapshot();
  assert.throws(
    () =>
      store.write(2, (txn) => {
        txn.putNode(mockNode('node-2'));
        throw new NomadError('bad_request', 'refused');
      }),
    /refused/,
  );
  assert.equal(store.snapshot().tables, before.tables);
  assert.equal(store.latestIndex(), 1);
});

test('a write at an older index is refused', () => {
  const store = storeWithNode();
  assert.throws(() => store.write(0, () => undefined), NomadError);
  store.write(5, (txn) => txn.putNode(mockNode('node-5')));
  assert.throws(() => store.write(4, (txn) => txn.putNode(mockNode('node-4'))), /older than the latest index 5/);
});

test('secondary indexes follow allocations as they move and become terminal', () => {
  const store = new StateStore({ freezeObjects: true });
  const job = mockJob('example', { CreateIndex: 1 });
  store.write(1, (txn) => {
    txn.putJob(job);
    for (let i = 0; i < 10; i++) {
      txn.putAlloc(mockAlloc(`a${i}`, i % 2 === 0 ? 'n1' : 'n2', { Job: job, EvalID: `e${i % 3}`, DeploymentID: i < 4 ? 'd1' : '' }));
    }
  });
  let s = store.snapshot();
  assert.deepEqual(s.allocsByNode('n1').map((a) => a.ID), ['a0', 'a2', 'a4', 'a6', 'a8']);
  assert.deepEqual(s.allocsByNodeNonTerminal('n2').map((a) => a.ID), ['a1', 'a3', 'a5', 'a7', 'a9']);
  assert.deepEqual(s.allocsByEval('e0').map((a) => a.ID), ['a0', 'a3', 'a6', 'a9']);
  assert.deepEqual(s.allocsByDeployment('d1').map((a) => a.ID), ['a0', 'a1', 'a2', 'a3']);
  assert.equal(s.allocsByJob('default', 'example', true).length, 10);
  assert.equal(s.allocsByJob('default', 'exampl', true).length, 0);
  store.write(2, (txn) => {
    txn.putAlloc({ ...txn.alloc('a0')!, NodeID: 'n2' });
    txn.putAlloc({ ...txn.alloc('a1')!, ClientStatus: 'complete' });
    txn.putAlloc({ ...txn.alloc('a3')!, DesiredStatus: 'stop' });
    txn.deleteAlloc('a5');
  });
  s = store.snapshot();
  assert.deepEqual(s.allocsByNode('n1').map((a) => a.ID), ['a2', 'a4', 'a6', 'a8']);
  assert.deepEqual(s.allocsByNode('n2').map((a) => a.ID), ['a0', 'a1', 'a3', 'a7', 'a9']);
  assert.deepEqual(s.allocsByNodeNonTerminal('n2').map((a) => a.ID), ['a0', 'a7', 'a9']);
  assert.equal(s.allocsByJob('default', 'example', true).length, 9);
  assert.deepEqual(s.allocsByIDPrefix('default', 'a'), s.allocs());
  assert.deepEqual(s.allocsByIDPrefix('other', 'a'), []);
  assert.equal(s.allocsByIDPrefix('*', 'a').length, 9);
});

test('allocsByJob without allVersions skips allocations of an earlier incarnation', () => {
  const store = new StateStore();
  const oldJob = mockJob('example', { CreateIndex: 1 });
  const newJob = mockJob('example', { CreateIndex: 5 });
  store.write(5, (txn) => {
    txn.putJob(newJob);
    txn.putAlloc(mockAlloc('old', 'n1', { Job: oldJob }));
    txn.putAlloc(mockAlloc('new', 'n1', { Job: newJob }));
  });
  const s = store.snapshot();
  assert.deepEqual(s.allocsByJob('default', 'example', false).map((a) => a.ID), ['new']);
  assert.deepEqual(s.allocsByJob('default', 'example', true).map((a) => a.ID), ['new', 'old']);
});

test('jobs list and prefix lookups by namespace', () => {
  const store = new StateStore();
  store.write(1, (txn) => {
    txn.putJob(mockJob('web'));
    txn.putJob(mockJob('web2'));
    txn.putJob(mockJob('api'));
    txn.putJob(mockJob('web', { Namespace: 'prod' }));
  });
  const s = store.snapshot();
  assert.deepEqual(s.jobs('default').map((j) => j.ID), ['api', 'web', 'web2']);
  assert.equal(s.jobs().length, 4);
  assert.equal(s.jobs('*').length, 4);
  assert.deepEqual(s.jobsByIDPrefix('default', 'we').map((j) => j.ID), ['web', 'web2']);
  assert.deepEqual(s.jobsByIDPrefix('*', 'web').map((j) => j.Namespace + '/' + j.ID), ['default/web', 'default/web2', 'prod/web']);
  assert.equal(s.jobByID('prod', 'web')?.Namespace, 'prod');
  assert.equal(s.jobByID('prod', 'api'), null);
  assert.equal(s.schedulerConfig().SchedulerAlgorithm, 'binpack');
});

test('waitForChange is woken by a commit on a watched table', async () => {
  const store = storeWithNode();
  const waiting = store.waitForChange(['allocs'], 1, 5000);
  // A commit on another table does not end the wait.
  store.write(2, (txn) => txn.putNode(mockNode('node-2')));
  store.write(3, (txn) => txn.putJob(mockJob('example')));
  store.write(4, (txn) => txn.putAlloc(mockAlloc('a1', 'node-1', { Job: mockJob('example') })));
  assert.equal(await waiting, 4);
  assert.equal(store.waiterCount(), 0);
});

test('waitForChange returns at once when the table is already past minIndex, and on the index table', async () => {
  const store = storeWithNode();
  assert.equal(await store.waitForChange(['nodes'], 0, 5000), 1);
  const waiting = store.waitForChange(['index'], 1, 5000);
  store.write(2, (txn) => txn.putJob(mockJob('x')));
  assert.equal(await waiting, 2);
});

test('waitForChange times out at its bound and can be aborted', async () => {
  const store = storeWithNode();
  const started = Date.now();
  assert.equal(await store.waitForChange(['allocs'], 1, 30), 1);
  assert.ok(Date.now() - started >= 25, 'waited about the bound');
  const ac = new AbortController();
  const waiting = store.waitForChange(['allocs'], 1, 60_000, ac.signal);
  ac.abort();
  assert.equal(await waiting, 1);
  assert.equal(store.waiterCount(), 0);
});

test('snapshotMinIndex waits for the index, or rejects at the bound', async () => {
  const store = storeWithNode();
  const waiting = store.snapshotMinIndex(3, 5000);
  store.write(2, (txn) => txn.putNode(mockNode('node-2')));
  store.write(3, (txn) => txn.putNode(mockNode('node-3')));
  const snap = await waiting;
  assert.equal(snap.latestIndex(), 3);
  await assert.rejects(store.snapshotMinIndex(10, 20), (err: unknown) => err instanceof NomadError && err.kind === 'unavailable');
  assert.equal(store.waiterCount(), 0);
});
