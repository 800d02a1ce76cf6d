// Periodic launches in the FSM. The leader's dispatcher recovers from these after an election:
// a job whose next launch after its last one has passed while no leader ran it launches at once.
// The first record of a periodic job is the time it was registered; each child a periodic
// parent launches records the launch time its ID carries.
import type { Job } from '../structs/job.js';
import { isPeriodicActive, launchTimeOfChild } from '../structs/periodic.js';
import { NS_PER_MS, rfc3339Nano } from '../structs/time.js';
import type { ApplyContext } from './fsm-context.js';

export function recordPeriodicLaunch(ctx: ApplyContext, job: Job, submitTimeNs: number): void {
  const { txn, index } = ctx;
  if (isPeriodicActive(job) && txn.periodicLaunch(job.Namespace, job.ID) === undefined) {
    txn.putPeriodicLaunch({ ID: job.ID, Namespace: job.Namespace, Launch: rfc3339Nano(submitTimeNs), CreateIndex: index, ModifyIndex: index });
  }
  if (job.ParentID === '') return;
  const parent = txn.job(job.Namespace, job.ParentID);
  if (parent === undefined || parent.Periodic === null || !parent.Periodic.Enabled) return;
  const launchMs = launchTimeOfChild(job.ID);
  if (launchMs === null) return;
  const existing = txn.periodicLaunch(job.Namespace, parent.ID);
  txn.putPeriodicLaunch({ ID: parent.ID, Namespace: job.Namespace, Launch: rfc3339Nano(launchMs * NS_PER_MS), CreateIndex: existing?.CreateIndex ?? index, ModifyIndex: index });
}

export function forgetPeriodicLaunch(ctx: ApplyContext, namespace: string, jobId: string): void {
  ctx.txn.deletePeriodicLaunch(namespace, jobId);
}
