import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FSM } from './fsm.js';
import { StateStore } from './store.js';
import { mockAlloc, mockDeployment, mockJob, mockPlanApply, T0_NS } from '../../test/unit/state-fixtures.js';

test("a plan's status update of a deployment that ended meanwhile is skipped; its allocations are still committed", () => {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  fsm.apply(1, { Type: 'JobRegister', Job: mockJob(), Eval: null, SubmitTimeNs: T0_NS });
  const job = store.snapshot().jobByID('default', 'example')!;
  const d = mockDeployment('dep-1', job);
  fsm.apply(2, mockPlanApply(job, { Deployment: d }));
  // The deployment watcher marks it successful...
  fsm.apply(3, { Type: 'DeploymentStatus', DeploymentID: 'dep-1', Status: 'successful', StatusDescription: 'Deployment completed successfully', Job: null, Eval: null, TimestampNs: T0_NS });
  // ...while a scheduler, working on an older snapshot, decided the same and placed an allocation.
  fsm.apply(
    4,
    mockPlanApply(job, {
      AllocsUpdated: [mockAlloc('alloc-1', 'node-1', { Job: job })],
      DeploymentUpdates: [{ DeploymentID: 'dep-1', Status: 'cancelled', StatusDescription: 'Cancelled due to newer version of job' }],
    }),
  );
  const s = store.snapshot();
  assert.equal(s.deploymentByID('dep-1')!.Status, 'successful');
  assert.ok(s.allocByID('alloc-1'));
  // An explicit status change of an ended deployment is still refused.
  assert.throws(() =>
    fsm.apply(5, { Type: 'DeploymentStatus', DeploymentID: 'dep-1', Status: 'failed', StatusDescription: 'Deployment marked as failed', Job: null, Eval: null, TimestampNs: T0_NS }),
  );
});
