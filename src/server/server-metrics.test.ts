import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordingMetrics } from '../../test/unit/recording-metrics.js';
import { FSM } from '../state/fsm.js';
import { StateStore } from '../state/store.js';
import { mockEval, mockJob } from '../../test/unit/state-fixtures.js';
import { emitServerGauges, JOBS_PER_GAUGE_SLICE, jobSummaryLabels } from './server-metrics.js';
import type { ServerStats } from './server.js';
import type { AllocMetric } from '../structs/alloc.js';
import type { Resources } from '../structs/job.js';

function stateWithJobs(): StateStore {
  const store = new StateStore();
  const fsm = new FSM(store);
  fsm.apply(1, { Type: 'JobRegister', Job: mockJob('web'), Eval: mockEval('e1', 'web'), SubmitTimeNs: 1 });
  fsm.apply(2, { Type: 'JobRegister', Job: mockJob('report/dispatch-1700000000-abcd1234', { ParentID: 'report', Dispatched: true }), Eval: null, SubmitTimeNs: 2 });
  return store;
}

const stats = (leader: boolean): ServerStats => ({
  leader,
  broker: { totalReady: 2, totalUnacked: 1, totalPending: 3, totalWaiting: 4, byScheduler: { service: { ready: 2, unacked: 1 }, _core: { ready: 0, unacked: 0 } } },
  blocked: { totalBlocked: 5, totalEscaped: 1 },
  planQueueDepth: 6,
  heartbeatTimers: 7,
  workers: 2,
});

test('every server publishes its queues; the leader also every task group summary and job statuses', () => {
  const store = stateWithJobs();
  const m = new RecordingMetrics();
  emitServerGauges(m, stats(true), store.snapshot(), { disableDispatchedJobSummaryMetrics: false });
  assert.equal(m.gauge('nomad.broker.total_ready'), 2);
  assert.equal(m.gauge('nomad.broker.total_blocked'), 3);
  assert.equal(m.gauge('nomad.broker.total_pending'), 3);
  assert.equal(m.gauge('nomad.broker.service.ready'), 2);
  assert.equal(m.gauge('nomad.broker._core.unacked'), 0);
  // Schedulers with nothing queued still publish their zeros.
  assert.equal(m.gauge('nomad.broker.sysbatch.ready'), 0);
  assert.equal(m.gauge('nomad.blocked_evals.total_blocked'), 5);
  assert.equal(m.gauge('nomad.plan.queue_depth'), 6);
  assert.equal(m.gauge('nomad.heartbeat.active'), 7);
  assert.equal(m.gauge('state.snapshotIndex'), 2);
  // Every figure of the job's one task group, nothing placed yet.
  for (const f of ['queued', 'complete', 'failed', 'running', 'starting', 'lost']) {
    assert.deepEqual(m.named(`nomad.job_summary.${f}`).find((r) => r.labels?.['job'] === 'web')?.labels, { job: 'web', task_group: 'cache', namespace: 'default' }, f);
    assert.equal(m.gauge(`nomad.job_summary.${f}`, { job: 'web' }), 0, f);
  }
  const child = m.named('nomad.job_summary.running').find((r) => r.labels?.['parent_id'] === 'report');
  assert.equal(child?.labels?.['dispatch_id'], '1700000000-abcd1234');
  assert.equal(m.gauge('nomad.job_status.pending'), 2);
  assert.equal(m.gauge('nomad.job_status.running'), 0);
});

test('disable_dispatched_job_summary_metrics leaves dispatched children out; followers publish no job gauges', () => {
  const store = stateWithJobs();
  const m = new RecordingMetrics();
  emitServerGauges(m, stats(true), store.snapshot(), { disableDispatchedJobSummaryMetrics: true });
  assert.ok(m.named('nomad.job_summary.running').every((r) => r.labels?.['job'] === 'web'));
  assert.equal(m.gauge('nomad.job_status.pending'), 2, 'job statuses still count every job');
  const follower = new RecordingMetrics();
  emitServerGauges(follower, stats(false), store.snapshot(), { disableDispatchedJobSummaryMetrics: false });
  assert.equal(follower.named('nomad.job_summary.running').length, 0);
  assert.equal(follower.named('nomad.job_status.running').length, 0);
  assert.equal(follower.gauge('nomad.broker.total_ready'), 2);
});

