// Evaluations in the FSM: upsert with the job summary's queued counts, blocked evaluations
// cancelled once a newer one for the job succeeds, and deletion by the garbage collector.
import { badRequest } from '../structs/errors.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { ApplyContext } from './fsm-context.js';

export function upsertEval(ctx: ApplyContext, input: Evaluation, where: string): void {
  const { txn, index } = ctx;
  if (input === null || typeof input !== 'object' || typeof input.ID !== 'string' || input.ID === '') {
    throw badRequest(`${where}: evaluation has no ID`, where);
  }
  if (typeof input.Namespace !== 'string' || input.Namespace === '') {
    throw badRequest(`${where}: evaluation ${input.ID} has no namespace`, `${where}.Namespace`);
  }
  const existing = txn.evaluation(input.ID);
  const ev: Evaluation = {
    ...input,
    CreateIndex: existing?.CreateIndex ?? index,
    ModifyIndex: index,
  };

  // The queued counts of the job's summary follow the latest evaluation's.
  const summary = txn.jobSummary(ev.Namespace, ev.JobID);
  if (summary !== undefined && ev.QueuedAllocations !== null && ev.QueuedAllocations !== undefined) {
    let changed = false;
    const groups = { ...summary.Summary };
    for (const [tg, queued] of Object.entries(ev.QueuedAllocations)) {
      const cur = groups[tg];
      if (cur === undefined) {
        ctx.logger.warn('evaluation queues allocations for a task group the job summary lacks', {
          evalId: ev.ID,
          jobId: ev.JobID,
          taskGroup: tg,
        });
        continue;
      }
      if (cur.Queued !== queued) {
        groups[tg] = { ...cur, Queued: queued };
        changed = true;
      }
    }
    if (changed) txn.putJobSummary({ ...summary, Summary: groups, ModifyIndex: index });
  }

  // A successful evaluation supersedes the job's blocked ones. Only a job with evaluations that
  // are not terminal can have blocked ones: the others skip a walk over all their evaluations.
  if (
    ev.Status === 'complete' &&
    (ev.FailedTGAllocs === null || Object.keys(ev.FailedTGAllocs).length === 0) &&
    txn.jobCounts(ev.Namespace, ev.JobID).liveEvals > 0
  ) {
    for (const id of txn.evalIdsByJob(ev.Namespace, ev.JobID)) {
      const other = txn.evaluation(id);
      if (other === undefined || other.ID === ev.ID || other.Status !== 'blocked') continue;
      txn.putEval({
        ...other,
        Status: 'canceled',
        StatusDescription: `evaluation "${ev.ID}" successful`,
        ModifyIndex: index,
      });
    }
  }

  txn.putEval(ev);
  ctx.markJob(ev.Namespace, ev.JobID, '');
}

export function upsertEvals(ctx: ApplyContext, evals: readonly Evaluation[] | null | undefined, where: string): void {
  if (evals === null || evals === undefined) return;
  if (!Array.isArray(evals)) throw badRequest(`${where}: expected a list of evaluations`, where);
  evals.forEach((ev, i) => upsertEval(ctx, ev, `${where}[${i}]`));
}

/** Touches an evaluation's ModifyIndex (a plan was applied for it). */
export function touchEval(ctx: ApplyContext, evalId: string): void {
  const ev = ctx.txn.evaluation(evalId);
  if (ev === undefined) return;
  ctx.txn.putEval({ ...ev, ModifyIndex: ctx.index });
}

export function deleteEvalsAndAllocs(ctx: ApplyContext, evalIds: readonly string[], allocIds: readonly string[]): void {
  const { txn } = ctx;
  for (const id of evalIds) {
    const old = txn.deleteEval(id);
    if (old !== undefined) ctx.markJob(old.Namespace, old.JobID, '', true);
  }
  for (const id of allocIds) {
    const old = txn.alloc(id);
    if (old === undefined) continue;
    txn.deleteAlloc(id);
    ctx.markJob(old.Namespace, old.JobID, '', true);
  }
  txn.touch('evals');
  txn.touch('allocs');
}
