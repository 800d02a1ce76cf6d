// /v1/jobs, /v1/job/:id/..., /v1/validate/job, /v1/jobs/parse.
import type { Job, JobInput } from '../structs/job.js';
import { MultiError, NomadError, badRequest, notFound, formatMultiError } from '../structs/errors.js';
import { diffJobs } from '../structs/diff.js';
import { canonicalizeJob } from '../structs/canonicalize.js';
import type { StateReader } from '../state/reader.js';
import { watchKey } from '../state/watch-keys.js';
import type { RouteTable } from './route-table.js';
import { namespaceNeed } from '../acl/need.js';
import { blockingRead, queryMeta, type ApiContext, type Handler } from './api-context.js';
import type { Exchange } from './exchange.js';
import { HttpError } from './exchange.js';
import { allocStub, encodeEval, jobStub, jobStubText } from './encode.js';
import { optBool, optInt, optObject, optString } from './body-fields.js';
import { JsonList } from './json-slices.js';
import { visibleOnly } from './visible.js';
import { JOB_PLAN_REQUEST, JOB_REGISTER_REQUEST, JOB_VALIDATE_REQUEST, type StructType } from '../structs/job-shape.js';
import { decodeApiBody } from '../structs/api-decode.js';


function jobOr404(snap: StateReader, ns: string, id: string): Job {
  const job = snap.jobByID(ns, id);
  if (!job) throw notFound('job not found');
  return job;
}

export async function writeMeta(x: Exchange, api: ApiContext, index: number, value: Record<string, unknown>): Promise<void> {
  const meta = queryMeta(api, index);
  x.setMeta(meta);
  await x.sendJson(200, { ...value, LastContact: meta.lastContactMs, KnownLeader: meta.knownLeader });
}

/** A job write's body, its fields checked against the API's structs as Nomad's decoder does. */
async function jobRequest(x: Exchange, shape: StructType): Promise<Record<string, unknown>> {
  return decodeApiBody(await x.body(), shape);
}

/**
 * A submitted job is stored with the region that serves it: a request for another region was
 * sent there before reaching a handler (request-region.ts), so that is this agent's region.
 */
function placeInThisRegion(job: Record<string, unknown>, api: ApiContext): void {
  job.Region = api.server.region;
}

async function register(x: Exchange, api: ApiContext, urlJobId: string | null): Promise<void> {
  const body = await jobRequest(x, JOB_REGISTER_REQUEST);
  const job = optObject(body, 'Job');
  if (!job) throw badRequest('Job must be specified', 'Job');
  if (urlJobId !== null && job.ID !== urlJobId) throw badRequest('Job ID does not match name', 'Job.ID');
  placeInThisRegion(job, api);
  const out = await api.server.jobs.register(job as JobInput, {
    enforceIndex: optBool(body, 'EnforceIndex'),
    jobModifyIndex: optInt(body, 'JobModifyIndex') ?? 0,
    policyOverride: optBool(body, 'PolicyOverride'),
    preserveCounts: optBool(body, 'PreserveCounts'),
    namespace: x.namespace,
  });
  await writeMeta(x, api, out.Index, { ...out });
}

// The rows are the jobs and their summaries, nothing else: the list follows from its keys.
const listJobs: Handler = (x, api) =>
  blockingRead(
    x,
    api,
    ['jobs', 'job_summary'],
    (snap) => {
      const prefix = x.query.get('prefix') ?? '';
      const jobs = prefix ? snapJobsByPrefix(snap, x.namespace, prefix) : snap.jobs(x.namespace);
      const visible = visibleOnly(x, jobs, ['list-jobs']);
      return { index: Math.max(snap.tableIndex('jobs'), snap.tableIndex('job_summary')), value: new JsonList(visible, (j) => jobStub(j, snap), (j) => jobStubText(j, snap)) };
    },
    { followsKeys: true },
  );

function snapJobsByPrefix(snap: StateReader, ns: string, prefix: string): Job[] {
  if (ns !== '*') return snap.jobsByIDPrefix(ns, prefix);
  return snap.jobs('*').filter((j) => j.ID.startsWith(prefix));
}

