// /v1/job/:id/scale and /v1/scaling/...: scale status, scaling actions and scaling policies.
import type { ScalingPolicy, ScalingPolicyListStub, TaskGroupScaleStatus } from '../structs/scaling.js';
export type { TaskGroupScaleStatus } from '../structs/scaling.js';
import { esc, type HttpTransport } from './http.js';
import type { Answer, QueryOptions, WriteMeta, WriteOptions } from './query.js';
import type { JobRegisterResponse } from './types.js';

export interface JobScaleStatus {
  JobID: string;
  Namespace: string;
  JobCreateIndex: number;
  JobModifyIndex: number;
  JobStopped: boolean;
  TaskGroups: Record<string, TaskGroupScaleStatus>;
}

export interface ScaleAction {
  group: string;
  /** Absent: no change of count, only a recorded event. */
  count?: number;
  message?: string;
  error?: boolean;
  meta?: Record<string, unknown>;
  policyOverride?: boolean;
}

export class Scaling {
  constructor(private readonly http: HttpTransport) {}

  status(jobId: string, q?: QueryOptions): Promise<Answer<JobScaleStatus>> {
    return this.http.query(`/v1/job/${esc(jobId)}/scale`, q);
  }

  scale(jobId: string, action: ScaleAction, w?: WriteOptions): Promise<{ body: JobRegisterResponse; meta: WriteMeta }> {
    const body: Record<string, unknown> = {
      Count: action.count ?? null,
      Target: { Group: action.group },
      Message: action.message ?? '',
      Error: action.error ?? false,
      Meta: action.meta ?? null,
      PolicyOverride: action.policyOverride ?? false,
    };
    return this.http.write('POST', `/v1/job/${esc(jobId)}/scale`, body, w);
  }

  /** Filters: `job`, `type` (as ?job=, ?type=) and a prefix of the ID. */
  listPolicies(filters: { job?: string; type?: string } = {}, q: QueryOptions = {}): Promise<Answer<ScalingPolicyListStub[]>> {
    const params = { ...(q.params ?? {}) };
    if (filters.job) params['job'] = filters.job;
    if (filters.type) params['type'] = filters.type;
    return this.http.query('/v1/scaling/policies', { ...q, params });
  }

  policy(id: string, q?: QueryOptions): Promise<Answer<ScalingPolicy>> {
    return this.http.query(`/v1/scaling/policy/${esc(id)}`, q);
  }
}
