// `nomad job status` / `nomad status <job>`: the job list, or one job's summary, deployment and
// allocations.
import type { AllocListStub, Evaluation, Job, JobListStub } from '../../structs/index.js';
import type { NomadClient } from '../../api/index.js';
import { isNotFound } from '../../api/index.js';
import type { Io } from '../context.js';
import { argsError, defineCommand, errText } from '../base.js';
import { FULL_ID_LENGTH, SHORT_ID_LENGTH, formatKV, formatList, formatTime, formatUnixNanoTime, limit } from '../format.js';
import { DISPATCH_LAUNCH_SUFFIX, PERIODIC_LAUNCH_SUFFIX, nextLaunchMs } from '../../structs/periodic.js';
import { NS_PER_S, formatDurationNs } from '../../structs/time.js';
import { formatAllocList, formatAllocMetrics, formatDeployment, groupDrivers, sortAllocsNewestFirst } from '../views.js';

export function jobStatusString(status: string, stop: boolean): string {
  return stop ? `${status} (stopped)` : status;
}

function typeString(j: JobListStub): string {
  if (j.Periodic) return `${j.Type}/periodic`;
  if (j.ParameterizedJob) return `${j.Type}/parameterized`;
  return j.Type;
}

export function formatJobList(jobs: JobListStub[], showNamespace: boolean): string {
  const rows = [showNamespace ? 'ID|Namespace|Type|Priority|Status|Submit Date' : 'ID|Type|Priority|Status|Submit Date'];
  for (const j of jobs) {
    const cells = [j.ID];
    if (showNamespace) cells.push(j.Namespace);
    cells.push(typeString(j), String(j.Priority), jobStatusString(j.Status, j.Stop), formatUnixNanoTime(j.SubmitTime));
    rows.push(cells.join('|'));
  }
  return formatList(rows);
}

export interface JobStatusOptions {
  verbose: boolean;
  allAllocs: boolean;
  evals: boolean;
  short: boolean;
}

export const jobStatusHelp = `Usage: nomad job status [options] <job>

  Shows the jobs registered with the cluster. With a job ID (or a unique prefix
  of one) it shows that job: its summary per task group, the latest deployment
  and its allocations. Without an argument it lists every job.

Job Status Options:

  -short
    Show only the job's basic information.

  -evals
    Also show the job's evaluations.

  -all-allocs
    Include allocations of earlier jobs that had the same ID.

  -verbose
    Show full IDs and absolute times.

  -json
    Print the job as JSON.
`;

export const jobStatusCommand = defineCommand({
  name: 'job status',
  synopsis: 'Display status information about a job',
  help: jobStatusHelp,
  api: true,
  flags: (fs) => fs.bool('short').bool('evals').bool('all-allocs').bool('verbose').bool('json').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length > 1) return argsError(io, 'job status', 'This command takes either no arguments or one: <job>');
    const opts: JobStatusOptions = {
      verbose: flags.bool('verbose'),
      allAllocs: flags.bool('all-allocs'),
      evals: flags.bool('evals'),
      short: flags.bool('short'),
    };
    if (args.length === 0) return listJobs(client(), io, flags.string('namespace') === '*');
    return showJobByPrefix(client(), io, args[0]!, opts, flags.bool('json'));
  },
});

export async function listJobs(client: NomadClient, io: Io, showNamespace: boolean): Promise<number> {
  let jobs: JobListStub[];
  try {
    jobs = (await client.jobs.list()).body ?? [];
  } catch (err) {
    io.err(`Error querying jobs: ${errText(err)}`);
    return 1;
  }
  if (jobs.length === 0) io.out('No running jobs');
  else io.out(formatJobList(jobs, showNamespace));
  return 0;
}

