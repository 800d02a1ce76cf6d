// `nomad eval status | list`.
import type { Evaluation } from '../../structs/index.js';
import { argsError, defineCommand, errText } from '../base.js';
import { FULL_ID_LENGTH, SHORT_ID_LENGTH, formatKV, formatList, formatUnixNanoTime, limit, prettyTimeDiff } from '../format.js';
import { failedNoun, formatAllocMetrics, groupDrivers } from '../views.js';
import { sanitizeUuidPrefix } from './alloc-status.js';
import { formatDurationNs } from '../../structs/time.js';

function triggerSubject(e: Evaluation, idLength: number): [string, string] {
  switch (e.TriggeredBy) {
    case 'node-update':
    case 'node-drain':
      return ['Node ID', limit(e.NodeID, idLength)];
    case 'deployment-watcher':
      return ['Deployment ID', limit(e.DeploymentID, idLength)];
    default:
      return ['Job ID', e.JobID];
  }
}

function formatEvalList(evals: Evaluation[], idLength: number): string {
  const rows = ['ID|Priority|Triggered By|Job ID|Status|Placement Failures'];
  for (const e of evals) {
    const failures = e.Status === 'blocked' ? 'N/A - In Progress' : String(Object.keys(e.FailedTGAllocs ?? {}).length > 0);
    rows.push(`${limit(e.ID, idLength)}|${e.Priority}|${e.TriggeredBy}|${e.JobID}|${e.Status}|${failures}`);
  }
  return formatList(rows);
}

export const evalStatusCommand = defineCommand({
  name: 'eval status',
  synopsis: 'Display evaluation status and placement failure reasons',
  help: `Usage: nomad eval status [options] <evaluation>

  Shows one evaluation (by ID or unique prefix): what triggered it, its status,
  and why allocations could not be placed if some were not.

Eval Status Options:

  -verbose
    Show full IDs and absolute times.

  -json
    Print the evaluation as JSON.
`,
  api: true,
  flags: (fs) => fs.bool('verbose').bool('json').bool('monitor').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'eval status', 'This command takes one argument: <eval-id>');
    const verbose = flags.bool('verbose');
    const idLength = verbose ? FULL_ID_LENGTH : SHORT_ID_LENGTH;
    const given = args[0]!;
    if (given.length === 1) {
      io.err('Identifier must contain at least two characters.');
      return 1;
    }
    const api = client();
    let evals: Evaluation[];
    try {
      evals = (await api.evaluations.list({ prefix: sanitizeUuidPrefix(given) })).body ?? [];
    } catch (err) {
      io.err(`Error querying evaluation: ${errText(err)}`);
      return 1;
    }
    if (evals.length === 0) {
      io.err(`No evaluation(s) with prefix or id "${given}" found`);
      return 1;
    }
    if (evals.length > 1) {
      io.out(`Prefix matched multiple evaluations\n\n${formatEvalList(evals, idLength)}`);
      return 0;
    }
    let e: Evaluation;
    try {
      e = (await api.evaluations.info(evals[0]!.ID)).body;
    } catch (err) {
      io.err(`Error querying evaluation: ${errText(err)}`);
      return 1;
    }
    if (flags.bool('json')) {
      io.out(JSON.stringify(e, null, 4));
      return 0;
    }
    const when = (ns: number): string => (verbose ? formatUnixNanoTime(ns) : prettyTimeDiff(ns / 1e6, io.nowMs()));
    const failed = Object.keys(e.FailedTGAllocs ?? {}).sort();
    const failureText = e.Status === 'blocked' ? 'N/A - In Progress' : String(failed.length > 0);
    const [noun, subject] = triggerSubject(e, idLength);
    const rows = [
      `ID|${limit(e.ID, idLength)}`,
      `Create Time|${when(e.CreateTime)}`,
      `Modify Time|${when(e.ModifyTime)}`,
      `Status|${e.Status}`,
      `Status Description|${e.StatusDescription || e.Status}`,
      `Type|${e.Type}`,
      `TriggeredBy|${e.TriggeredBy}`,
    ];
    if (subject) rows.push(`${noun}|${subject}`);
    rows.push(`Priority|${e.Priority}`, `Placement Failures|${failureText}`);
    if (e.PreviousEval) rows.push(`Previous Eval|${limit(e.PreviousEval, idLength)}`);
    if (e.NextEval) rows.push(`Next Eval|${limit(e.NextEval, idLength)}`);
    if (e.BlockedEval) rows.push(`Blocked Eval|${limit(e.BlockedEval, idLength)}`);
    if (e.Wait > 0) rows.push(`Wait|${formatDurationNs(e.Wait)}`);
    io.out(formatKV(rows));
    if (failed.length > 0) {
      const drivers = groupDrivers(await api.jobs.info(e.JobID).then((r) => r.body, () => null));
      const parts = failed.map((g) => {
        const m = e.FailedTGAllocs![g]!;
        const text = formatAllocMetrics(m, '  ', drivers[g]);
        return `Task Group "${g}" (failed to place ${failedNoun(m)}):${text ? '\n' + text : ''}`;
      });
      io.out(`\nFailed Placements\n${parts.join('\n\n')}`);
      if (e.BlockedEval) io.out(`\nEvaluation "${limit(e.BlockedEval, idLength)}" waiting for additional capacity to place remainder`);
    }
    return 0;
  },
});

export const evalListCommand = defineCommand({
  name: 'eval list',
  synopsis: 'List the evaluations of the cluster',
  help: `Usage: nomad eval list [options]

  Lists evaluations, newest first.

Eval List Options:

  -job <job>
    Only evaluations of this job.

  -status <status>
    Only evaluations with this status.

  -verbose
    Show full IDs.

  -json
    Print the evaluations as JSON.
`,
  api: true,
  flags: (fs) => fs.bool('verbose').bool('json').string('job').string('status').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length !== 0) return argsError(io, 'eval list', 'This command takes no arguments');
    let evals: Evaluation[];
    try {
      evals = flags.string('job') ? (await client().jobs.evaluations(flags.string('job'))).body ?? [] : (await client().evaluations.list()).body ?? [];
    } catch (err) {
      io.err(`Error querying evaluations: ${errText(err)}`);
      return 1;
    }
    if (flags.string('status')) evals = evals.filter((e) => e.Status === flags.string('status'));
    evals = [...evals].sort((a, b) => b.CreateIndex - a.CreateIndex);
    if (flags.bool('json')) {
      io.out(JSON.stringify(evals, null, 4));
      return 0;
    }
    if (evals.length === 0) {
      io.out('No evals found');
      return 0;
    }
    io.out(formatEvalList(evals, flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH));
    return 0;
  },
});
