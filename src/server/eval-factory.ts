// Building evaluations the way every server path needs them: all fields present, IDs and
// times fixed before the entry enters the log (the FSM never reads a clock).
import { newEvaluation, type Evaluation, type EvaluationFields } from '../structs/evaluation.js';
import type { Job } from '../structs/job.js';
import type { Clock, Random } from '../structs/clock.js';

/** Where a server takes its time and its IDs from (the system's, or a simulation's). */
export interface ServerEnv {
  readonly clock: Clock;
  readonly random: Random;
}

export type EvalFields = Omit<EvaluationFields, 'ID'> & Partial<Pick<Evaluation, 'ID'>>;

/** A new evaluation with a fresh ID, created now unless `timeNs` says when. */
export function newEval(env: ServerEnv, fields: EvalFields, timeNs: number = env.clock.nowNs()): Evaluation {
  return newEvaluation({ ID: env.random.uuid(), CreateTime: timeNs, ModifyTime: timeNs, ...fields });
}

/** An evaluation for a job, as job register/deregister/evaluate create them. */
export function jobEval(env: ServerEnv, job: Pick<Job, 'Namespace' | 'ID' | 'Type' | 'Priority'>, triggeredBy: string, extra: Partial<Evaluation> = {}, timeNs?: number): Evaluation {
  return newEval(env, { Namespace: job.Namespace, JobID: job.ID, Type: job.Type, Priority: job.Priority, TriggeredBy: triggeredBy, ...extra }, timeNs);
}

export function jobKey(namespace: string, jobId: string): string {
  return `${namespace}\u0000${jobId}`;
}