const getJob: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.job(x.namespace, x.params.id!)], (snap) => {
    const job = jobOr404(snap, x.namespace, x.params.id!);
    return { index: job.ModifyIndex, value: job };
  });

const deleteJob: Handler = async (x, api) => {
  const out = await api.server.jobs.deregister(x.namespace, x.params.id!, x.flag('purge'));
  await writeMeta(x, api, out.Index, { ...out });
};

const planJob: Handler = async (x, api) => {
  const body = await jobRequest(x, JOB_PLAN_REQUEST);
  const job = optObject(body, 'Job');
  if (!job) throw badRequest('Job must be specified', 'Job');
  if (job.ID !== x.params.id) throw badRequest('Job ID does not match', 'Job.ID');
  placeInThisRegion(job, api);
  const out = await api.server.jobs.plan(job as JobInput, { diff: optBool(body, 'Diff'), contextual: optBool(body, 'Contextual'), namespace: x.namespace, policyOverride: optBool(body, 'PolicyOverride') });
  await writeMeta(x, api, out.Index, {
    ...out,
    CreatedEvals: out.CreatedEvals ? out.CreatedEvals.map((e) => encodeEval(e)) : null,
  });
};

// A job that does not exist (yet) has no allocations: 200 [] and a blocking query that waits
// for the first, as Nomad answers.
const jobAllocations: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.jobAllocs(x.namespace, x.params.id!)], (snap) => {
    const allocs = snap.allocsByJob(x.namespace, x.params.id!, x.flag('all'));
    return { index: snap.tableIndex('allocs'), value: new JsonList(allocs, (a) => allocStub(a, snap)) };
  });

const jobEvaluations: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.jobEvals(x.namespace, x.params.id!)], (snap) => ({
    index: snap.tableIndex('evals'),
    value: new JsonList(snap.evalsByJob(x.namespace, x.params.id!), encodeEval),
  }));

const jobSummary: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.jobSummary(x.namespace, x.params.id!)], (snap) => {
    const s = snap.jobSummary(x.namespace, x.params.id!);
    if (!s) throw notFound('job not found');
    return { index: s.ModifyIndex, value: s };
  });

const jobVersions: Handler = async (x, api) => {
  const wantDiffs = x.flag('diffs');
  const snap = api.store.snapshot();
  const versions = snap.jobVersions(x.namespace, x.params.id!);
  if (versions.length === 0) {
    x.setMeta(queryMeta(api, snap.tableIndex('job_version')));
    throw notFound('job versions not found');
  }
  // Versions come newest first; each diff goes from the next older version to this one, with
  // context (unchanged fields of changed blocks) as Nomad's `job history -p` shows them.
  const diffs = wantDiffs ? versions.slice(0, -1).map((v, i) => diffJobs(versions[i + 1]!, v, true)) : null;
  const index = Math.max(...versions.map((v) => v.ModifyIndex));
  await writeMeta(x, api, index, { Versions: versions, Diffs: diffs && diffs.length ? diffs : null, Index: index });
};

const jobDeployments: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.jobDeployments(x.namespace, x.params.id!)], (snap) => ({ index: snap.tableIndex('deployment'), value: snap.deploymentsByJob(x.namespace, x.params.id!) }));

const jobLatestDeployment: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.jobDeployments(x.namespace, x.params.id!)], (snap) => ({ index: snap.tableIndex('deployment'), value: snap.latestDeploymentByJob(x.namespace, x.params.id!) }));

const evaluateJob: Handler = async (x, api) => {
  const body = await x.objectBody(true);
  const opts = optObject(body, 'EvalOptions') ?? {};
  const out = await api.server.jobs.evaluate(x.namespace, x.params.id!, optBool(opts, 'ForceReschedule', 'EvalOptions.ForceReschedule'));
  await writeMeta(x, api, out.Index, { ...out });
};

const stableJob: Handler = async (x, api) => {
  const body = await x.objectBody();
  const version = optInt(body, 'JobVersion');
  if (version === null) throw badRequest('JobVersion must be specified', 'JobVersion');
  const out = await api.server.jobs.setStability(x.namespace, x.params.id!, version, optBool(body, 'Stable'));
  await writeMeta(x, api, out.Index, { ...out });
};

