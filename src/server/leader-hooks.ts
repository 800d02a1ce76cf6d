// What the leader does after each of its entries has been applied: evaluations go to the broker
// (pending) or to the blocked set (blocked), and changes that free or add capacity unblock the
// evals waiting for that node class. Entries carry the evals they create, so this needs no scan.
import type { Evaluation } from '../structs/evaluation.js';
import { clientTerminal } from '../structs/alloc.js';
import type { LogEntry } from '../state/log-entries.js';
import { planAllocsUpdated } from '../state/alloc-deltas.js';
import type { StateReader } from '../state/reader.js';
import type { BlockedEvals } from './blocked-evals.js';
import type { EvalBroker } from './eval-broker.js';

export function evalsOf(entry: LogEntry): Evaluation[] {
  switch (entry.Type) {
    case 'JobRegister':
    case 'JobDeregister':
    case 'DeploymentStatus':
    case 'DeploymentPromote':
    case 'DeploymentAllocHealth':
      return entry.Eval ? [entry.Eval] : [];
    case 'EvalUpsert':
    case 'PlanApply':
    case 'NodeUpdateStatus':
    case 'NodeUpdateEligibility':
    case 'AllocClientUpdate':
    case 'AllocDesiredTransition':
      return entry.Evals;
    default:
      return [];
  }
}

/** Routes one evaluation, as stored, to where the leader tracks it. */
export function routeEval(ev: Evaluation, broker: EvalBroker, blocked: BlockedEvals): void {
  if (ev.Status === 'pending') broker.enqueue(ev);
  else if (ev.Status === 'blocked') blocked.block(ev);
  else if (ev.Status === 'complete' && (!ev.FailedTGAllocs || Object.keys(ev.FailedTGAllocs).length === 0) && !ev.BlockedEval) {
    // The job was placed in full: an older blocked eval of it has nothing left to do.
    blocked.untrack(ev.Namespace, ev.JobID);
  }
}

export function afterApply(entry: LogEntry, index: number, snap: StateReader, broker: EvalBroker, blocked: BlockedEvals): void {
  for (const ev of evalsOf(entry)) routeEval(snap.evalByID(ev.ID) ?? { ...ev, CreateIndex: index, ModifyIndex: index }, broker, blocked);

  const classes = new Set<string>();
  const classOf = (nodeId: string): void => {
    const n = snap.nodeByID(nodeId);
    if (n && n.Status === 'ready' && n.SchedulingEligibility === 'eligible') classes.add(n.ComputedClass);
  };
  switch (entry.Type) {
    case 'NodeRegister':
      classOf(entry.Node.ID);
      break;
    case 'NodeUpdateStatus':
      if (entry.Status === 'ready') classOf(entry.NodeID);
      break;
    case 'NodeUpdateEligibility':
      if (entry.Eligibility === 'eligible') classOf(entry.NodeID);
      break;
    case 'NodeUpdateDrain':
      if (entry.MarkEligible || entry.DrainStrategy === null) classOf(entry.NodeID);
      break;
    case 'AllocClientUpdate':
      for (const u of entry.Updates) {
        if (!clientTerminal(u.ClientStatus)) continue;
        const a = snap.allocByID(u.ID);
        if (a) classOf(a.NodeID);
      }
      break;
    case 'PlanApply':
      for (const s of entry.AllocsStopped) {
        const a = snap.allocByID(s.ID);
        if (a) classOf(a.NodeID);
      }
      // A stored allocation written again (updated in place) may ask for less than before.
      for (const a of planAllocsUpdated(entry)) if (a.CreateIndex !== 0) classOf(a.NodeID);
      break;
    // A stopped job's blocked eval stays tracked: it is cancelled (and untracked) when an eval of
    // the job succeeds, the stop's own or a later one. Untracked now, it would stay blocked in the
    // state for good if the job ran again before the stop was evaluated.
    default:
      break;
  }
  for (const c of classes) blocked.unblock(c, index);
}
