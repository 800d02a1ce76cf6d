// `nomad job scale`, `nomad job scaling-events`, `nomad scaling policy list | info`.
import { ApiError } from '../../api/index.js';
import type { JobScaleStatus } from '../../api/index.js';
import type { ScalingPolicyListStub } from '../../structs/scaling.js';
import { formatScalingTarget } from '../../structs/scaling.js';
import { argsError, defineCommand, errText } from '../base.js';
import { FULL_ID_LENGTH, SHORT_ID_LENGTH, formatKV, formatList, formatUnixNanoTime, limit } from '../format.js';
import { jsonOrTemplate } from '../json-output.js';
import { EvalMonitor } from '../monitor.js';
import { sanitizeUuidPrefix } from './alloc-status.js';

/** The group to scale: the one given, or the job's only group. */
function pickGroup(status: JobScaleStatus, given: string): { group: string } | { error: string } {
  const groups = Object.keys(status.TaskGroups);
  if (given === '') {
    if (groups.length > 1) return { error: 'Group name required' };
    if (groups.length === 1) return { group: groups[0]! };
  } else if (groups.includes(given)) {
    return { group: given };
  }
  return { error: `Group ${given} not found within job` };
}

export const jobScaleCommand = defineCommand({
  name: 'job scale',
  synopsis: 'Change the count of a Nomad job group',
  help: `Usage: nomad job scale [options] <job> [<group>] <count>

  Perform a scaling action by altering the count within a job group.

  Upon successful job submission, this command will immediately
  enter an interactive monitor. This is useful to watch Nomad's
  internals make scheduling decisions and place the submitted work
  onto nodes. The monitor will end once job placement is done. It
  is safe to exit the monitor early using ctrl+c.

Scale Options:

  -detach
    Return immediately instead of entering monitor mode. After job scaling,
    the evaluation ID will be printed to the screen, which can be used to
    examine the evaluation using the eval-status command.

  -verbose
    Display full information.
`,
  api: true,
  flags: (fs) => fs.bool('detach').bool('verbose'),
  async run({ flags, args, io, client }) {
    if (args.length < 2 || args.length > 3) {
      io.err('Command requires at least two arguments and no more than three');
      return 1;
    }
    const jobId = args[0]!;
    const countText = args[args.length - 1]!;
    if (!/^[+-]?\d+$/.test(countText)) {
      io.err(`Failed to convert count string to int: strconv.Atoi: parsing ${JSON.stringify(countText)}: invalid syntax`);
      return 1;
    }
    const count = Number(countText);
    const api = client();
    let status: JobScaleStatus;
    try {
      status = (await api.scaling.status(jobId)).body;
    } catch (err) {
      io.err(`Error querying job: ${errText(err)}`);
      return 1;
    }
    const picked = pickGroup(status, args.length === 3 ? args[1]! : '');
    if ('error' in picked) {
      io.err(picked.error);
      return 1;
    }
    let resp;
    try {
      resp = (await api.scaling.scale(jobId, { group: picked.group, count, message: 'submitted using the Nomad CLI' })).body;
    } catch (err) {
      io.err(`Error submitting scaling request: ${errText(err)}`);
      return 1;
    }
    if (resp.Warnings) io.out(`Job Warnings:\n${resp.Warnings}\n`);
    if (flags.bool('detach')) {
      io.out(`Evaluation ID: ${resp.EvalID}`);
      return 0;
    }
    // A periodic or parameterized job gets no evaluation: there is nothing to follow.
    if (!resp.EvalID) return 0;
    return new EvalMonitor(api, io, flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH).monitor(resp.EvalID);
  },
});

export const jobScalingEventsCommand = defineCommand({
  name: 'job scaling-events',
  synopsis: 'Display the most recent scaling events for a job',
  help: `Usage: nomad job scaling-events [options] <args>

  List the scaling events for the specified job.

Scaling-Events Options:

  -verbose
    Display full information.
`,
  api: true,
  flags: (fs) => fs.bool('verbose'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'job scaling-events', 'This command takes one argument: <job_id>');
    let status: JobScaleStatus;
    try {
      status = (await client().scaling.status(args[0]!)).body;
    } catch (err) {
      io.err(`Error listing scaling events: ${errText(err)}`);
      return 1;
    }
    const verbose = flags.bool('verbose');
    const events = Object.entries(status.TaskGroups).flatMap(([group, s]) => (s.Events ?? []).map((e) => ({ group, e })));
    if (events.length === 0) {
      io.out('No events found');
      return 0;
    }
    events.sort((a, b) => b.e.Time - a.e.Time);
    const rows = [`Task Group|Count|PrevCount${verbose ? '|Error|Message|Eval ID' : ''}|Date`];
    for (const { group, e } of events) {
      const details = verbose ? `|${e.Error}|${e.Message}|${e.EvalID ?? ''}` : '';
      rows.push(`${group}|${e.Count === null ? '' : e.Count}|${e.PreviousCount}${details}|${formatUnixNanoTime(e.Time)}`);
    }
    io.out(formatList(rows));
    return 0;
  },
});

