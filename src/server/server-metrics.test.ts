import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordingMetrics } from '../../test/unit/recording-metrics.js';
import { FSM } from '../state/fsm.js';
import { StateStore } from '../state/store.js';
import { mockEval, mockJob } from '../state/test-fixtures.js';
import { emitServerGauges, jobSummaryLabels } from './server-metrics.js';
import type { ServerStats } from './server.js';

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

test('periodic children carry their parent and launch', () => {
  assert.deepEqual(jobSummaryLabels('nightly/periodic-1700000000', 'g', 'ops'), { job: 'nightly/periodic-1700000000', task_group: 'g', namespace: 'ops', parent_id: 'nightly', periodic_id: '1700000000' });
});
