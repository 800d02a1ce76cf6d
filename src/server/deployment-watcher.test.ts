// The deployment watcher's decisions, one pass at a time against a real store and FSM: what it
// writes when a group misses its progress deadline, when allocations turn unhealthy (with and
// without a deadline to recover within), when auto_revert has a stable version to go back to,
// when canaries may be promoted, and when everything is healthy.
import { systemClock, systemRandom } from '../structs/clock.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Allocation } from '../structs/alloc.js';
import type { DeploymentState } from '../structs/deployment.js';
import type { Job } from '../structs/job.js';
import { FSM } from '../state/fsm.js';
import type { LogEntry } from '../state/log-entries.js';
import { StateStore } from '../state/store.js';
import { mockAlloc, mockDeployment, mockJob, mockPlanApply, taskGroup, T0_NS } from '../../test/unit/state-fixtures.js';
import { DeploymentWatcher } from './deployment-watcher.js';
import { silentLogger } from './logger.js';

const NOW_MS = Math.floor(T0_NS / 1e6);
const DEP = 'dep-1';

interface World {
  store: StateStore;
  entries: LogEntry[];
  watcher: DeploymentWatcher;
  apply(entry: LogEntry): void;
  allocs(): Allocation[];
  pass(): Promise<void>;
  /** Moves the watcher's clock. */
  setNowMs(ms: number): void;
}

function world(nowMs = NOW_MS): World {
  const store = new StateStore();
  const fsm = new FSM(store);
  let index = 0;
  const entries: LogEntry[] = [];
  const apply = async (entry: LogEntry) => {
    entries.push(entry);
    index++;
    try {
      return { index, result: fsm.apply(index, entry) };
    } catch (e) {
      return { index, result: e };
    }
  };
  let clockMs = nowMs;
  const watcher = new DeploymentWatcher({ store, apply, logger: silentLogger, env: { clock: { ...systemClock, nowMs: () => clockMs }, random: systemRandom } });
  return {
    store,
    entries,
    watcher,
    apply: (entry) => {
      index++;
      fsm.apply(index, entry);
    },
    allocs: () => store.snapshot().allocsByDeployment(DEP),
    pass: () => watcher.checkAll(store.snapshot()),
    setNowMs: (ms) => {
      clockMs = ms;
    },
  };
}

function register(w: World, job: Job, stable = false): Job {
  w.apply({ Type: 'JobRegister', Job: job, Eval: null, SubmitTimeNs: T0_NS });
  const stored = w.store.snapshot().jobByID('default', job.ID)!;
  if (stable) w.apply({ Type: 'JobStability', Namespace: 'default', JobID: job.ID, JobVersion: stored.Version, Stable: true });
  return w.store.snapshot().jobByID('default', job.ID)!;
}

/** A job at version 0 (stable), then version 1 with another command, in a deployment of `count` allocations. */
function rollout(w: World, count: number, group: Partial<DeploymentState>, canary = false): Job {
  register(w, mockJob('example', { TaskGroups: [taskGroup('cache', count)] }), true);
  const tg = taskGroup('cache', count);
  tg.Tasks[0]!.Config = { image: 'redis:7' };
  const job = register(w, mockJob('example', { TaskGroups: [tg] }));
  const allocs = Array.from({ length: count }, (_, i) =>
    mockAlloc(`alloc-${i}`, 'node-1', {
      Name: `example.cache[${i}]`,
      Job: job,
      DeploymentID: DEP,
      ClientStatus: 'running',
      DeploymentStatus: canary ? { Healthy: null, Timestamp: '0001-01-01T00:00:00Z', Canary: true, ModifyIndex: 0 } : null,
    }),
  );
  w.apply(mockPlanApply(job, { AllocsUpdated: allocs, Deployment: mockDeployment(DEP, job, { cache: { DesiredTotal: count, ...group } }) }));
  return job;
}

function health(w: World, healthy: string[], unhealthy: string[] = []): void {
  w.apply({ Type: 'DeploymentAllocHealth', DeploymentID: DEP, HealthyAllocIDs: healthy, UnhealthyAllocIDs: unhealthy, Status: null, Job: null, Eval: null, TimestampNs: T0_NS + 1e9 });
}

function deployment(w: World) {
  return w.store.snapshot().deploymentByID(DEP)!;
}

test('a group past its progress deadline fails the deployment', async () => {
  // One allocation turned healthy (which moved the deadline on by 10 s); a minute later the other still is not.
  const w = world(NOW_MS + 60_000);
  rollout(w, 2, { ProgressDeadline: 10e9, RequireProgressBy: new Date(NOW_MS).toISOString() });
  health(w, ['alloc-0']);
  assert.equal(Date.parse(deployment(w).TaskGroups['cache']!.RequireProgressBy), NOW_MS + 11_000);
  await w.pass();
  const d = deployment(w);
  assert.equal(d.Status, 'failed');
  assert.equal(d.StatusDescription, 'Failed due to progress deadline');
  assert.equal(w.store.snapshot().jobByID('default', 'example')!.Version, 1, 'no rollback without auto_revert');
});

test('a deadline still ahead leaves the deployment running', async () => {
  const w = world();
  rollout(w, 2, { ProgressDeadline: 10e9, RequireProgressBy: new Date(NOW_MS + 5_000).toISOString() });
  await w.pass();
  assert.equal(deployment(w).Status, 'running');
  assert.equal(w.entries.length, 0, 'nothing to write');
});