test('given a pause, the leader publishes the job summaries a slice of jobs per turn, all of them from one snapshot', async () => {
  const store = new StateStore();
  const fsm = new FSM(store);
  const jobs = JOBS_PER_GAUGE_SLICE * 2 + 50;
  for (let i = 0; i < jobs; i++) fsm.apply(i + 1, { Type: 'JobRegister', Job: mockJob(`job-${i}`), Eval: null, SubmitTimeNs: i + 1 });
  const snap = store.snapshot();
  // A job registered while the gauges go out is not among them: the snapshot was taken before.
  fsm.apply(jobs + 1, { Type: 'JobRegister', Job: mockJob('later'), Eval: null, SubmitTimeNs: jobs + 1 });
  const m = new RecordingMetrics();
  const jobsSeenAtPauses: number[] = [];
  const published = (): number => new Set(m.named('nomad.job_summary.queued').map((r) => r.labels?.['job'])).size;
  await emitServerGauges(m, stats(true), snap, { disableDispatchedJobSummaryMetrics: false }, [], async () => {
    jobsSeenAtPauses.push(published());
  });
  assert.deepEqual(jobsSeenAtPauses, [JOBS_PER_GAUGE_SLICE, 2 * JOBS_PER_GAUGE_SLICE]);
  assert.equal(published(), jobs);
  assert.equal(m.gauge('nomad.job_status.pending'), jobs);
});

test('periodic children carry their parent and launch', () => {
  assert.deepEqual(jobSummaryLabels('nightly/periodic-1700000000', 'g', 'ops'), { job: 'nightly/periodic-1700000000', task_group: 'g', namespace: 'ops', parent_id: 'nightly', periodic_id: '1700000000' });
});

test('blocked evals publish the resources they wait for, by job and by datacenter and node class', () => {
  const failed = (cpu: number, memoryMB: number, classes: Record<string, number>): AllocMetric =>
    ({
      NodesEvaluated: 1,
      NodesFiltered: 0,
      NodesAvailable: { dc1: 1 },
      ClassFiltered: null,
      ConstraintFiltered: null,
      NodesExhausted: 1,
      ClassExhausted: classes,
      DimensionExhausted: { cpu: 1 },
      QuotaExhausted: null,
      ResourcesExhausted: { t: { CPU: cpu, MemoryMB: memoryMB } as Resources },
      Scores: null,
      ScoreMetaData: null,
      AllocationTime: 0,
      CoalescedFailures: 0,
    }) satisfies AllocMetric;
  const blocked = [
    mockEval('b1', 'big', { Status: 'blocked', FailedTGAllocs: { cache: failed(500, 256, { large: 1 }) } }),
    mockEval('b2', 'other', { Status: 'blocked', FailedTGAllocs: { cache: failed(100, 64, {}) } }),
  ];
  const m = new RecordingMetrics();
  emitServerGauges(m, stats(true), stateWithJobs().snapshot(), { disableDispatchedJobSummaryMetrics: false }, blocked);
  assert.equal(m.gauge('nomad.blocked_evals.job.cpu', { job: 'big', namespace: 'default' }), 500);
  assert.equal(m.gauge('nomad.blocked_evals.job.memory', { job: 'other' }), 64);
  assert.equal(m.gauge('nomad.blocked_evals.cpu', { datacenter: 'dc1', node_class: 'large' }), 500);
  // A placement that exhausted no class is counted under "unknown", as Nomad does.
  assert.equal(m.gauge('nomad.blocked_evals.memory', { datacenter: 'dc1', node_class: 'unknown' }), 64);
});
