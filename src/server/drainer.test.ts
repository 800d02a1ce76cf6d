// The node drainer's decisions against a real store and FSM, on a fixed clock: how many
// allocations of a service group may leave at once (migrate.max_parallel, counting only healthy
// replacements), batch work left to finish until the deadline, system jobs last (or never with
// IgnoreSystemJobs), everything forced at the deadline, and the drain completed when the node is
// empty, with Node.LastDrain and the node's events saying so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock, systemRandom } from '../structs/clock.js';
import type { Allocation } from '../structs/alloc.js';
import type { Job } from '../structs/job.js';
import type { DrainStrategy } from '../structs/node.js';
import { rfc3339Nano } from '../structs/time.js';
import { FSM } from '../state/fsm.js';
import type { LogEntry } from '../state/log-entries.js';
import { StateStore } from '../state/store.js';
import { ZERO_TIME } from '../state/time-util.js';
import { mockAlloc, mockJob, mockNode, mockPlanApply, taskGroup, T0_NS } from '../../test/unit/state-fixtures.js';
import { NodeDrainer, planDrains } from './drainer.js';
import { silentLogger } from './logger.js';

const NOW_MS = Math.floor(T0_NS / 1e6);
const HOUR_NS = 3600e9;

interface World {
  store: StateStore;
  written: LogEntry[];
  apply(entry: LogEntry): void;
  drainer: NodeDrainer;
}

function world(nowMs = NOW_MS): World {
  const store = new StateStore();
  const fsm = new FSM(store);
  let index = 0;
  const written: LogEntry[] = [];
  const drainer = new NodeDrainer({
    store,
    logger: silentLogger,
    env: { clock: { ...systemClock, nowMs: () => nowMs, nowNs: () => nowMs * 1e6 }, random: systemRandom },
    apply: async (entry) => {
      written.push(entry);
      index++;
      try {
        return { index, result: fsm.apply(index, entry) };
      } catch (e) {
        return { index, result: e };
      }
    },
  });
  return {
    store,
    written,
    drainer,
    apply: (entry) => {
      index++;
      fsm.apply(index, entry);
    },
  };
}

function drainStrategy(deadlineNs: number, ignoreSystem = false): DrainStrategy {
  return {
    Deadline: deadlineNs,
    IgnoreSystemJobs: ignoreSystem,
    ForceDeadline: deadlineNs > 0 ? rfc3339Nano(NOW_MS * 1e6 + deadlineNs) : ZERO_TIME,
    StartedAt: rfc3339Nano(NOW_MS * 1e6),
  };
}

