// `nomad job init | validate | inspect | history | stop`.
import { writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Job, JobListStub } from '../../structs/index.js';
import type { NomadClient } from '../../api/index.js';
import type { Io } from '../context.js';
import { argsError, defineCommand, errText } from '../base.js';
import { EXAMPLE_JOB_FULL, EXAMPLE_JOB_SHORT } from '../example-job.js';
import { FULL_ID_LENGTH, SHORT_ID_LENGTH, formatKV, formatUnixNanoTime } from '../format.js';
import { JSON_FLAG_HELP, VAR_FLAGS_HELP, loadJobArg, withJobFileFlags } from '../jobfile.js';
import { EvalMonitor } from '../monitor.js';
import { formatJobDiff } from '../plan-diff.js';
import { formatJobList } from './job-status.js';

export const jobInitCommand = defineCommand({
  name: 'job init',
  synopsis: 'Create an example job file',
  help: `Usage: nomad job init [options] [filename]

  Writes an example job file (example.nomad unless a name is given) to start
  from. An existing file is never overwritten.

Init Options:

  -short
    Leave out the explanatory comments and optional blocks.
`,
  api: false,
  flags: (fs) => fs.bool('short').bool('connect'),
  async run({ flags, args, io }) {
    if (args.length > 1) return argsError(io, 'job init', 'This command takes no arguments or one: <filename>');
    const name = args[0] ?? 'example.nomad';
    const full = isAbsolute(name) ? name : resolve(io.cwd, name);
    try {
      await writeFile(full, flags.bool('short') ? EXAMPLE_JOB_SHORT : EXAMPLE_JOB_FULL, { flag: 'wx', mode: 0o660 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        io.err(`Job '${name}' already exists`);
        return 1;
      }
      io.err(`Failed to write '${name}': ${errText(err)}`);
      return 1;
    }
    io.out(`Example job file written to ${name}`);
    return 0;
  },
});

export const jobValidateCommand = defineCommand({
  name: 'job validate',
  synopsis: 'Check a job specification for syntax errors',
  help: `Usage: nomad job validate [options] <path>

  Checks the job file at <path>: its syntax locally, then its content on the
  agent. Prints every problem found and exits 1, or "Job validation successful".

Validate Options:

${JSON_FLAG_HELP}

${VAR_FLAGS_HELP}
`,
  api: true,
  flags: (fs) => withJobFileFlags(fs),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'job validate', 'This command takes one argument: <path>');
    const job = await loadJobArg(args[0]!, flags, io);
    if (!job) return 1;
    let resp;
    try {
      resp = (await client().jobs.validate(job)).body;
    } catch (err) {
      io.err(`Error validating job: ${errText(err)}`);
      return 1;
    }
    const errors = resp.ValidationErrors ?? [];
    if (errors.length > 0 || resp.Error) {
      const text = errors.length > 0 ? formatErrorList(errors) : resp.Error;
      io.err(`Job validation errors:\n${text}`);
      return 1;
    }
    if (resp.Warnings) io.out(`Job Warnings:\n${resp.Warnings}\n`);
    io.out('Job validation successful');
    return 0;
  },
});

function formatErrorList(errors: string[]): string {
  const head = errors.length === 1 ? '1 error occurred:' : `${errors.length} errors occurred:`;
  return `${head}\n${errors.map((e) => `\t* ${e}`).join('\n')}\n`;
}

/** Finds the one job a prefix names; prints Nomad's messages and returns null otherwise. */
export async function resolveJob(client: NomadClient, io: Io, prefix: string): Promise<JobListStub | null> {
  let jobs: JobListStub[];
  try {
    jobs = (await client.jobs.list({ prefix })).body ?? [];
  } catch (err) {
    io.err(`Error finding jobs with prefix: ${prefix} err: ${errText(err)}`);
    return null;
  }
  if (jobs.length === 0) {
    io.err(`No job(s) with prefix or id "${prefix}" found`);
    return null;
  }
  const exact = jobs.find((j) => j.ID === prefix);
  if (jobs.length > 1 && !exact) {
    io.err(`Prefix matched multiple jobs\n\n${formatJobList(jobs, false)}`);
    return null;
  }
  return exact ?? jobs[0]!;
}

