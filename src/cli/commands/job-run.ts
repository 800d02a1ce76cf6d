// `nomad job run`: parse the file locally, register it, then follow the evaluation and
// deployment until they end.
import { ApiError } from '../../api/index.js';
import { argsError, defineCommand, errText } from '../base.js';
import { FULL_ID_LENGTH, SHORT_ID_LENGTH } from '../format.js';
import { JSON_FLAG_HELP, VAR_FLAGS_HELP, loadJobArg, withJobFileFlags } from '../jobfile.js';
import { EvalMonitor } from '../monitor.js';
import { nextLaunchText } from './job-status.js';

const ENFORCE_INDEX_RE = /\((Enforcing job modify index[^)]*)\)/;

export const jobRunCommand = defineCommand({
  name: 'job run',
  synopsis: 'Run a new job or update an existing job',
  help: `Usage: nomad job run [options] <path>

  Submits the job described in the file at <path> (HCL, or JSON with -json) and,
  unless -detach is given, follows the evaluation it triggers and the deployment
  that follows, printing each change. Exit codes: 0 when the job was placed, 2
  when some allocations could not be placed, 1 on any other error.

Run Options:

  -check-index <index>
    Register only if the job's current modify index equals <index> (0 means the
    job must not exist yet). The value comes from "nomad job plan".

  -detach
    Print the evaluation ID and return at once instead of following it.

${JSON_FLAG_HELP}

  -output
    Print the job as the JSON the API receives, without submitting it.

${VAR_FLAGS_HELP}

  -verbose
    Show full IDs.
`,
  api: true,
  flags: (fs) =>
    withJobFileFlags(fs)
      .int('check-index')
      .bool('detach')
      .bool('verbose')
      .bool('output')
      .bool('policy-override')
      .bool('preserve-counts')
      .string('consul-token')
      .string('consul-namespace')
      .string('vault-token')
      .string('vault-namespace'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'job run', 'This command takes one argument: <path>');
    const path = args[0]!;
    const job = await loadJobArg(path, flags, io);
    if (!job) return 1;
    if (flags.string('consul-token')) job.ConsulToken = flags.string('consul-token');
    if (flags.string('vault-token')) job.VaultToken = flags.string('vault-token');
    if (flags.string('namespace') && !job.Namespace) job.Namespace = flags.string('namespace');

    if (flags.bool('output')) {
      io.out(JSON.stringify({ Job: job }, null, 4));
      return 0;
    }

    const api = client();
    // As Nomad's: a job that names its region is sent there, and followed there.
    if (job.Region) api.setRegion(job.Region);
    let resp;
    try {
      resp = (
        await api.jobs.register(job, {
          ...(flags.isSet('check-index') ? { enforceIndex: flags.int('check-index') } : {}),
          policyOverride: flags.bool('policy-override'),
          preserveCounts: flags.bool('preserve-counts'),
        })
      ).body;
    } catch (err) {
      if (err instanceof ApiError) {
        const m = ENFORCE_INDEX_RE.exec(err.message);
        if (m) {
          io.err(m[1]!);
          io.err('Job not updated');
          return 1;
        }
      }
      io.err(`Error submitting job: ${errText(err)}`);
      return 1;
    }

    if (resp.Warnings) io.out(`\nJob Warnings:\n${resp.Warnings}\n`);
    const periodic = job.Periodic !== null && job.Periodic !== undefined && job.Periodic.Enabled !== false;
    const parameterized = job.ParameterizedJob !== null && job.ParameterizedJob !== undefined;
    if (!resp.EvalID || periodic || parameterized) {
      io.out('Job registration successful');
      if (periodic && !parameterized) {
        const p = job.Periodic!;
        const spec = { Enabled: true, Spec: p.Spec ?? '', SpecType: p.SpecType || 'cron', ProhibitOverlap: false, TimeZone: p.TimeZone || 'UTC' };
        io.out(`Approximate next launch time: ${nextLaunchText({ Periodic: spec }, io.nowMs())}`);
      }
      return 0;
    }
    if (flags.bool('detach')) {
      io.out('Job registration successful');
      io.out(`Evaluation ID: ${resp.EvalID}`);
      return 0;
    }
    const length = flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH;
    return new EvalMonitor(api, io, length).monitor(resp.EvalID);
  },
});
