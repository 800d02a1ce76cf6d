// `nomad job revert <job> <version>`: registers an older version of a job again (as a new
// version) and follows the evaluation and deployment that follow, like `job run`.
import { argsError, defineCommand, errText } from '../base.js';
import { FULL_ID_LENGTH, SHORT_ID_LENGTH } from '../format.js';
import { EvalMonitor } from '../monitor.js';
import { resolveJob } from './job-misc.js';

export const jobRevertCommand = defineCommand({
  name: 'job revert',
  synopsis: 'Revert to a prior version of the job',
  help: `Usage: nomad job revert [options] <job> <version>

  Reverts the job to an earlier version: the servers register that version's
  specification again, as a new version of the job. Unless -detach is given,
  the command follows the evaluation and deployment it causes.

Revert Options:

  -detach
    Print the evaluation ID and return at once instead of following it.

  -consul-token
    The Consul token used to verify that the caller may use the job's services.

  -vault-token
    The Vault token used to verify that the caller may use the job's policies.

  -verbose
    Show full IDs.
`,
  api: true,
  flags: (fs) => fs.bool('detach').bool('verbose').string('consul-token').string('vault-token'),
  async run({ flags, args, io, client }) {
    if (args.length !== 2) return argsError(io, 'job revert', 'This command takes two arguments: <job> <version>');
    const version = parseVersion(args[1]!);
    if (version === null) {
      io.err(`Failed to parse job-version flag: "${args[1]}" is not a version number`);
      return 1;
    }
    const api = client();
    const stub = await resolveJob(api, io, args[0]!);
    if (!stub) return 1;
    let evalId: string;
    try {
      evalId = (await api.jobs.revert(stub.ID, version)).body.EvalID;
    } catch (err) {
      // Nomad's wording, although the failing step is the revert itself.
      io.err(`Error retrieving job versions: ${errText(err)}`);
      return 1;
    }
    // Reverting a periodic or parameterized job creates no evaluation: nothing to follow.
    if (!evalId) return 0;
    if (flags.bool('detach')) {
      io.out(`Evaluation ID: ${evalId}`);
      return 0;
    }
    return new EvalMonitor(api, io, flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH).monitor(evalId);
  },
});

/** A job version: a non-negative integer, as `job history` prints it. */
function parseVersion(s: string): number | null {
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}