export const jobInspectCommand = defineCommand({
  name: 'job inspect',
  synopsis: 'Inspect a submitted job',
  help: `Usage: nomad job inspect [options] <job>

  Prints the job as the servers store it, in JSON.

Inspect Options:

  -version <job version>
    Print the given version of the job instead of the latest.
`,
  api: true,
  flags: (fs) => fs.int('version').bool('json').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'job inspect', 'This command takes one argument: <job>');
    const api = client();
    const stub = await resolveJob(api, io, args[0]!);
    if (!stub) return 1;
    let job: Job | undefined;
    try {
      if (flags.isSet('version')) {
        const versions = (await api.jobs.versions(stub.ID, false)).body.Versions ?? [];
        job = versions.find((v) => v.Version === flags.int('version'));
        if (!job) {
          io.err(`Error inspecting job: job "${stub.ID}" has no version ${flags.int('version')}`);
          return 1;
        }
      } else {
        job = (await api.jobs.info(stub.ID)).body;
      }
    } catch (err) {
      io.err(`Error inspecting job: ${errText(err)}`);
      return 1;
    }
    io.out(JSON.stringify({ Job: job }, null, 4));
    return 0;
  },
});

export const jobHistoryCommand = defineCommand({
  name: 'job history',
  synopsis: 'Display all tracked versions of a job',
  help: `Usage: nomad job history [options] <job>

  Lists the versions of a job the servers keep, newest first.

History Options:

  -p
    Show the difference between each version and the one before it.

  -full
    Show each version's full job in JSON.

  -version <job version>
    Show only the given version.

  -json
    Print the versions in JSON.
`,
  api: true,
  flags: (fs) => fs.bool('p').bool('full').int('version').bool('json').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'job history', 'This command takes one argument: <job>');
    const api = client();
    const stub = await resolveJob(api, io, args[0]!);
    if (!stub) return 1;
    let versions: Job[];
    let diffs;
    try {
      const body = (await api.jobs.versions(stub.ID, flags.bool('p'))).body;
      versions = body.Versions ?? [];
      diffs = body.Diffs ?? [];
    } catch (err) {
      io.err(`Error reading job versions: ${errText(err)}`);
      return 1;
    }
    if (flags.bool('json')) {
      io.out(JSON.stringify(versions, null, 4));
      return 0;
    }
    const blocks: string[] = [];
    for (let i = 0; i < versions.length; i++) {
      const v = versions[i]!;
      if (flags.isSet('version') && v.Version !== flags.int('version')) continue;
      const rows = [`Version|${v.Version}`, `Stable|${v.Stable}`, `Submit Date|${formatUnixNanoTime(v.SubmitTime)}`];
      let text = formatKV(rows);
      const diff = flags.bool('p') && i < diffs.length ? diffs[i] : undefined;
      if (diff) text += `\nDiff        =\n${formatJobDiff(diff, false).trim()}`;
      if (flags.bool('full')) text += `\nFull        = JSON Job:\n${JSON.stringify(v, null, 4)}`;
      blocks.push(text);
    }
    if (flags.isSet('version') && blocks.length === 0) {
      io.err(`Error: job "${stub.ID}" has no version ${flags.int('version')}`);
      return 1;
    }
    io.out(blocks.join('\n\n'));
    return 0;
  },
});

/** A stop succeeded whatever way the job's latest deployment ended (a stop cancels a running one). */
const STOP_ACCEPTS = ['cancelled', 'failed'];

export const jobStopCommand = defineCommand({
  name: 'job stop',
  synopsis: 'Stop a running job',
  help: `Usage: nomad job stop [options] <job>

  Stops every allocation of the job and follows the resulting evaluation.
  The job stays registered (as "dead (stopped)") unless -purge is given.

Stop Options:

  -detach
    Print the evaluation ID and return at once.

  -purge
    Remove the job from the servers entirely instead of marking it stopped.

  -yes
    Do not ask for confirmation when <job> is only a prefix of the job's ID.

  -verbose
    Show full IDs.
`,
  api: true,
  flags: (fs) => fs.bool('detach').bool('purge').bool('yes').bool('verbose').bool('global'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'job stop', 'This command takes one argument: <job>');
    const api = client();
    const stub = await resolveJob(api, io, args[0]!);
    if (!stub) return 1;
    let resp;
    try {
      resp = (await api.jobs.deregister(stub.ID, flags.bool('purge'))).body;
    } catch (err) {
      io.err(`Error deregistering job: ${errText(err)}`);
      return 1;
    }
    if (!resp || !resp.EvalID) return 0;
    if (flags.bool('detach')) {
      io.out(resp.EvalID);
      return 0;
    }
    return new EvalMonitor(api, io, flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH, STOP_ACCEPTS).monitor(resp.EvalID);
  },
});
