// Failed allocations: delays, follow-up evals, replacements with their history, batch rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../../test/unit/scheduler/harness.js';
import { mockBatchJob, mockEval, mockJob, mockNode, planAllocs, planStops, sequentialIds } from '../../test/unit/scheduler/mock.js';
import { nextDelayNs, nextRescheduleTime } from './reschedule.js';
import type { Allocation } from '../structs/alloc.js';
import type { Job, ReschedulePolicy } from '../structs/job.js';
import { rfc3339Nano } from '../structs/time.js';

const S = 1_000_000_000;
const NOW_MS = 1_795_282_745_000;
const NOW_NS = NOW_MS * 1_000_000;
const opts = { nowMs: () => NOW_MS, generateId: sequentialIds(9) };

function failedAlloc(job: Job, policy: ReschedulePolicy, delays: number[], failedAtNs = NOW_NS, eventGapNs = S): Allocation {
  const j = structuredClone(job);
  j.TaskGroups[0]!.ReschedulePolicy = policy;
  return {
    Job: j,
    TaskGroup: j.TaskGroups[0]!.Name,
    DesiredStatus: 'run',
    ClientStatus: 'failed',
    ModifyTime: failedAtNs,
    TaskStates: null,
    RescheduleTracker: delays.length ? { Events: delays.map((d, i) => ({ RescheduleTime: failedAtNs - (delays.length - i) * eventGapNs, PrevAllocID: 'x', PrevNodeID: 'n', Delay: d })) } : null,
  } as unknown as Allocation;
}

const base: ReschedulePolicy = { Attempts: 0, Interval: 0, Delay: 5 * S, DelayFunction: 'constant', MaxDelay: 60 * S, Unlimited: true };

test('delay functions: constant, exponential, fibonacci, capped at MaxDelay', () => {
  const job = mockJob();
  assert.equal(nextDelayNs(failedAlloc(job, base, [5 * S, 5 * S]), base), 5 * S);
  const exp = { ...base, DelayFunction: 'exponential' };
  assert.equal(nextDelayNs(failedAlloc(job, exp, []), exp), 5 * S);
  assert.equal(nextDelayNs(failedAlloc(job, exp, [5 * S]), exp), 10 * S);
  assert.equal(nextDelayNs(failedAlloc(job, exp, [5 * S, 10 * S, 20 * S, 40 * S]), exp), 60 * S, 'capped');
  // Ran longer than the cap since the last attempt: the series starts over.
  assert.equal(nextDelayNs(failedAlloc(job, exp, [5 * S, 10 * S, 20 * S, 40 * S], NOW_NS, 1000 * S), exp), 5 * S);
  const fib = { ...base, DelayFunction: 'fibonacci' };
  assert.equal(nextDelayNs(failedAlloc(job, fib, [5 * S]), fib), 5 * S);
  assert.equal(nextDelayNs(failedAlloc(job, fib, [5 * S, 5 * S]), fib), 10 * S);
  assert.equal(nextDelayNs(failedAlloc(job, fib, [5 * S, 10 * S]), fib), 15 * S);
  assert.equal(nextDelayNs(failedAlloc(job, fib, [40 * S, 50 * S]), fib), 60 * S);
});

test('attempts within the interval, or unlimited', () => {
  const job = mockJob();
  const limited: ReschedulePolicy = { ...base, Unlimited: false, Attempts: 2, Interval: 3600 * S };
  assert.equal(nextRescheduleTime(failedAlloc(job, limited, [])).eligible, true);
  assert.equal(nextRescheduleTime(failedAlloc(job, limited, [5 * S])).eligible, true);
  assert.equal(nextRescheduleTime(failedAlloc(job, limited, [5 * S, 5 * S])).eligible, false);
  const t = nextRescheduleTime(failedAlloc(job, base, [5 * S, 5 * S, 5 * S]));
  assert.equal(t.eligible, true);
  assert.equal(t.timeNs, NOW_NS + 5 * S);
  assert.equal(nextRescheduleTime({ ...failedAlloc(job, base, []), ClientStatus: 'running' }).eligible, false);
});

async function runningService(policy: ReschedulePolicy) {
  const h = new Harness();
  h.upsertNode(mockNode());
  h.upsertNode(mockNode());
  const j = mockJob({}, 1);
  j.TaskGroups[0]!.ReschedulePolicy = policy;
  j.TaskGroups[0]!.Update = null;
  const job = h.registerJob(j);
  await h.process(mockEval(job), opts);
  return { h, job, alloc: h.allocs()[0]! };
}