const revertJob: Handler = async (x, api) => {
  const body = await x.objectBody();
  const version = optInt(body, 'JobVersion');
  if (version === null) throw badRequest('JobVersion must be specified', 'JobVersion');
  const out = await api.server.jobs.revert(x.namespace, x.params.id!, version, optInt(body, 'EnforcePriorVersion'));
  await writeMeta(x, api, out.Index, { ...out });
};

const validateJobRoute: Handler = async (x, api) => {
  const body = await jobRequest(x, JOB_VALIDATE_REQUEST);
  const job = optObject(body, 'Job');
  if (!job) throw badRequest('Job must be specified', 'Job');
  let errors: string[] = [];
  try {
    api.server.jobs.prepare(job as JobInput, x.namespace);
  } catch (e) {
    if (e instanceof MultiError) errors = e.errors;
    else if (e instanceof NomadError) errors = [e.message];
    else throw e;
  }
  await x.sendJson(200, {
    DriverConfigValidated: true,
    ValidationErrors: errors.length ? errors : null,
    Error: errors.length ? formatMultiError(errors) : '',
    Warnings: '',
  });
};

/** POST /v1/jobs/parse: HCL to the API's JSON, with every problem and its position on failure. */
const parseJob: Handler = async (x) => {
  const body = await x.objectBody();
  const hcl = optString(body, 'JobHCL');
  if (!hcl) throw badRequest('Job spec is empty', 'JobHCL');
  const vars: Record<string, string> = {};
  const rawVars = optObject(body, 'Variables');
  for (const [k, v] of Object.entries(rawVars ?? {})) vars[k] = String(v);
  // The job file parser is loaded on first use: most agents never parse HCL themselves.
  const { parseJobFile, formatJobspecError } = await import('../jobspec/index.js');
  const { job, errors } = parseJobFile(hcl, 'input.hcl', { vars });
  if (errors.length > 0 || !job) throw badRequest(errors.map(formatJobspecError).join('\n'), 'JobHCL');
  await x.sendJson(200, optBool(body, 'Canonicalize') ? canonicalizeJob(job) : job);
};

const LIST_JOBS = namespaceNeed('list-jobs');
const READ_JOB = namespaceNeed('read-job');
const SUBMIT_JOB = namespaceNeed('submit-job');

export function addJobRoutes(r: RouteTable): void {
  const W = ['PUT', 'POST'];
  r.add(['GET'], '/v1/jobs', LIST_JOBS, listJobs);
  r.add(W, '/v1/jobs', SUBMIT_JOB, (x, api) => register(x, api, null), 'job-body', 'job-body');
  r.add(W, '/v1/jobs/parse', namespaceNeed('parse-job'), parseJob);
  r.add(W, '/v1/validate/job', READ_JOB, validateJobRoute, 'job-body');
  r.add(['GET'], '/v1/job/:id', READ_JOB, getJob);
  r.add(W, '/v1/job/:id', SUBMIT_JOB, (x, api) => register(x, api, x.params.id!), 'job-body', 'job-body');
  r.add(['DELETE'], '/v1/job/:id', SUBMIT_JOB, deleteJob);
  r.add(W, '/v1/job/:id/plan', SUBMIT_JOB, planJob, 'job-body', 'job-body');
  r.add(['GET'], '/v1/job/:id/allocations', READ_JOB, jobAllocations);
  r.add(['GET'], '/v1/job/:id/evaluations', READ_JOB, jobEvaluations);
  r.add(['GET'], '/v1/job/:id/summary', READ_JOB, jobSummary);
  r.add(['GET'], '/v1/job/:id/versions', READ_JOB, jobVersions);
  r.add(['GET'], '/v1/job/:id/deployments', READ_JOB, jobDeployments);
  r.add(['GET'], '/v1/job/:id/deployment', READ_JOB, jobLatestDeployment);
  // Creating an evaluation is a write: it asks for submit-job rather than only read-job.
  r.add(W, '/v1/job/:id/evaluate', SUBMIT_JOB, evaluateJob);
  r.add(W, '/v1/job/:id/stable', SUBMIT_JOB, stableJob);
  r.add(W, '/v1/job/:id/revert', SUBMIT_JOB, revertJob);
}