function setup(w: World, drain: DrainStrategy): void {
  w.apply({ Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  w.apply({ Type: 'NodeRegister', Node: mockNode('n2'), TimestampNs: T0_NS });
  w.apply({ Type: 'NodeUpdateDrain', NodeID: 'n1', DrainStrategy: drain, MarkEligible: false, Event: null, TimestampNs: T0_NS });
}

function register(w: World, job: Job): Job {
  w.apply({ Type: 'JobRegister', Job: job, Eval: null, SubmitTimeNs: T0_NS });
  return w.store.snapshot().jobByID('default', job.ID)!;
}

/** Running allocations of `job` on the given nodes, healthy unless said otherwise. */
function place(w: World, job: Job, nodes: string[], healthy: (boolean | null)[] = []): Allocation[] {
  const allocs = nodes.map((node, i) =>
    mockAlloc(`${job.ID}-${i}`, node, {
      JobID: job.ID,
      Name: `${job.ID}.${job.TaskGroups[0]!.Name}[${i}]`,
      TaskGroup: job.TaskGroups[0]!.Name,
      Job: job,
      ClientStatus: 'running',
      DeploymentStatus: { Healthy: healthy[i] === undefined ? true : healthy[i]!, Timestamp: ZERO_TIME, Canary: false, ModifyIndex: 0 },
    }),
  );
  w.apply(mockPlanApply(job, { AllocsUpdated: allocs }));
  return allocs;
}

const ids = (allocs: Allocation[]): string[] => allocs.map((a) => a.ID).sort();

test('a service group leaves a draining node no faster than migrate.max_parallel, counting healthy allocations only', () => {
  const w = world();
  setup(w, drainStrategy(0));
  const tg = taskGroup('web', 4);
  tg.Migrate = { MaxParallel: 2, HealthCheck: 'checks', MinHealthyTime: 10e9, HealthyDeadline: 300e9 };
  const job = register(w, mockJob('web', { TaskGroups: [tg] }));
  place(w, job, ['n1', 'n1', 'n1', 'n2']);
  // Four healthy, two may be away at once.
  let plan = planDrains(w.store.snapshot(), NOW_MS);
  assert.equal(plan.migrate.length, 2);
  assert.ok(plan.migrate.every((a) => a.NodeID === 'n1'));
  assert.deepEqual(plan.complete, []);
  assert.equal(plan.nextDeadlineMs, null, 'a drain without deadline has none to wake for');

  // Marked: the next pass marks nothing more until replacements are healthy.
  w.apply({ Type: 'AllocDesiredTransition', Transitions: Object.fromEntries(plan.migrate.map((a) => [a.ID, { Migrate: true, Reschedule: null, ForceReschedule: null }])), Evals: [] });
  assert.deepEqual(planDrains(w.store.snapshot(), NOW_MS).migrate, []);

  // One replacement healthy on n2, one not yet: three healthy of four, so one more may go.
  const replacement = (id: string, healthy: boolean | null): Allocation =>
    mockAlloc(id, 'n2', { JobID: 'web', Name: 'web.web[0]', TaskGroup: 'web', Job: job, ClientStatus: 'running', DeploymentStatus: { Healthy: healthy, Timestamp: ZERO_TIME, Canary: false, ModifyIndex: 0 } });
  w.apply(mockPlanApply(job, { AllocsUpdated: [replacement('web-r0', true), replacement('web-r1', null)] }));
  plan = planDrains(w.store.snapshot(), NOW_MS);
  assert.deepEqual(ids(plan.migrate), ['web-2']);
});

test('max_parallel 1 waits for each replacement to be healthy', () => {
  const w = world();
  setup(w, drainStrategy(0));
  const job = register(w, mockJob('api', { TaskGroups: [taskGroup('api', 2)] }));
  place(w, job, ['n1', 'n1']);
  const first = planDrains(w.store.snapshot(), NOW_MS).migrate;
  assert.equal(first.length, 1);
  w.apply({ Type: 'AllocDesiredTransition', Transitions: { [first[0]!.ID]: { Migrate: true, Reschedule: null, ForceReschedule: null } }, Evals: [] });
  // The replacement runs on n2 but is not healthy yet.
  const repl = mockAlloc('api-repl', 'n2', { JobID: 'api', Name: 'api.api[0]', TaskGroup: 'api', Job: job, ClientStatus: 'running', DeploymentStatus: { Healthy: null, Timestamp: ZERO_TIME, Canary: false, ModifyIndex: 0 } });
  w.apply(mockPlanApply(job, { AllocsUpdated: [repl] }));
  assert.deepEqual(planDrains(w.store.snapshot(), NOW_MS).migrate, []);
  w.apply({ Type: 'AllocClientUpdate', Updates: [{ ID: 'api-repl', ClientStatus: 'running', ClientDescription: '', TaskStates: {}, DeploymentStatus: { Healthy: true, Timestamp: ZERO_TIME, Canary: false, ModifyIndex: 0 } }], Evals: [], TimestampNs: T0_NS });
  const second = planDrains(w.store.snapshot(), NOW_MS).migrate;
  assert.deepEqual(ids(second), ['api-1']);
});

test('batch work is left to finish until the deadline, then forced with everything else', () => {
  const w = world();
  setup(w, drainStrategy(HOUR_NS));
  const job = register(w, mockJob('crunch', { Type: 'batch', TaskGroups: [taskGroup('crunch', 1)] }));
  place(w, job, ['n1']);
  let plan = planDrains(w.store.snapshot(), NOW_MS);
  assert.deepEqual(plan.migrate, []);
  assert.equal(plan.nextDeadlineMs, NOW_MS + HOUR_NS / 1e6);
  plan = planDrains(w.store.snapshot(), NOW_MS + HOUR_NS / 1e6);
  assert.deepEqual(ids(plan.migrate), ['crunch-0']);
});

test('a forced drain marks everything at once, system jobs included', () => {
  const w = world();
  setup(w, drainStrategy(-1));
  const svc = register(w, mockJob('svc', { TaskGroups: [taskGroup('svc', 3)] }));
  const sys = register(w, mockJob('agent', { Type: 'system', TaskGroups: [taskGroup('agent', 1)] }));
  place(w, svc, ['n1', 'n1', 'n1']);
  place(w, sys, ['n1']);
  assert.deepEqual(ids(planDrains(w.store.snapshot(), NOW_MS).migrate), ['agent-0', 'svc-0', 'svc-1', 'svc-2']);
});

test('system allocations go last, or stay with IgnoreSystemJobs', () => {
  for (const ignoreSystem of [false, true]) {
    const w = world();
    setup(w, drainStrategy(0, ignoreSystem));
    const svc = register(w, mockJob('svc', { TaskGroups: [taskGroup('svc', 1)] }));
    const sys = register(w, mockJob('agent', { Type: 'system', TaskGroups: [taskGroup('agent', 1)] }));
    place(w, svc, ['n1']);
    place(w, sys, ['n1']);
    assert.deepEqual(ids(planDrains(w.store.snapshot(), NOW_MS).migrate), ['svc-0'], 'the service allocation leaves first');
    // The service allocation has stopped on the client.
    w.apply({ Type: 'AllocClientUpdate', Updates: [{ ID: 'svc-0', ClientStatus: 'complete', ClientDescription: '', TaskStates: {}, DeploymentStatus: null }], Evals: [], TimestampNs: T0_NS });
    const plan = planDrains(w.store.snapshot(), NOW_MS);
    if (ignoreSystem) {
      assert.deepEqual(plan.migrate, []);
      assert.deepEqual(plan.complete, ['n1'], 'with IgnoreSystemJobs the drain is done while the system job runs');
    } else {
      assert.deepEqual(ids(plan.migrate), ['agent-0']);
      assert.deepEqual(plan.complete, []);
    }
  }
});

test('a pass writes the marks with an evaluation per job, and completes an empty node drain', async () => {
  const w = world();
  setup(w, drainStrategy(0));
  const job = register(w, mockJob('api', { TaskGroups: [taskGroup('api', 1)] }));
  place(w, job, ['n1']);
  await w.drainer.pass(w.store.snapshot());
  const marks = w.written.filter((e) => e.Type === 'AllocDesiredTransition');
  assert.equal(marks.length, 1);
  const mark = marks[0]! as Extract<LogEntry, { Type: 'AllocDesiredTransition' }>;
  assert.deepEqual(Object.keys(mark.Transitions), ['api-0']);
  assert.equal(mark.Evals.length, 1);
  assert.equal(mark.Evals[0]!.TriggeredBy, 'node-drain');
  assert.equal(mark.Evals[0]!.JobID, 'api');
  assert.equal(w.store.snapshot().allocByID('api-0')!.DesiredTransition.Migrate, true);
  assert.equal(w.store.snapshot().nodeByID('n1')!.DrainStrategy !== null, true, 'not complete while the allocation runs');

  // The scheduler stopped it and the client reports it complete: the drain is complete.
  w.apply({ Type: 'AllocClientUpdate', Updates: [{ ID: 'api-0', ClientStatus: 'complete', ClientDescription: '', TaskStates: {}, DeploymentStatus: null }], Evals: [], TimestampNs: T0_NS });
  await w.drainer.pass(w.store.snapshot());
  const node = w.store.snapshot().nodeByID('n1')!;
  assert.equal(node.DrainStrategy, null);
  assert.equal(node.Drain, false);
  assert.equal(node.SchedulingEligibility, 'ineligible', 'a finished drain leaves the node ineligible');
  assert.equal(node.Events!.at(-1)!.Message, 'Node drain complete');
  assert.equal(node.LastDrain?.Status, 'complete');
  assert.equal(node.LastDrain?.StartedAt, rfc3339Nano(T0_NS));
});

test('cancelling a drain records it as canceled, and a drain on an empty node completes at once', async () => {
  const w = world();
  setup(w, drainStrategy(0));
  w.apply({ Type: 'NodeUpdateDrain', NodeID: 'n1', DrainStrategy: null, MarkEligible: true, Event: null, TimestampNs: T0_NS + 1e9 });
  let node = w.store.snapshot().nodeByID('n1')!;
  assert.equal(node.LastDrain?.Status, 'canceled');
  assert.equal(node.SchedulingEligibility, 'eligible');
  assert.equal(planDrains(w.store.snapshot(), NOW_MS).active, false, 'no drain: the drainer need not follow allocations');
  w.apply({ Type: 'NodeUpdateDrain', NodeID: 'n2', DrainStrategy: drainStrategy(0), MarkEligible: false, Event: null, TimestampNs: T0_NS, Meta: { reason: 'kernel upgrade' } });
  await w.drainer.pass(w.store.snapshot());
  node = w.store.snapshot().nodeByID('n2')!;
  assert.equal(node.DrainStrategy, null);
  assert.deepEqual(node.LastDrain?.Meta, { reason: 'kernel upgrade' });
  assert.equal(node.LastDrain?.Status, 'complete');
});
