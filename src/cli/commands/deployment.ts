// `nomad deployment list | status | promote | fail | pause | resume`.
import type { Deployment } from '../../structs/deployment.js';
import type { NomadClient } from '../../api/index.js';
import type { Io } from '../context.js';
import { argsError, defineCommand, errText } from '../base.js';
import { FULL_ID_LENGTH, SHORT_ID_LENGTH, formatList, limit } from '../format.js';
import { EvalMonitor, monitorDeployment } from '../monitor.js';
import { formatAllocList, formatDeployment, sortAllocsNewestFirst } from '../views.js';
import { sanitizeUuidPrefix } from './alloc-status.js';

function formatDeploymentList(ds: Deployment[], idLength: number): string {
  const rows = ['ID|Job ID|Job Version|Status|Description'];
  for (const d of ds) rows.push(`${limit(d.ID, idLength)}|${d.JobID}|${d.JobVersion}|${d.Status}|${d.StatusDescription}`);
  return formatList(rows);
}

async function resolveDeployment(api: NomadClient, io: Io, given: string, idLength: number): Promise<Deployment | null> {
  let ds: Deployment[];
  try {
    ds = (await api.deployments.list({ prefix: sanitizeUuidPrefix(given) })).body ?? [];
  } catch (err) {
    io.err(`Error retrieving deployment: ${errText(err)}`);
    return null;
  }
  if (ds.length === 0) {
    io.err(`No deployment(s) with prefix or id "${given}" found`);
    return null;
  }
  if (ds.length > 1) {
    io.err(`Prefix matched multiple deployments\n\n${formatDeploymentList(ds, idLength)}`);
    return null;
  }
  return ds[0]!;
}

export const deploymentListCommand = defineCommand({
  name: 'deployment list',
  synopsis: 'List all deployments',
  help: `Usage: nomad deployment list [options]

  Lists deployments, newest first.

List Options:

  -verbose
    Show full IDs.

  -json
    Print the deployments as JSON.
`,
  api: true,
  flags: (fs) => fs.bool('verbose').bool('json').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length !== 0) return argsError(io, 'deployment list', 'This command takes no arguments');
    let ds: Deployment[];
    try {
      ds = (await client().deployments.list()).body ?? [];
    } catch (err) {
      io.err(`Error retrieving deployments: ${errText(err)}`);
      return 1;
    }
    if (flags.bool('json')) {
      io.out(JSON.stringify(ds, null, 4));
      return 0;
    }
    if (ds.length === 0) {
      io.out('No deployments found');
      return 0;
    }
    io.out(formatDeploymentList(sortAllocsNewestFirst(ds), flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH));
    return 0;
  },
});

export const deploymentStatusCommand = defineCommand({
  name: 'deployment status',
  synopsis: 'Display the status of a deployment',
  help: `Usage: nomad deployment status [options] <deployment id>

  Shows a deployment: its job version, status and progress per task group.

Status Options:

  -monitor
    Keep printing the deployment until it ends.

  -verbose
    Show full IDs and the deployment's allocations.

  -json
    Print the deployment as JSON.
`,
  api: true,
  flags: (fs) => fs.bool('verbose').bool('json').bool('monitor').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'deployment status', 'This command takes one argument: <deployment id>');
    const idLength = flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH;
    const api = client();
    const d = await resolveDeployment(api, io, args[0]!, idLength);
    if (!d) return 1;
    if (flags.bool('json')) {
      io.out(JSON.stringify(d, null, 4));
      return 0;
    }
    if (flags.bool('monitor')) {
      const status = await monitorDeployment(api, io, d.ID, idLength);
      return status === 'successful' ? 0 : 1;
    }
    io.out(formatDeployment(d, idLength));
    if (flags.bool('verbose')) {
      try {
        const allocs = (await api.deployments.allocations(d.ID)).body ?? [];
        io.out(`\nAllocations\n${formatAllocList(sortAllocsNewestFirst(allocs), true, idLength, io.nowMs())}`);
      } catch (err) {
        io.err(`Error retrieving deployment allocations: ${errText(err)}`);
        return 1;
      }
    }
    return 0;
  },
});

type Action = 'promote' | 'fail' | 'pause' | 'resume';

function actionCommand(action: Action, synopsis: string, body: string) {
  return defineCommand({
    name: `deployment ${action}`,
    synopsis,
    help: `Usage: nomad deployment ${action} [options] <deployment id>

  ${body}

Options:

  -detach
    Return at once instead of following the evaluation the change creates.

  -verbose
    Show full IDs.
${action === 'promote' ? '\n  -group <name>\n    Promote only this task group. May be repeated.\n' : ''}`,
    api: true,
    flags: (fs) => {
      const f = fs.bool('detach').bool('verbose');
      return action === 'promote' ? f.list('group') : f;
    },
    async run({ flags, args, io, client }) {
      if (args.length !== 1) return argsError(io, `deployment ${action}`, 'This command takes one argument: <deployment id>');
      const idLength = flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH;
      const api = client();
      const d = await resolveDeployment(api, io, args[0]!, idLength);
      if (!d) return 1;
      let evalId = '';
      let reverted: number | null = null;
      try {
        if (action === 'promote') evalId = (await api.deployments.promote(d.ID, flags.list('group'))).body.EvalID;
        else if (action === 'fail') {
          const body = (await api.deployments.fail(d.ID)).body;
          evalId = body.EvalID;
          reverted = body.RevertedJobVersion ?? null;
        } else evalId = (await api.deployments.pause(d.ID, action === 'pause')).body.EvalID;
      } catch (err) {
        io.err(`Error ${action === 'fail' ? 'failing' : action === 'pause' ? 'pausing' : action === 'resume' ? 'resuming' : 'promoting'} deployment: ${errText(err)}`);
        return 1;
      }
      if (action === 'fail') io.out(reverted === null ? `Deployment "${d.ID}" failed` : `Deployment "${d.ID}" failed. Auto-reverted to job version ${reverted}.\n`);
      if (action === 'pause') io.out(`Deployment "${d.ID}" paused`);
      if (action === 'resume') io.out(`Deployment "${d.ID}" resumed`);
      if (!evalId || flags.bool('detach')) return 0;
      if (action !== 'promote') io.out('');
      // The eval of a failed deployment stays within it: that end is what was asked for.
      return new EvalMonitor(api, io, idLength, action === 'fail' ? ['failed'] : []).monitor(evalId);
    },
  });
}

export const deploymentPromoteCommand = actionCommand('promote', 'Promote canaries in a deployment', 'Promotes the canaries of a deployment so the rollout continues.');
export const deploymentFailCommand = actionCommand('fail', 'Manually fail a deployment', 'Marks a running deployment as failed (and rolls back if auto_revert is set).');
export const deploymentPauseCommand = actionCommand('pause', 'Pause a deployment', 'Pauses a running deployment: no further allocations are replaced.');
export const deploymentResumeCommand = actionCommand('resume', 'Resume a paused deployment', 'Resumes a paused deployment.');
