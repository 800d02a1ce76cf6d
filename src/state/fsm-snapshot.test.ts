import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NomadError } from '../structs/errors.js';
import { decodeMsgpack, encodeMsgpack } from './codec.js';
import { FSM } from './fsm.js';
import type { LogEntry } from './log-entries.js';
import { sampleEntries } from '../../test/unit/sample-entries.js';
import { StateStore } from './store.js';
import type { Tables } from './tables.js';
import { mockAlloc, mockAllocBlocks, mockDeployment, mockEval, mockJob, mockPlanApply, mockNode, T0_NS } from '../../test/unit/state-fixtures.js';

test('every log entry type survives a msgpack round trip unchanged', () => {
  const entries = sampleEntries();
  assert.equal(Object.keys(entries).length, 29);
  for (const [type, entry] of Object.entries(entries)) {
    const back = decodeMsgpack<LogEntry>(encodeMsgpack(entry));
    assert.deepEqual(back, entry, type);
    assert.equal(back.Type, type);
  }
});

function populated(): { store: StateStore; fsm: FSM } {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  fsm.apply(1, { Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  fsm.apply(2, { Type: 'JobRegister', Job: mockJob('example'), Eval: mockEval('e1', 'example'), SubmitTimeNs: T0_NS });
  fsm.apply(3, { Type: 'JobRegister', Job: mockJob('example', { Meta: { v: '2' } }), Eval: mockEval('e2', 'example'), SubmitTimeNs: T0_NS + 1 });
  const job = store.snapshot().jobByID('default', 'example')!;
  fsm.apply(
    4,
    mockPlanApply(job, {
      EvalID: 'e2',
      AllocsUpdated: [mockAlloc('a1', 'n1', { DeploymentID: 'd1' }), mockAlloc('a2', 'n1', { DeploymentID: 'd1' })],
      Deployment: mockDeployment('d1', job),
      TimestampNs: T0_NS + 2,
    }),
  );
  fsm.apply(6, { Type: 'SchedulerConfig', Config: { ...store.snapshot().schedulerConfig(), SchedulerAlgorithm: 'spread' } });
  return { store, fsm };
}

test('an FSM snapshot restores the same state, indexes and secondary indexes, and sharing of jobs', () => {
  const { store, fsm } = populated();
  const bytes = fsm.snapshot();
  const other = new StateStore({ freezeObjects: true });
  const fsm2 = new FSM(other);
  fsm2.restore(bytes);
  const a = store.snapshot();
  const b = other.snapshot();
  assert.equal(b.latestIndex(), 6);
  for (const t of ['jobs', 'job_version', 'job_summary', 'nodes', 'allocs', 'evals', 'deployment', 'scheduler_config', 'index'] as const) {
    assert.equal(b.tableIndex(t), a.tableIndex(t), t);
  }
  assert.deepEqual(b.jobs(), a.jobs());
  assert.deepEqual(b.jobVersions('default', 'example'), a.jobVersions('default', 'example'));
  assert.deepEqual(b.jobSummary('default', 'example'), a.jobSummary('default', 'example'));
  assert.deepEqual(b.nodes(), a.nodes());
  assert.deepEqual(b.allocsByNode('n1'), a.allocsByNode('n1'));
  assert.deepEqual(b.allocsByNodeNonTerminal('n1'), a.allocsByNodeNonTerminal('n1'));
  assert.deepEqual(b.allocsByDeployment('d1'), a.allocsByDeployment('d1'));
  assert.deepEqual(b.evalsByJob('default', 'example'), a.evalsByJob('default', 'example'));
  assert.deepEqual(b.deployments(), a.deployments());
  assert.deepEqual(b.schedulerConfig(), a.schedulerConfig());
  assert.equal(b.allocByID('a1')!.Job, b.allocByID('a2')!.Job, 'allocations share one job object again');
  // The restored state keeps working: job status counts were rebuilt.
  fsm2.apply(7, {
    Type: 'AllocClientUpdate',
    Updates: ['a1', 'a2'].map((ID) => ({ ID, ClientStatus: 'complete' as const, ClientDescription: '', TaskStates: {}, DeploymentStatus: null })),
    Evals: [],
    TimestampNs: T0_NS + 3,
  });
  fsm2.apply(8, { Type: 'EvalUpsert', Evals: [mockEval('e1', 'example', { Status: 'complete' }), mockEval('e2', 'example', { Status: 'complete' })] });
  assert.equal(other.snapshot().jobByID('default', 'example')!.Status, 'dead');
});

test('restore wakes blocking queries and replaces the state atomically', async () => {
  const { fsm } = populated();
  const bytes = fsm.snapshot();
  const empty = new StateStore();
  const fsm2 = new FSM(empty);
  const before = empty.snapshot();
  const waiting = empty.waitForChange(['allocs'], 0, 5000);
  fsm2.restore(bytes);
  assert.equal(await waiting, 6);
  assert.equal(before.allocs().length, 0, 'an older snapshot is not affected');
});

test('a snapshot that is not ours is refused with a clear error', () => {
  const fsm = new FSM(new StateStore());
  assert.throws(() => fsm.restore(encodeMsgpack({ hello: 'world' })), (err: unknown) => err instanceof NomadError && /not a state snapshot/.test(err.message));
  assert.throws(() => fsm.restore(new Uint8Array([0xc1])), (err: unknown) => err instanceof NomadError && err.kind === 'bad_request');
});

test('a snapshot cut short is refused rather than restored in part', () => {
  const { fsm } = populated();
  const bytes = fsm.snapshot();
  const other = new FSM(new StateStore());
  assert.throws(() => other.restore(bytes.subarray(0, bytes.byteLength - 3)), (err: unknown) => err instanceof NomadError && err.kind === 'bad_request');
  assert.equal(other.store.latestIndex(), 0);
});

test('a format 1 snapshot (one message with every table) still restores', () => {
  const { store } = populated();
  const a = store.snapshot();
  const job = a.jobByID('default', 'example')!;
  const allocs = a.allocs();
  const v1 = encodeMsgpack({
    Format: 'nomad-ts-state',
    FormatVersion: 1,
    LatestIndex: a.latestIndex(),
    TableIndexes: { allocs: a.tableIndex('allocs') },
    SchedulerConfig: null,
    JobPool: [job],
    Jobs: [0],
    JobVersions: [[0]],
    JobSummaries: [a.jobSummary('default', 'example')],
    Nodes: a.nodes(),
    Allocs: allocs.map((x) => ({ ...x, Job: null })),
    AllocJobs: allocs.map(() => 0),
    Evals: a.evals(),
    Deployments: a.deployments(),
  });
  const other = new StateStore();
  new FSM(other).restore(v1);
  const b = other.snapshot();
  assert.equal(b.latestIndex(), a.latestIndex());
  assert.deepEqual(b.allocsByNode('n1').map((x) => x.ID), ['a1', 'a2']);
  assert.equal(b.allocByID('a1')!.Job, b.allocByID('a2')!.Job);
  assert.deepEqual(b.evalsByJob('default', 'example'), a.evalsByJob('default', 'example'));
});

/** How many times `text` occurs in `bytes` (as UTF-8). */
function occurrences(bytes: Uint8Array, text: string): number {
  const hay = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  for (let at = hay.indexOf(text); at >= 0; at = hay.indexOf(text, at + 1)) n++;
  return n;
}

test('the resource blocks the allocations of a plan share are written once, and shared again after a restore', () => {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  fsm.apply(1, { Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  fsm.apply(2, { Type: 'JobRegister', Job: mockJob('example'), Eval: mockEval('e1', 'example'), SubmitTimeNs: T0_NS });
  const job = store.snapshot().jobByID('default', 'example')!;
  const ids = Array.from({ length: 50 }, (_, i) => `a${String(i).padStart(2, '0')}`);
  fsm.apply(3, mockPlanApply(job, { EvalID: 'e1', AllocsUpdated: ids.map((id) => mockAlloc(id, 'n1', mockAllocBlocks())), TimestampNs: T0_NS + 1 }));
  const a = store.snapshot();
  assert.equal(a.allocByID('a00')!.AllocatedResources, a.allocByID('a49')!.AllocatedResources, 'the live state shares the blocks of a plan');

  const bytes = fsm.snapshot();
  assert.equal(occurrences(bytes, '10.211.55.7'), 1, 'the allocated resources are written once, not once per allocation');
  const other = new StateStore({ freezeObjects: true });
  new FSM(other).restore(bytes);
  const b = other.snapshot();
  for (const f of ['Resources', 'SharedResources', 'TaskResources', 'AllocatedResources'] as const) {
    assert.deepEqual(b.allocByID('a00')![f], a.allocByID('a00')![f], f);
    assert.equal(b.allocByID('a00')![f], b.allocByID('a49')![f], `${f}: one shared object after the restore`);
  }
  assert.deepEqual(b.allocs(), a.allocs());
});

test('a format 2 snapshot (resource blocks inside each allocation) still restores', () => {
  const { store } = populated();
  const a = store.snapshot();
  const job = a.jobByID('default', 'example')!;
  const allocs = a.allocs().map((x) => ({ ...x, ...mockAllocBlocks(), Job: 0 }));
  const messages = [
    { Format: 'nomad-ts-state', FormatVersion: 2, LatestIndex: a.latestIndex(), TableIndexes: { allocs: a.tableIndex('allocs') }, SchedulerConfig: null },
    ['JobPool', [job]],
    ['Jobs', [0]],
    ['Nodes', a.nodes()],
    ['Allocs', allocs],
    { End: true, Rows: 1 + 1 + a.nodes().length + allocs.length },
  ].map((m) => encodeMsgpack(m));
  const v2 = Buffer.concat(messages);
  const other = new StateStore();
  new FSM(other).restore(new Uint8Array(v2.buffer, v2.byteOffset, v2.byteLength));
  const b = other.snapshot();
  assert.deepEqual(b.allocsByNode('n1').map((x) => x.ID), ['a1', 'a2']);
  assert.deepEqual(b.allocByID('a1')!.AllocatedResources, mockAllocBlocks().AllocatedResources);
  assert.equal(b.allocByID('a1')!.Job, b.allocByID('a2')!.Job);
});

test('an allocation that refers to a block the snapshot does not hold is refused', () => {
  const { store } = populated();
  const a = store.snapshot();
  const messages = [
    { Format: 'nomad-ts-state', FormatVersion: 3, LatestIndex: a.latestIndex(), TableIndexes: {}, SchedulerConfig: null },
    ['JobPool', [a.jobByID('default', 'example')!]],
    ['BlockPool', [mockAllocBlocks().Resources]],
    ['Allocs', a.allocs().map((x) => ({ ...x, Job: 0, Resources: 0, AllocatedResources: 7 }))],
    { End: true, Rows: 1 + 1 + a.allocs().length },
  ].map((m) => encodeMsgpack(m));
  const bytes = Buffer.concat(messages);
  assert.throws(
    () => new FSM(new StateStore()).restore(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
    (e: unknown) => e instanceof NomadError && /Allocs\.AllocatedResources refers to block 7, beyond the 1 stored/.test(e.message),
  );
});

/** 27,000 allocations of 3 jobs on 3 nodes: a snapshot of many chunks. */
function manyAllocs(): { store: StateStore; fsm: FSM } {
  const store = new StateStore();
  const fsm = new FSM(store);
  let index = 0;
  const nodes = ['n1', 'n2', 'n3'];
  for (const id of nodes) fsm.apply(++index, { Type: 'NodeRegister', Node: mockNode(id), TimestampNs: T0_NS });
  for (let j = 0; j < 3; j++) {
    const job = mockJob(`job-${j}`);
    fsm.apply(++index, { Type: 'JobRegister', Job: job, Eval: mockEval(`eval-${j}`, job.ID), SubmitTimeNs: T0_NS });
    const registered = store.snapshot().jobByID('default', job.ID)!;
    // 9,000 allocations per job: more than one chunk; some stopped (not live), some in a deployment.
    const allocs = Array.from({ length: 9_000 }, (_, i) =>
      mockAlloc(`${String(j)}-${String(i * 7919 % 9_000).padStart(5, '0')}`, nodes[i % 3]!, {
        JobID: job.ID,
        EvalID: `eval-${j}`,
        ...(i % 5 === 0 ? { DesiredStatus: 'stop' as const, ClientStatus: 'complete' as const, Job: registered } : {}),
        ...(i % 4 === 0 ? { DeploymentID: `dep-${j}` } : {}),
      }),
    );
    fsm.apply(++index, mockPlanApply(registered, { EvalID: `eval-${j}`, AllocsUpdated: allocs, TimestampNs: T0_NS + j }));
  }
  return { store, fsm };
}

/** Asserts that `b` holds the allocation tables and job counts of `a`, key for key. */
function assertSameAllocTables(a: Tables, b: Tables): void {
  const ids = (m: { keys(): string[] }): string[] => m.keys();
  assert.deepEqual(ids(b.allocs), ids(a.allocs));
  for (const ix of ['allocsByNode', 'allocsByNodeLive', 'allocsByJob', 'allocsByEval', 'allocsByDeployment'] as const) {
    assert.deepEqual(ids(b[ix]), ids(a[ix]), ix);
    for (const owner of a[ix].keys()) assert.deepEqual(ids(b[ix].get(owner)!), ids(a[ix].get(owner)!), `${ix} ${owner}`);
  }
  assert.deepEqual(b.jobCounts.values(), a.jobCounts.values());
}

test('a restore builds every allocation table and job count as the writes did, over many chunks, and streams in chunks', () => {
  const { store, fsm } = manyAllocs();
  const chunks = [...fsm.captureSnapshot().chunks()];
  assert.ok(chunks.length > 5, `${chunks.length} messages`);
  const restored = new StateStore();
  new FSM(restored).restore(fsm.captureSnapshot().encode());
  const a = store.currentTables();
  const b = restored.currentTables();
  assertSameAllocTables(a, b);
  assert.deepEqual(restored.snapshot().allocsByJob('default', 'job-1', false).length, 9_000);
  assert.deepEqual(b.allocs.get('2-00042')?.Job, a.allocs.get('2-00042')?.Job);
  assert.equal(b.allocs.get('2-00042')?.Job, b.allocs.get('2-00043')?.Job, 'allocations share their job object');
});

test('a pausing restore lets others run between chunks, shows the old state until it is done, and builds the same tables', async () => {
  const { store, fsm } = manyAllocs();
  const bytes = fsm.captureSnapshot().encode();
  const chunkCount = [...fsm.captureSnapshot().chunks()].length;
  const target = new StateStore();
  const targetFsm = new FSM(target);
  targetFsm.apply(1, { Type: 'JobRegister', Job: mockJob('before'), Eval: mockEval('eb', 'before'), SubmitTimeNs: T0_NS });
  let pauses = 0;
  let sawNewState = false;
  await targetFsm.restorePausing(bytes, async () => {
    pauses++;
    // What a reader sees while the decode waits: the state from before, whole.
    if (target.latestIndex() !== 1 || target.snapshot().jobByID('default', 'before') === null) sawNewState = true;
    await new Promise<void>((resolve) => setImmediate(resolve));
  });
  assert.equal(sawNewState, false, 'the new state showed before the restore was done');
  // A pause after every chunk of rows and after every allocation table built.
  assert.ok(pauses >= chunkCount - 2 + 6, `${pauses} pauses for ${chunkCount} messages`);
  assert.equal(target.latestIndex(), store.latestIndex());
  assert.equal(target.snapshot().jobByID('default', 'before'), null);
  assertSameAllocTables(store.currentTables(), target.currentTables());

  // Bad bytes fail the same way, with nothing replaced.
  const other = new StateStore();
  const otherFsm = new FSM(other);
  await assert.rejects(otherFsm.restorePausing(bytes.subarray(0, bytes.byteLength - 3), () => Promise.resolve()), (err: unknown) => err instanceof NomadError && err.kind === 'bad_request');
  assert.equal(other.latestIndex(), 0);
});