test('a failed alloc whose delay has passed is replaced at once, with its history and a node penalty', async () => {
  const { h, job, alloc } = await runningService({ ...base, DelayFunction: 'constant', Delay: 5 * S });
  h.updateAlloc(alloc.ID, { ClientStatus: 'failed', ModifyTime: NOW_NS - 10 * S });
  await h.process(mockEval(job, 'alloc-failure'), opts);
  const plan = h.lastPlan();
  const stop = planStops(plan)[0]!;
  assert.equal(stop.ID, alloc.ID);
  assert.equal(stop.DesiredDescription, 'alloc was rescheduled because it failed');
  const repl = planAllocs(plan)[0]!;
  assert.equal(repl.Name, alloc.Name);
  assert.equal(repl.PreviousAllocation, alloc.ID);
  assert.equal(repl.RescheduleTracker!.Events!.length, 1);
  assert.deepEqual(repl.RescheduleTracker!.Events![0], { RescheduleTime: NOW_NS, PrevAllocID: alloc.ID, PrevNodeID: alloc.NodeID, Delay: 5 * S });
  assert.notEqual(repl.NodeID, alloc.NodeID, 'the node it failed on is penalized');
  const meta = repl.Metrics!.ScoreMetaData!.find((m) => m.NodeID === alloc.NodeID);
  if (meta) assert.equal(meta.Scores['node-reschedule-penalty'], -1);
  assert.equal(h.allocByID(alloc.ID)!.NextAllocation, repl.ID);
});

test('a failed alloc whose delay has not passed gets a follow-up eval with WaitUntil', async () => {
  const { h, job, alloc } = await runningService({ ...base, Delay: 30 * S });
  h.updateAlloc(alloc.ID, { ClientStatus: 'failed', ModifyTime: NOW_NS });
  const ev = await h.process(mockEval(job, 'alloc-failure'), opts);
  const followup = h.createdEvals.find((e) => e.TriggeredBy === 'alloc-failure')!;
  assert.ok(followup);
  assert.equal(followup.Status, 'pending');
  assert.equal(followup.StatusDescription, 'created for delayed rescheduling');
  assert.equal(followup.WaitUntil, rfc3339Nano(NOW_NS + 30 * S));
  assert.equal(followup.PreviousEval, ev!.ID);
  const plan = h.lastPlan();
  assert.equal(planAllocs(plan)[0]!.FollowupEvalID, followup.ID);
  assert.equal(planStops(plan).length, 0);
  assert.equal(ev!.Status, 'complete');
  // When the follow-up eval runs, the alloc is replaced.
  await h.process({ ...followup }, opts);
  const repl = planAllocs(h.lastPlan()).find((a) => a.PreviousAllocation === alloc.ID);
  assert.ok(repl);
});

test('no attempts left: the failed alloc keeps its slot and is not replaced', async () => {
  const { h, job, alloc } = await runningService({ ...base, Unlimited: false, Attempts: 1, Interval: 3600 * S });
  h.updateAlloc(alloc.ID, {
    ClientStatus: 'failed',
    ModifyTime: NOW_NS - 60 * S,
    RescheduleTracker: { Events: [{ RescheduleTime: NOW_NS - 120 * S, PrevAllocID: 'p', PrevNodeID: 'n', Delay: 5 * S }] },
  });
  const plans = h.plans.length;
  await h.process(mockEval(job, 'alloc-failure'), opts);
  assert.equal(h.plans.length, plans);
});

test('batch: completed allocs are never replaced; failed ones are rescheduled per policy', async () => {
  const h = new Harness();
  h.upsertNode(mockNode());
  const job = h.registerJob(mockBatchJob('b', 3));
  await h.process(mockEval(job), opts);
  const [a0, a1, a2] = h.allocs().sort((x, y) => (x.Name < y.Name ? -1 : 1));
  h.updateAlloc(a0!.ID, { ClientStatus: 'complete' });
  h.updateAlloc(a1!.ID, { ClientStatus: 'failed', ModifyTime: NOW_NS - 60 * S });
  h.updateAlloc(a2!.ID, { ClientStatus: 'running' });
  await h.process(mockEval(job, 'alloc-failure'), opts);
  const placed = planAllocs(h.lastPlan());
  assert.equal(placed.length, 1);
  assert.equal(placed[0]!.Name, a1!.Name);
  assert.equal(placed[0]!.PreviousAllocation, a1!.ID);
  assert.equal(placed[0]!.DeploymentID, '');
  // Everything complete: nothing to do.
  for (const a of h.allocs()) if (a.DesiredStatus === 'run') h.updateAlloc(a.ID, { ClientStatus: 'complete' });
  const plans = h.plans.length;
  const ev = await h.process(mockEval(job), opts);
  assert.equal(h.plans.length, plans);
  assert.equal(ev!.Status, 'complete');
});
