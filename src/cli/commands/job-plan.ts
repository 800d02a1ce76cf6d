// `nomad job plan`: a dry run on the servers; prints the diff, what the scheduler would do, and
// the modify index to pass to `job run -check-index`.
import { groupDrivers } from '../views.js';
import { defineCommand, argsError, errText } from '../base.js';
import { JSON_FLAG_HELP, VAR_FLAGS_HELP, loadJobArg, withJobFileFlags } from '../jobfile.js';
import { formatDryRun, formatJobDiff, formatJobModifyIndex, planExitCode } from '../plan-diff.js';

/** Nomad's plan exits 255 on errors, since 1 already means "changes". */
const PLAN_ERROR_EXIT = 255;

export const jobPlanCommand = defineCommand({
  name: 'job plan',
  synopsis: 'Dry-run a job update to determine its effects',
  help: `Usage: nomad job plan [options] <path>

  Asks the scheduler what submitting the job at <path> would change, without
  changing anything: the difference to the running version, the allocations it
  would create, update or stop, and whether they all fit. Exit codes: 0 when
  nothing would be placed or stopped, 1 when allocations would change, 255 on
  error.

Plan Options:

  -diff
    Show the difference to the running job (default true; -diff=false hides it).

${JSON_FLAG_HELP}

${VAR_FLAGS_HELP}

  -verbose
    Show every field of the diff, changed or not.
`,
  api: true,
  flags: (fs) => withJobFileFlags(fs.bool('diff', true).bool('verbose').bool('policy-override')),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) {
      argsError(io, 'job plan', 'This command takes one argument: <path>');
      return PLAN_ERROR_EXIT;
    }
    const path = args[0]!;
    const job = await loadJobArg(path, flags, io);
    if (!job) return PLAN_ERROR_EXIT;
    if (flags.string('namespace') && !job.Namespace) job.Namespace = flags.string('namespace');
    const api = client();
    // As Nomad's: a job that names its region is planned there.
    if (job.Region) api.setRegion(job.Region);
    let resp;
    try {
      resp = (await api.jobs.plan(job, flags.bool('diff'))).body;
    } catch (err) {
      io.err(`Error during plan: ${errText(err)}`);
      return PLAN_ERROR_EXIT;
    }
    if (flags.bool('diff') && resp.Diff) io.out(`${formatJobDiff(resp.Diff, flags.bool('verbose')).trim()}\n`);
    io.out('Scheduler dry-run:');
    io.out(formatDryRun(resp, String(job.Type ?? 'service'), io.nowMs(), groupDrivers(job)));
    io.out('');
    if (resp.Warnings) io.out(`Job Warnings:\n${resp.Warnings}\n`);
    io.out(formatJobModifyIndex(resp.JobModifyIndex, path));
    return planExitCode(resp);
  },
});
