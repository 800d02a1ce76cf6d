// /v1/jobs, /v1/job/:id/..., /v1/validate/job, /v1/jobs/parse
import type { AllocListStub, Evaluation, Job, JobInput, JobListStub, JobSummary } from '../structs/index.js';
import type { Deployment } from '../structs/deployment.js';
import { esc, type HttpTransport } from './http.js';
import type { Answer, QueryOptions, WriteMeta, WriteOptions } from './query.js';
import type {
  JobDeregisterResponse,
  JobDispatchResponse,
  PeriodicForceResponse,
  JobPlanResponse,
  JobRegisterRequest,
  JobRegisterResponse,
  JobValidateResponse,
  JobVersionsResponse,
} from './types.js';

export interface RegisterOptions extends WriteOptions {
  /** When set, the server refuses the write unless the job's JobModifyIndex equals this (0: must not exist). */
  enforceIndex?: number;
  policyOverride?: boolean;
  preserveCounts?: boolean;
}

export class Jobs {
  constructor(private readonly http: HttpTransport) {}

  list(q?: QueryOptions): Promise<Answer<JobListStub[]>> {
    return this.http.query('/v1/jobs', q);
  }

  async register(job: JobInput, opts: RegisterOptions = {}): Promise<{ body: JobRegisterResponse; meta: WriteMeta }> {
    const req: JobRegisterRequest = { Job: job };
    if (opts.enforceIndex !== undefined) {
      req.EnforceIndex = true;
      req.JobModifyIndex = opts.enforceIndex;
    }
    if (opts.policyOverride) req.PolicyOverride = true;
    if (opts.preserveCounts) req.PreserveCounts = true;
    return this.http.write('PUT', '/v1/jobs', req, opts);
  }

  info(jobId: string, q?: QueryOptions): Promise<Answer<Job>> {
    return this.http.query(`/v1/job/${esc(jobId)}`, q);
  }

  plan(job: JobInput, diff: boolean, w?: WriteOptions): Promise<{ body: JobPlanResponse; meta: WriteMeta }> {
    return this.http.write('PUT', `/v1/job/${esc(String(job.ID ?? ''))}/plan`, { Job: job, Diff: diff, PolicyOverride: false }, w);
  }

  deregister(jobId: string, purge: boolean, w: WriteOptions = {}): Promise<{ body: JobDeregisterResponse; meta: WriteMeta }> {
    const params = { ...(w.params ?? {}) };
    if (purge) params['purge'] = 'true';
    return this.http.write('DELETE', `/v1/job/${esc(jobId)}`, undefined, { ...w, params });
  }

  allocations(jobId: string, all: boolean, q: QueryOptions = {}): Promise<Answer<AllocListStub[]>> {
    const params = { ...(q.params ?? {}) };
    if (all) params['all'] = 'true';
    return this.http.query(`/v1/job/${esc(jobId)}/allocations`, { ...q, params });
  }

  evaluations(jobId: string, q?: QueryOptions): Promise<Answer<Evaluation[]>> {
    return this.http.query(`/v1/job/${esc(jobId)}/evaluations`, q);
  }

  summary(jobId: string, q?: QueryOptions): Promise<Answer<JobSummary>> {
    return this.http.query(`/v1/job/${esc(jobId)}/summary`, q);
  }

  versions(jobId: string, diffs: boolean, q: QueryOptions = {}): Promise<Answer<JobVersionsResponse>> {
    const params = { ...(q.params ?? {}) };
    if (diffs) params['diffs'] = 'true';
    return this.http.query(`/v1/job/${esc(jobId)}/versions`, { ...q, params });
  }

  deployments(jobId: string, q?: QueryOptions): Promise<Answer<Deployment[]>> {
    return this.http.query(`/v1/job/${esc(jobId)}/deployments`, q);
  }

  /** The most recent deployment, or null when the job never had one. */
  latestDeployment(jobId: string, q?: QueryOptions): Promise<Answer<Deployment | null>> {
    return this.http.query(`/v1/job/${esc(jobId)}/deployment`, q);
  }

  validate(job: JobInput, w?: WriteOptions): Promise<{ body: JobValidateResponse; meta: WriteMeta }> {
    return this.http.write('PUT', '/v1/validate/job', { Job: job }, w);
  }

  /** Server-side parsing of an HCL job file (POST /v1/jobs/parse). */
  parse(jobHcl: string, canonicalize: boolean): Promise<{ body: Job; meta: WriteMeta }> {
    return this.http.write('POST', '/v1/jobs/parse', { JobHCL: jobHcl, Canonicalize: canonicalize });
  }

  revert(jobId: string, version: number, enforcePriorVersion?: number, w?: WriteOptions): Promise<{ body: JobRegisterResponse; meta: WriteMeta }> {
    const body: Record<string, unknown> = { JobID: jobId, JobVersion: version };
    if (enforcePriorVersion !== undefined) body['EnforcePriorVersion'] = enforcePriorVersion;
    return this.http.write('PUT', `/v1/job/${esc(jobId)}/revert`, body, w);
  }

  /** Launches a child of a periodic job now (PUT /v1/job/:id/periodic/force). */
  periodicForce(jobId: string, w?: WriteOptions): Promise<{ body: PeriodicForceResponse; meta: WriteMeta }> {
    return this.http.write('PUT', `/v1/job/${esc(jobId)}/periodic/force`, undefined, w);
  }

  /**
   * Dispatches a parameterized job with a payload (bytes) and meta; an idempotency token makes a
   * retried dispatch return the child the first one made.
   */
  dispatch(jobId: string, meta: Record<string, string>, payload: Uint8Array | null, opts: { idPrefixTemplate?: string; idempotencyToken?: string } & WriteOptions = {}): Promise<{ body: JobDispatchResponse; meta: WriteMeta }> {
    const body: Record<string, unknown> = { JobID: jobId, Meta: meta, Payload: payload && payload.length > 0 ? Buffer.from(payload).toString('base64') : null };
    if (opts.idPrefixTemplate) body['IdPrefixTemplate'] = opts.idPrefixTemplate;
    const params = { ...(opts.params ?? {}) };
    if (opts.idempotencyToken) params['idempotency_token'] = opts.idempotencyToken;
    return this.http.write('PUT', `/v1/job/${esc(jobId)}/dispatch`, body, { ...opts, params });
  }

  /** Forces a new evaluation of the job (PUT /v1/job/:id/evaluate). */
  evaluate(jobId: string, forceReschedule: boolean, w?: WriteOptions): Promise<{ body: JobRegisterResponse; meta: WriteMeta }> {
    return this.http.write('PUT', `/v1/job/${esc(jobId)}/evaluate`, { JobID: jobId, EvalOptions: { ForceReschedule: forceReschedule } }, w);
  }
}