test('with auto_revert a failure registers the latest stable version again, as a new version', async () => {
  const w = world();
  rollout(w, 1, { ProgressDeadline: 0, AutoRevert: true });
  health(w, [], ['alloc-0']);
  await w.pass();
  const d = deployment(w);
  assert.equal(d.Status, 'failed');
  assert.equal(d.StatusDescription, 'Failed due to unhealthy allocations - rolling back to job version 0');
  const snap = w.store.snapshot();
  const job = snap.jobByID('default', 'example')!;
  assert.equal(job.Version, 2);
  assert.deepEqual(job.TaskGroups, snap.jobByIDAndVersion('default', 'example', 0)!.TaskGroups);
  assert.equal(snap.jobByIDAndVersion('default', 'example', 1)!.Stable, false);
  const evals = snap.evalsByJob('default', 'example');
  assert.equal(evals.length, 1, 'the rollback is evaluated');
  assert.equal(evals[0]!.TriggeredBy, 'deployment-watcher');
});

test('an unhealthy allocation fails a group without a progress deadline at once', async () => {
  const w = world();
  rollout(w, 2, { ProgressDeadline: 0 });
  health(w, ['alloc-0'], ['alloc-1']);
  await w.pass();
  assert.equal(deployment(w).Status, 'failed');
  assert.equal(deployment(w).StatusDescription, 'Failed due to unhealthy allocations');
});

test('with a progress deadline an unhealthy allocation is handed to rescheduling instead', async () => {
  const w = world();
  rollout(w, 2, { ProgressDeadline: 60e9, RequireProgressBy: new Date(NOW_MS + 60_000).toISOString() });
  health(w, [], ['alloc-1']);
  await w.pass();
  assert.equal(deployment(w).Status, 'running');
  const marked = w.allocs().find((a) => a.ID === 'alloc-1')!;
  assert.equal(marked.DesiredTransition.Reschedule, true);
  assert.equal(w.allocs().find((a) => a.ID === 'alloc-0')!.DesiredTransition.Reschedule, null);
  const evals = w.store.snapshot().evalsByJob('default', 'example');
  assert.equal(evals.length, 1);
  assert.equal(evals[0]!.DeploymentID, DEP);
  // Marked once: a second pass writes nothing more.
  const before = w.entries.length;
  await w.pass();
  assert.equal(w.entries.length, before);
});

test('new healthy allocations create an eval for the next batch; all healthy completes the deployment', async () => {
  const w = world();
  rollout(w, 2, { ProgressDeadline: 0 });
  health(w, ['alloc-0']);
  await w.pass();
  assert.equal(deployment(w).Status, 'running');
  assert.equal(w.store.snapshot().evalsByJob('default', 'example').length, 1);
  // Nothing new: no second eval.
  await w.pass();
  assert.equal(w.store.snapshot().evalsByJob('default', 'example').length, 1);
  health(w, ['alloc-1']);
  await w.pass();
  assert.equal(deployment(w).Status, 'successful');
  assert.equal(deployment(w).StatusDescription, 'Deployment completed successfully');
  assert.equal(w.store.snapshot().jobByID('default', 'example')!.Stable, true);
});

test('canaries wait for a manual promotion; auto_promote promotes once they are all healthy', async () => {
  const manual = world();
  rollout(manual, 2, { ProgressDeadline: 0, DesiredCanaries: 2 }, true);
  health(manual, ['alloc-0', 'alloc-1']);
  await manual.pass();
  assert.equal(deployment(manual).TaskGroups['cache']!.Promoted, false);
  assert.equal(deployment(manual).Status, 'running', 'healthy canaries alone do not complete the deployment');

  const auto = world();
  rollout(auto, 2, { ProgressDeadline: 0, DesiredCanaries: 2, AutoPromote: true }, true);
  health(auto, ['alloc-0']);
  await auto.pass();
  assert.equal(deployment(auto).TaskGroups['cache']!.Promoted, false, 'one canary is not healthy yet');
  health(auto, ['alloc-1']);
  await auto.pass();
  assert.equal(deployment(auto).TaskGroups['cache']!.Promoted, true);
  assert.ok(auto.entries.some((e) => e.Type === 'DeploymentPromote'));
  // Promoted and healthy: the next pass completes it.
  await auto.pass();
  assert.equal(deployment(auto).Status, 'successful');
});

test('a paused deployment is left alone, deadline or not', async () => {
  const w = world();
  rollout(w, 1, { ProgressDeadline: 10e9, RequireProgressBy: new Date(NOW_MS - 1).toISOString() });
  w.apply({ Type: 'DeploymentStatus', DeploymentID: DEP, Status: 'paused', StatusDescription: 'Deployment is paused', Job: null, Eval: null, TimestampNs: T0_NS });
  await w.pass();
  assert.equal(deployment(w).Status, 'paused');
});

test('a pass skips a deployment unchanged since its last check until its deadline comes', async () => {
  const w = world();
  rollout(w, 2, { ProgressDeadline: 10e9, RequireProgressBy: new Date(NOW_MS + 5_000).toISOString() });
  let reads = 0;
  const counting = () => {
    const snap = w.store.snapshot();
    return new Proxy(snap, {
      get(target, prop, receiver) {
        if (prop === 'allocsByDeployment') reads++;
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  await w.watcher.checkAll(counting());
  assert.equal(reads, 1);
  await w.watcher.checkAll(counting());
  assert.equal(reads, 1, 'nothing changed: not checked again');
  health(w, ['alloc-0']);
  await w.watcher.checkAll(counting());
  assert.equal(reads, 2, 'an allocation of it changed');
  assert.equal(deployment(w).Status, 'running');
  // The healthy allocation moved the deadline to NOW + 11 s; past it, with nothing written meanwhile.
  w.setNowMs(NOW_MS + 12_000);
  await w.watcher.checkAll(counting());
  assert.equal(reads, 3);
  assert.equal(deployment(w).Status, 'failed');
  assert.equal(deployment(w).StatusDescription, 'Failed due to progress deadline');
});
