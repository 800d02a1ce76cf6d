// Node purge; and client alloc updates are group committed: a lone update is written at once, updates that
// arrive while a write is in flight go together in the next entry, and a batch is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateStore } from '../state/store.js';
import type { LogEntry } from '../state/log-entries.js';
import type { AllocClientUpdate } from '../rpc/protocol.js';
import type { ApplyResult } from './consensus.js';
import type { ServerContext } from './context.js';
import { NodeEndpoints } from './node-endpoints.js';
import { systemClock, systemRandom } from '../structs/clock.js';
import { NomadError } from '../structs/errors.js';
import { FSM } from '../state/fsm.js';
import { mockAlloc, mockJob, mockNode, mockPlanApply, T0_NS } from '../../test/unit/state-fixtures.js';
import { silentLogger } from './logger.js';

interface PendingWrite {
  entry: LogEntry;
  finish: (index: number) => void;
}

/** A context whose writes wait until the test finishes them, so that "in flight" is under control. */
function controlledContext(): { ctx: ServerContext; writes: PendingWrite[]; nextWrite: () => Promise<PendingWrite> } {
  const writes: PendingWrite[] = [];
  let notify: (() => void) | null = null;
  const ctx = {
    clock: systemClock,
    random: systemRandom,
    store: new StateStore(),
    write(entry: LogEntry): Promise<ApplyResult> {
      return new Promise<ApplyResult>((resolve) => {
        writes.push({ entry, finish: (index) => resolve({ index, result: null }) });
        notify?.();
      });
    },
  } as unknown as ServerContext;
  let taken = 0;
  const nextWrite = async (): Promise<PendingWrite> => {
    while (writes.length <= taken) await new Promise<void>((r) => (notify = r));
    return writes[taken++]!;
  };
  return { ctx, writes, nextWrite };
}

function update(id: string): AllocClientUpdate {
  return { ID: id, ClientStatus: 'running', ClientDescription: '', TaskStates: {}, DeploymentStatus: null };
}

function updateIds(w: PendingWrite): string[] {
  assert.equal(w.entry.Type, 'AllocClientUpdate');
  return (w.entry as Extract<LogEntry, { Type: 'AllocClientUpdate' }>).Updates.map((u) => u.ID);
}

test('a lone update is written at once; updates arriving during a write share the next entry', async () => {
  const { ctx, writes, nextWrite } = controlledContext();
  const endpoints = new NodeEndpoints(ctx);
  const first = endpoints.nodeUpdateAllocs([update('a')]);
  const w1 = await nextWrite();
  assert.deepEqual(updateIds(w1), ['a']);

  const second = endpoints.nodeUpdateAllocs([update('b')]);
  const third = endpoints.nodeUpdateAllocs([update('c'), update('d')]);
  // Give the endpoint every chance to write early: nothing may go while the first write is in flight.
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(writes.length, 1, 'no second write while the first is in flight');

  w1.finish(10);
  assert.deepEqual(await first, { Index: 10 });
  const w2 = await nextWrite();
  assert.deepEqual(updateIds(w2), ['b', 'c', 'd']);
  w2.finish(11);
  assert.deepEqual(await Promise.all([second, third]), [{ Index: 11 }, { Index: 11 }]);
  assert.equal(writes.length, 2);
});

test('a batch larger than the bound is split, and its callers hear back once all of it is written', async () => {
  const { ctx, nextWrite } = controlledContext();
  const endpoints = new NodeEndpoints(ctx, { maxAllocUpdateBatch: 2 });
  let answered = false;
  const call = endpoints.nodeUpdateAllocs([update('a'), update('b'), update('c')]).then((r) => {
    answered = true;
    return r;
  });
  const w1 = await nextWrite();
  assert.deepEqual(updateIds(w1), ['a', 'b']);
  w1.finish(5);
  const w2 = await nextWrite();
  assert.equal(answered, false, 'the caller waits for the rest of its updates');
  assert.deepEqual(updateIds(w2), ['c']);
  w2.finish(6);
  assert.deepEqual(await call, { Index: 6 });
});

test('an update without an allocation ID is refused with its position', async () => {
  const { ctx, writes } = controlledContext();
  const endpoints = new NodeEndpoints(ctx);
  await assert.rejects(endpoints.nodeUpdateAllocs([update('a'), update('')]), /missing allocation ID in update 1/);
  assert.equal(writes.length, 0);
});

/** A context whose writes go straight to an FSM over a real store, one index each. */
function fsmContext(): { ctx: ServerContext; store: StateStore } {
  const store = new StateStore();
  const fsm = new FSM(store);
  let index = 0;
  const ctx = {
    clock: systemClock,
    random: systemRandom,
    store,
    logger: silentLogger,
    write: async (entry: LogEntry): Promise<ApplyResult> => {
      index++;
      try {
        return { index, result: fsm.apply(index, entry) };
      } catch (e) {
        return { index, result: e as Error };
      }
    },
  } as unknown as ServerContext;
  return { ctx, store };
}

