// The periodic dispatcher on a real server stack (state store, FSM, in-memory log, scheduler)
// driven by a manual clock: launches at the cron times, prohibit_overlap, force, stop, and the
// launch missed while no server led made up when leadership is taken up again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StateStore } from '../state/store.js';
import { FSM } from '../state/fsm.js';
import type { Job, JobInput } from '../structs/job.js';
import { InMemoryConsensus } from './consensus-memory.js';
import { Server } from './server.js';
import { ManualClock } from '../../test/unit/manual-clock.js';

const T0_MS = Date.UTC(2030, 0, 1, 0, 0, 30);
const MINUTE_MS = 60_000;

let store: StateStore;
let server: Server;
let consensus: InMemoryConsensus;
let clock: ManualClock;

before(async () => {
  clock = new ManualClock(T0_MS);
  store = new StateStore();
  const fsm = new FSM(store);
  consensus = new InMemoryConsensus(fsm, { rpcAddr: '127.0.0.1:4647', clock });
  server = new Server({ region: 'global', datacenter: 'dc1', nodeName: 't', store, applied: fsm, consensus, rpcAddr: '127.0.0.1:4647', clock, numSchedulers: 1 });
  const leader = new Promise<void>((r) => consensus.onLeadershipChange(() => r()));
  server.start();
  await leader;
  await server.whenSettled();
});
after(async () => {
  await server.shutdown();
  await consensus.shutdown();
});

function periodicJob(id: string, spec: string, prohibitOverlap = false): JobInput {
  return {
    ID: id,
    Type: 'batch',
    Datacenters: ['dc1'],
    Periodic: { Spec: spec, ProhibitOverlap: prohibitOverlap, TimeZone: 'UTC' },
    TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' }, Resources: { CPU: 100, MemoryMB: 32 } }] }],
  };
}

function children(parent: string): Job[] {
  return store.snapshot().jobsByIDPrefix('default', `${parent}/periodic-`);
}

/** Waits (bounded) until the state shows `n` children of `parent`. */
async function childrenReach(parent: string, n: number): Promise<Job[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = children(parent);
    if (found.length >= n) return found;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`${parent} has ${found.length} children, wanted ${n}`);
    await store.waitForChange(['jobs'], store.snapshot().latestIndex(), left);
  }
}

describe('periodic dispatcher', () => {
  it('launches a child at each cron time with an evaluation triggered by periodic-job, and records the launch', async () => {
    const reg = await server.jobs.register(periodicJob('every-minute', '* * * * *'));
    assert.equal(reg.EvalID, '', 'a periodic parent gets no evaluation of its own');
    assert.equal(server.periodic.nextLaunch('default', 'every-minute'), T0_MS + 30_000);
    clock.advanceTo(T0_MS + 30_000);
    const [first] = await childrenReach('every-minute', 1);
    assert.equal(first!.ID, `every-minute/periodic-${(T0_MS + 30_000) / 1000}`);
    assert.equal(first!.ParentID, 'every-minute');
    assert.equal(first!.Periodic, null);
    const evals = store.snapshot().evalsByJob('default', first!.ID);
    assert.deepEqual(evals.map((e) => e.TriggeredBy), ['periodic-job']);
    assert.equal(store.snapshot().periodicLaunch('default', 'every-minute')!.Launch, new Date(T0_MS + 30_000).toISOString().replace('.000', ''));
    clock.advanceBy(MINUTE_MS);
    await childrenReach('every-minute', 2);
    assert.equal(store.snapshot().jobSummary('default', 'every-minute')!.Children.Pending + store.snapshot().jobSummary('default', 'every-minute')!.Children.Running, 2);
  });

  it('skips a launch while a child still runs when overlap is prohibited, and force launches anyway', async () => {
    await server.jobs.register(periodicJob('no-overlap', '* * * * *', true));
    clock.advanceBy(MINUTE_MS);
    await childrenReach('no-overlap', 1);
    // No client runs anything here, so the first child never finishes: the next launch is skipped.
    clock.advanceBy(MINUTE_MS);
    await childrenReach('every-minute', 4); // the other job's launch at the same time went through
    assert.equal(children('no-overlap').length, 1);
    clock.advanceBy(1_000);
    const forced = await server.jobs.periodicForce('default', 'no-overlap');
    assert.ok(forced.EvalID && forced.EvalCreateIndex > 0);
    assert.equal((await childrenReach('no-overlap', 2)).length, 2);
  });

  it('refuses to force what is not an active periodic job', async () => {
    await assert.rejects(server.jobs.periodicForce('default', 'nope'), /job not found/);
    await server.jobs.register({ ...periodicJob('plain', '* * * * *'), Periodic: null });
    await assert.rejects(server.jobs.periodicForce('default', 'plain'), /can't force launch non-periodic job/);
  });

  it('stops launching once the job is stopped, and refuses to make it non-periodic', async () => {
    await assert.rejects(server.jobs.register({ ...periodicJob('every-minute', '* * * * *'), Periodic: null }), /cannot update periodic job to being non-periodic/);
    await server.jobs.deregister('default', 'every-minute', false);
    const before = children('every-minute').length;
    assert.equal(server.periodic.nextLaunch('default', 'every-minute'), null);
    clock.advanceBy(3 * MINUTE_MS);
    await server.jobs.register({ ...periodicJob('marker', '@hourly') });
    assert.equal(children('every-minute').length, before);
    await assert.rejects(server.periodic.force('default', 'every-minute'), /non-tracked job "every-minute"/);
  });

  it('makes up a launch missed while no leader ran the dispatcher, once', async () => {
    await server.jobs.register(periodicJob('catch-up', '*/5 * * * *'));
    const launchesBefore = children('catch-up').length;
    server.periodic.stop();
    clock.advanceBy(12 * MINUTE_MS);
    server.periodic.start();
    await childrenReach('catch-up', launchesBefore + 1);
    assert.equal(children('catch-up').length, launchesBefore + 1);
    assert.ok(server.periodic.nextLaunch('default', 'catch-up')! > clock.nowMs());
  });
});
