import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordingMetrics } from '../../test/unit/recording-metrics.js';
import { FSM } from './fsm.js';
import { StateStore } from './store.js';
import { mockEval, mockJob } from '../../test/unit/state-fixtures.js';

test('each applied entry is timed under Nomad\'s name for its type', () => {
  const m = new RecordingMetrics();
  const fsm = new FSM(new StateStore(), { metrics: m });
  fsm.apply(1, { Type: 'JobRegister', Job: mockJob('web'), Eval: mockEval('e1', 'web'), SubmitTimeNs: 1 });
  fsm.apply(2, { Type: 'JobDeregister', Namespace: 'default', JobID: 'web', Purge: false, Eval: null, SubmitTimeNs: 2 });
  assert.deepEqual(
    m.seen.map((r) => [r.kind, r.name]),
    [
      ['sample', 'nomad.fsm.register_job'],
      ['sample', 'nomad.fsm.deregister_job'],
    ],
  );
  assert.ok(m.seen.every((r) => r.value > 0));
});