export async function showJobByPrefix(client: NomadClient, io: Io, prefix: string, opts: JobStatusOptions, json: boolean): Promise<number> {
  let jobs: JobListStub[];
  try {
    jobs = (await client.jobs.list({ prefix })).body ?? [];
  } catch (err) {
    io.err(`Error querying job: ${errText(err)}`);
    return 1;
  }
  if (jobs.length === 0) {
    io.err(`No job(s) with prefix or id "${prefix}" found`);
    return 1;
  }
  const exact = jobs.find((j) => j.ID === prefix);
  if (jobs.length > 1 && !exact) {
    io.out(`Prefix matched multiple jobs\n\n${formatJobList(jobs, false)}`);
    return 0;
  }
  const id = exact?.ID ?? jobs[0]!.ID;
  let job: Job;
  try {
    job = (await client.jobs.info(id)).body;
  } catch (err) {
    io.err(`Error querying job information: ${errText(err)}`);
    return 1;
  }
  if (json) {
    io.out(JSON.stringify(job, null, 4));
    return 0;
  }
  return showJob(client, io, job, opts);
}

export async function showJob(client: NomadClient, io: Io, job: Job, opts: JobStatusOptions): Promise<number> {
  const idLength = opts.verbose ? FULL_ID_LENGTH : SHORT_ID_LENGTH;
  const periodic = job.Periodic !== null && job.Periodic !== undefined;
  const parameterized = job.ParameterizedJob !== null && job.ParameterizedJob !== undefined;
  const basic = [
    `ID|${job.ID}`,
    `Name|${job.Name}`,
    `Submit Date|${formatUnixNanoTime(job.SubmitTime)}`,
    `Type|${job.Type}`,
    `Priority|${job.Priority}`,
    `Datacenters|${(job.Datacenters ?? []).join(',')}`,
    `Namespace|${job.Namespace}`,
    `Status|${jobStatusString(job.Status, job.Stop)}`,
    `Periodic|${periodic}`,
    `Parameterized|${parameterized}`,
  ];
  if (periodic && !parameterized) basic.push(`Next Periodic Launch|${job.Stop ? 'none (job stopped)' : nextLaunchText(job, io.nowMs())}`);
  io.out(formatKV(basic));
  if (opts.short) return 0;

  try {
    const out: string[] = [];
    if (parameterized) {
      const p = job.ParameterizedJob!;
      out.push(`\nParameterized Job\n${formatKV([`Payload|${p.Payload}`, `Required Metadata|${(p.MetaRequired ?? []).join(', ')}`, `Optional Metadata|${(p.MetaOptional ?? []).join(', ')}`])}`);
    }
    const summary = (await client.jobs.summary(job.ID)).body;
    if (summary) {
      if (!periodic && !parameterized) {
        const groups = Object.keys(summary.Summary ?? {}).sort();
        const rows = ['Task Group|Queued|Starting|Running|Failed|Complete|Lost'];
        for (const g of groups) {
          const s = summary.Summary[g]!;
          rows.push(`${g}|${s.Queued}|${s.Starting}|${s.Running}|${s.Failed}|${s.Complete}|${s.Lost}`);
        }
        out.push(`\nSummary\n${formatList(rows)}`);
      }
      const c = summary.Children;
      if (c && (periodic || parameterized || c.Pending + c.Running + c.Dead > 0)) {
        const title = parameterized ? 'Parameterized Job Summary' : 'Children Job Summary';
        out.push(`\n${title}\n${formatList(['Pending|Running|Dead', `${c.Pending}|${c.Running}|${c.Dead}`])}`);
      }
    }
    if (periodic || parameterized) {
      out.push(await childrenSection(client, job, parameterized));
      io.out(out.join('\n'));
      return 0;
    }

    const evals: Evaluation[] = (await client.jobs.evaluations(job.ID)).body ?? [];
    const failedEval = latestUnresolvedFailure(evals);
    if (opts.evals) {
      const rows = ['ID|Priority|Triggered By|Status|Placement Failures'];
      for (const e of evals) {
        const failures = Object.keys(e.FailedTGAllocs ?? {}).length > 0;
        rows.push(`${limit(e.ID, idLength)}|${e.Priority}|${e.TriggeredBy}|${e.Status}|${failures}`);
      }
      out.push(`\nEvaluations\n${formatList(rows)}`);
    }
    if (failedEval) {
      const groups = Object.keys(failedEval.FailedTGAllocs ?? {}).sort();
      const parts = groups.map((g) => {
        const text = formatAllocMetrics(failedEval.FailedTGAllocs![g]!, '  ', groupDrivers(job)[g]);
        return `Task Group "${g}":${text ? '\n' + text : ''}`;
      });
      out.push(`\nPlacement Failure\n${parts.join('\n\n')}`);
    }

    if (job.Type !== 'system' && job.Type !== 'sysbatch' && !periodic && !parameterized) {
      try {
        const d = (await client.jobs.latestDeployment(job.ID)).body;
        if (d) out.push(`\nLatest Deployment\n${formatLatestDeployment(d, idLength)}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }

    const allocs: AllocListStub[] = (await client.jobs.allocations(job.ID, opts.allAllocs)).body ?? [];
    out.push(`\nAllocations\n${formatAllocList(sortAllocsNewestFirst(allocs), opts.verbose, idLength, io.nowMs())}`);
    io.out(out.join('\n'));
  } catch (err) {
    io.err(`Error querying job information: ${errText(err)}`);
    return 1;
  }
  return 0;
}

/** "2026-11-21T17:39:05Z (59s from now)": when a periodic job launches next. */
export function nextLaunchText(job: Pick<Job, 'Periodic'>, nowMs: number): string {
  const next = job.Periodic ? nextLaunchMs(job.Periodic, nowMs) : null;
  if (next === null) return 'none';
  return `${formatTime(next)} (${formatDurationNs(Math.round((next - nowMs) / 1000) * NS_PER_S)} from now)`;
}

/** The children a periodic or parameterized job launched, as `job status` lists them. */
async function childrenSection(client: NomadClient, job: Job, parameterized: boolean): Promise<string> {
  const suffix = parameterized ? DISPATCH_LAUNCH_SUFFIX : PERIODIC_LAUNCH_SUFFIX;
  const children = ((await client.jobs.list({ prefix: job.ID + suffix })).body ?? []).filter((c) => c.ParentID === job.ID);
  if (children.length === 0) return parameterized ? '\nNo dispatched instances of parameterized job found' : '\nNo instances of periodic job found';
  const title = parameterized ? 'Dispatched Jobs' : 'Previously Launched Jobs';
  return `\n${title}\n${formatList(['ID|Status', ...children.map((c) => `${c.ID}|${c.Status}`)])}`;
}

/** The latest deployment block of `job status`: the header keeps only ID, status and description. */
function formatLatestDeployment(d: Parameters<typeof formatDeployment>[0], idLength: number): string {
  const full = formatDeployment(d, idLength);
  const lines = full.split('\n');
  // Drop "Job ID" and "Job Version" which the surrounding view already shows.
  const kept = formatKV([`ID|${limit(d.ID, idLength)}`, `Status|${d.Status}`, `Description|${d.StatusDescription}`]);
  const rest = lines.slice(5).join('\n');
  return rest ? `${kept}\n${rest}` : kept;
}

/** The newest evaluation with placement failures whose blocked follow-up is still waiting. */
function latestUnresolvedFailure(evals: Evaluation[]): Evaluation | null {
  const byId = new Map(evals.map((e) => [e.ID, e]));
  let best: Evaluation | null = null;
  for (const e of evals) {
    if (Object.keys(e.FailedTGAllocs ?? {}).length === 0) continue;
    const blocked = e.BlockedEval ? byId.get(e.BlockedEval) : undefined;
    if (e.BlockedEval && blocked && blocked.Status !== 'blocked') continue;
    if (!best || e.CreateIndex > best.CreateIndex) best = e;
  }
  return best;
}