function formatPolicies(stubs: ScalingPolicyListStub[], idLength: number): string {
  if (stubs.length === 0) return 'No policies found';
  const sorted = [...stubs].sort((a, b) => {
    const ta = formatScalingTarget(a.Target);
    const tb = formatScalingTarget(b.Target);
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  });
  return formatList(['ID|Enabled|Type|Target', ...sorted.map((p) => `${limit(p.ID, idLength)}|${p.Enabled}|${p.Type}|${formatScalingTarget(p.Target)}`)]);
}

export const scalingPolicyListCommand = defineCommand({
  name: 'scaling policy list',
  synopsis: 'Display all Nomad scaling policies',
  help: `Usage: nomad scaling policy list [options]

  List is used to list the currently configured scaling policies.

Policy Info Options:

  -job
    Specifies the job ID to filter the scaling policies list by.

  -type
    Filter scaling policies by type.

  -verbose
    Display full information.

  -json
    Output the scaling policy in its JSON format.
`,
  api: true,
  flags: (fs) => fs.bool('verbose').bool('json').string('t').string('job').string('type'),
  async run({ flags, args, io, client }) {
    if (args.length > 0) return argsError(io, 'scaling policy list', 'This command takes no arguments');
    let policies: ScalingPolicyListStub[];
    try {
      policies = (await client().scaling.listPolicies({ job: flags.string('job'), type: flags.string('type') })).body;
    } catch (err) {
      io.err(`Error listing scaling policies: ${errText(err)}`);
      return 1;
    }
    const formatted = jsonOrTemplate(flags, io, () => policies);
    if (formatted !== null) return formatted;
    io.out(formatPolicies(policies, flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH));
    return 0;
  },
});

export const scalingPolicyInfoCommand = defineCommand({
  name: 'scaling policy info',
  synopsis: 'Display an individual Nomad scaling policy',
  help: `Usage: nomad scaling policy info [options] <policy_id>

  Info is used to read the specified scaling policy.

Policy Info Options:

  -verbose
    Display full information.

  -json
    Output the scaling policy in its JSON format.
`,
  api: true,
  flags: (fs) => fs.bool('verbose').bool('json').string('t'),
  async run({ flags, args, io, client }) {
    const api = client();
    const idLength = flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH;
    if (args.length === 0 && (flags.bool('json') || flags.string('t'))) {
      let all: ScalingPolicyListStub[];
      try {
        all = (await api.scaling.listPolicies()).body;
      } catch (err) {
        io.err(`Error listing scaling policies: ${errText(err)}`);
        return 1;
      }
      return jsonOrTemplate(flags, io, () => all) ?? 0;
    }
    if (args.length !== 1) {
      io.err('This command takes one of the following argument conditions:');
      io.err(' * A single <policy_id>');
      io.err(' * No arguments, with output format specified');
      io.err("For additional help try 'nomad scaling policy info -help'");
      return 1;
    }
    const given = args[0]!;
    if (given.length === 1) {
      io.err('Identifier must contain at least two characters.');
      return 1;
    }
    const prefix = sanitizeUuidPrefix(given);
    let matches: ScalingPolicyListStub[];
    try {
      matches = (await api.scaling.listPolicies({}, { prefix })).body;
    } catch (err) {
      io.err(`Error querying scaling policy: ${errText(err)}`);
      return 1;
    }
    if (matches.length === 0) {
      io.err(`No scaling policies with prefix or id ${JSON.stringify(prefix)} found`);
      return 1;
    }
    if (matches.length > 1) {
      io.err(`Prefix matched multiple scaling policies\n\n${formatPolicies(matches, idLength)}`);
      return 0;
    }
    let policy;
    try {
      policy = (await api.scaling.policy(matches[0]!.ID)).body;
    } catch (err) {
      io.err(`Error querying scaling policy: ${err instanceof ApiError ? err.message : errText(err)}`);
      return 1;
    }
    const formatted = jsonOrTemplate(flags, io, () => policy);
    if (formatted !== null) return formatted;
    const doc = policy.Policy && Object.keys(policy.Policy).length > 0 ? JSON.stringify(policy.Policy, null, 4) : '<empty>';
    io.out(formatKV([`ID|${limit(policy.ID, idLength)}`, `Enabled|${policy.Enabled}`, `Target|${formatScalingTarget(policy.Target)}`, `Min|${policy.Min}`, `Max|${policy.Max}`]));
    io.out('\nPolicy:');
    io.out(doc);
    return 0;
  },
});