test('purging a node removes it and evaluates the jobs that had allocations on it', async () => {
  const { ctx, store } = fsmContext();
  const job = mockJob('web');
  await ctx.write({ Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  await ctx.write({ Type: 'JobRegister', Job: job, Eval: null, SubmitTimeNs: T0_NS });
  await ctx.write(mockPlanApply(store.snapshot().jobByID('default', 'web')!, { AllocsUpdated: [mockAlloc('a1', 'n1', { JobID: 'web', ClientStatus: 'running' })] }));

  const out = await new NodeEndpoints(ctx).deregister('n1');
  const snap = store.snapshot();
  assert.equal(snap.nodeByID('n1'), null);
  assert.equal(out.EvalIDs.length, 1);
  const ev = snap.evalByID(out.EvalIDs[0]!)!;
  assert.equal(ev.JobID, 'web');
  assert.equal(ev.NodeID, 'n1');
  assert.equal(out.EvalCreateIndex, out.Index);
  await assert.rejects(new NodeEndpoints(ctx).deregister('n1'), (e: unknown) => e instanceof NomadError && e.kind === 'not_found');
});

test('a client following its allocations is answered when the servers change them, not when it reports their status', async () => {
  const { ctx, store } = fsmContext();
  const endpoints = new NodeEndpoints(ctx);
  await ctx.write({ Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  await ctx.write({ Type: 'JobRegister', Job: mockJob('web'), Eval: null, SubmitTimeNs: T0_NS });
  const job = store.snapshot().jobByID('default', 'web')!;
  const placed = await ctx.write(mockPlanApply(job, { AllocsUpdated: [mockAlloc('a1', 'n1', { JobID: 'web' })] }));

  const first = await endpoints.nodeGetClientAllocs('n1', 0, 60_000);
  assert.deepEqual(first, { Allocs: { a1: placed.index }, Index: placed.index, Complete: true });

  let answered = false;
  const next = endpoints.nodeGetClientAllocs('n1', first.Index, 60_000).finally(() => (answered = true));
  await endpoints.nodeUpdateAllocs([update('a1')]);
  assert.equal(store.snapshot().allocByID('a1')!.ClientStatus, 'running');
  await new Promise((r) => setImmediate(r));
  assert.equal(answered, false, 'the client\'s own report leaves its map as it was');

  const second = await ctx.write(mockPlanApply(job, { AllocsUpdated: [mockAlloc('a2', 'n1', { JobID: 'web' })] }));
  assert.deepEqual(await next, { Allocs: { a1: placed.index, a2: second.index }, Index: second.index, Complete: true });

  const stopping = endpoints.nodeGetClientAllocs('n1', second.index, 60_000);
  const stopped = await ctx.write(mockPlanApply(job, { AllocsStopped: [{ ID: 'a1', DesiredStatus: 'stop', DesiredDescription: 'alloc not needed' }] }));
  assert.deepEqual(await stopping, { Allocs: { a1: stopped.index, a2: second.index }, Index: stopped.index, Complete: true });

  const collecting = endpoints.nodeGetClientAllocs('n1', stopped.index, 60_000);
  const collected = await ctx.write({ Type: 'EvalDelete', EvalIDs: [], AllocIDs: ['a1'] });
  assert.deepEqual(await collecting, { Allocs: { a2: second.index }, Index: collected.index, Complete: true });
});

test('a client asking for changes only is told what changed since its index, and the whole list once one left it', async () => {
  const { ctx, store } = fsmContext();
  const endpoints = new NodeEndpoints(ctx);
  await ctx.write({ Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  await ctx.write({ Type: 'NodeRegister', Node: mockNode('n2'), TimestampNs: T0_NS });
  await ctx.write({ Type: 'JobRegister', Job: mockJob('web'), Eval: null, SubmitTimeNs: T0_NS });
  const job = store.snapshot().jobByID('default', 'web')!;
  const placed = await ctx.write(mockPlanApply(job, { AllocsUpdated: [mockAlloc('a1', 'n1', { JobID: 'web' }), mockAlloc('a2', 'n1', { JobID: 'web' })] }));

  // The first answer (index 0) is the whole list, changes asked or not.
  const first = await endpoints.nodeGetClientAllocs('n1', 0, 60_000, true);
  assert.deepEqual(first, { Allocs: { a1: placed.index, a2: placed.index }, Index: placed.index, Complete: true });

  const next = endpoints.nodeGetClientAllocs('n1', first.Index, 60_000, true);
  const third = await ctx.write(mockPlanApply(job, { AllocsUpdated: [mockAlloc('a3', 'n1', { JobID: 'web' })] }));
  assert.deepEqual(await next, { Allocs: { a3: third.index }, Index: third.index, Complete: false });

  const stopping = endpoints.nodeGetClientAllocs('n1', third.index, 60_000, true);
  const stopped = await ctx.write(mockPlanApply(job, { AllocsStopped: [{ ID: 'a1', DesiredStatus: 'stop', DesiredDescription: 'alloc not needed' }] }));
  assert.deepEqual(await stopping, { Allocs: { a1: stopped.index }, Index: stopped.index, Complete: false });

  // A wait that ends with nothing changed answers an empty list of changes.
  assert.deepEqual(await endpoints.nodeGetClientAllocs('n1', stopped.index, 10, true), { Allocs: {}, Index: stopped.index, Complete: false });
  // Another node's changes are not this node's.
  await ctx.write(mockPlanApply(job, { AllocsUpdated: [mockAlloc('b1', 'n2', { JobID: 'web' })] }));

  // a1 garbage collected: absent from a list of changes it would look unchanged, so the whole list comes.
  const collecting = endpoints.nodeGetClientAllocs('n1', stopped.index, 60_000, true);
  const collected = await ctx.write({ Type: 'EvalDelete', EvalIDs: [], AllocIDs: ['a1'] });
  assert.deepEqual(await collecting, { Allocs: { a2: placed.index, a3: third.index }, Index: collected.index, Complete: true });
  // Past the removal, changes only again.
  assert.deepEqual(await endpoints.nodeGetClientAllocs('n1', collected.index, 10, true), { Allocs: {}, Index: collected.index, Complete: false });
});
