import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FSM } from '../state/fsm.js';
import { StateStore } from '../state/store.js';
import type { LogEntry } from '../state/log-entries.js';
import { mockAlloc, mockDeployment, mockEval, mockJob, mockNode, mockPlanApply, T0_NS } from '../../test/unit/state-fixtures.js';
import { systemClock } from '../structs/clock.js';
import { CoreGc } from './core-gc.js';

function setup(): { store: StateStore; apply: (e: LogEntry) => void; gc: CoreGc } {
  const store = new StateStore();
  const fsm = new FSM(store);
  let index = 0;
  const apply = (e: LogEntry): void => {
    fsm.apply(++index, e);
  };
  const gc = new CoreGc({
    store,
    apply: async (e) => ({ index: (apply(e), index), result: null }),
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    clock: systemClock,
  });
  return { store, apply, gc };
}

test('system gc keeps a finished deployment while its allocations run and while it is the latest of a live job', async () => {
  const { store, apply, gc } = setup();
  apply({ Type: 'NodeRegister', Node: mockNode('n1'), TimestampNs: T0_NS });
  apply({ Type: 'JobRegister', Job: mockJob('web'), Eval: mockEval('e1', 'web'), SubmitTimeNs: T0_NS });
  const job = store.snapshot().jobByID('default', 'web')!;
  // An older deployment of the job, finished, that no allocation runs from.
  apply(mockPlanApply(job, { Deployment: { ...mockDeployment('d0', job), Status: 'successful' } }));
  apply(mockPlanApply(job, { EvalID: 'e1', AllocsUpdated: [mockAlloc('a1', 'n1', { JobID: 'web', DeploymentID: 'd1' })], Deployment: mockDeployment('d1', job) }));
  apply({ Type: 'AllocClientUpdate', Updates: [{ ID: 'a1', ClientStatus: 'running', ClientDescription: '', TaskStates: {}, DeploymentStatus: { Healthy: true, Timestamp: '', Canary: false, ModifyIndex: 0 } as never }], Evals: [], TimestampNs: T0_NS });
  apply({ Type: 'DeploymentStatus', DeploymentID: 'd1', Status: 'successful', StatusDescription: 'Deployment completed successfully', Job: null, Eval: null, TimestampNs: T0_NS });
  apply({ Type: 'EvalUpsert', Evals: [mockEval('e1', 'web', { Status: 'complete' })] });
  assert.equal(store.snapshot().jobByID('default', 'web')!.Status, 'running');

  await gc.run(true);
  const snap = store.snapshot();
  assert.ok(snap.deploymentByID('d1'), 'kept: its allocation runs');
  assert.equal(snap.deploymentByID('d0'), null, 'an unused older deployment is collected');

  // Its allocation is done while the job lives on (as a batch job would): the latest deployment stays.
  apply({ Type: 'AllocClientUpdate', Updates: [{ ID: 'a1', ClientStatus: 'complete', ClientDescription: '', TaskStates: {}, DeploymentStatus: null }], Evals: [], TimestampNs: T0_NS });
  apply({ Type: 'EvalUpsert', Evals: [mockEval('e2', 'web', { Status: 'blocked' })] });
  assert.notEqual(store.snapshot().jobByID('default', 'web')!.Status, 'dead');
  await gc.run(true);
  assert.ok(store.snapshot().deploymentByID('d1'), 'kept: the latest deployment of a live job');

  // The job is stopped and done: nothing keeps the deployment any more.
  apply({ Type: 'EvalUpsert', Evals: [mockEval('e2', 'web', { Status: 'complete' })] });
  apply({ Type: 'JobDeregister', Namespace: 'default', JobID: 'web', Purge: false, Eval: null, SubmitTimeNs: T0_NS });
  await gc.run(true);
  assert.equal(store.snapshot().deploymentByID('d1'), null);
});
