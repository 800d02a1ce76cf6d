// `nomad job periodic force` and `nomad job dispatch`: the commands that make children of
// periodic and parameterized jobs.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { JobListStub } from '../../structs/index.js';
import type { NomadClient } from '../../api/index.js';
import type { Io } from '../context.js';
import { argsError, defineCommand, errText } from '../base.js';
import { FULL_ID_LENGTH, SHORT_ID_LENGTH, formatKV, limit } from '../format.js';
import { EvalMonitor } from '../monitor.js';

/** The one job a prefix designates among those `keep` accepts; the problem as text otherwise. */
export async function jobIdByPrefix(client: NomadClient, prefix: string, keep: (j: JobListStub) => boolean): Promise<{ id: string; namespace: string } | { error: string }> {
  const jobs = ((await client.jobs.list({ prefix })).body ?? []).filter(keep);
  const exact = jobs.find((j) => j.ID === prefix);
  if (exact) return { id: exact.ID, namespace: exact.Namespace };
  if (jobs.length === 1) return { id: jobs[0]!.ID, namespace: jobs[0]!.Namespace };
  if (jobs.length === 0) return { error: `No job(s) with prefix or ID "${prefix}" found` };
  return { error: `Prefix "${prefix}" matched multiple jobs` };
}

async function readStdin(io: Io): Promise<Uint8Array> {
  if (io.readStdin) return io.readStdin();
  const chunks: Uint8Array[] = [];
  for await (const c of process.stdin) chunks.push(c as Uint8Array);
  return Buffer.concat(chunks) as unknown as Uint8Array;
}

export const jobPeriodicForceCommand = defineCommand({
  name: 'job periodic force',
  synopsis: 'Force the launch of a periodic job',
  help: `Usage: nomad job periodic force <job id>

  Forces the launch of a new instance of a periodic job now, even when the job's
  prohibit_overlap setting would skip a launch at this time.

Periodic Force Options:

  -detach
    Return immediately instead of monitoring the evaluation; its ID is printed.

  -verbose
    Display full information.
`,
  api: true,
  flags: (fs) => fs.bool('detach').bool('verbose'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'job periodic force', 'This command takes one argument: <job id>');
    const api = client();
    const prefix = args[0]!.trim();
    let found;
    try {
      found = await jobIdByPrefix(api, prefix, (j) => j.Periodic);
    } catch (err) {
      io.err(`Error querying job: ${errText(err)}`);
      return 1;
    }
    if ('error' in found) {
      io.err(found.error.startsWith('No job') ? `No periodic job(s) with prefix or ID "${prefix}" found` : found.error);
      return 1;
    }
    let evalId: string;
    try {
      evalId = (await api.jobs.periodicForce(found.id, { namespace: found.namespace })).body.EvalID;
    } catch (err) {
      io.err(`Error forcing periodic job "${found.id}": ${errText(err)}`);
      return 1;
    }
    if (flags.bool('detach')) {
      io.out('Force periodic successful');
      io.out(`Evaluation ID: ${evalId}`);
      return 0;
    }
    return new EvalMonitor(api, io, flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH).monitor(evalId);
  },
});

export const jobDispatchCommand = defineCommand({
  name: 'job dispatch',
  synopsis: 'Dispatch an instance of a parameterized job',
  help: `Usage: nomad job dispatch [options] <parameterized job> [input source]

  Dispatch creates an instance of a parameterized job. A payload for the
  instance is read from the file given as input source, or from standard input
  when it is "-". Meta data is given with -meta, once per key.

Dispatch Options:

  -meta <key>=<value>
    A meta key and value merged into the job's meta. The parameterized job must
    allow the key (meta_required or meta_optional). Repeatable.

  -detach
    Return immediately instead of monitoring the evaluation.

  -idempotency-token
    A token that makes a repeated dispatch return the instance the first one
    created instead of creating another.

  -id-prefix-template
    A prefix for the dispatched job's ID, after "<job>/dispatch-".

  -verbose
    Display full information.
`,
  api: true,
  flags: (fs) => fs.list('meta').bool('detach').bool('verbose').string('idempotency-token').string('id-prefix-template'),
  async run({ flags, args, io, client }) {
    if (args.length < 1 || args.length > 2) return argsError(io, 'job dispatch', 'This command takes one or two argument: <parameterized job> [input source]');
    const length = flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH;
    let payload: Uint8Array | null = null;
    if (args.length === 2) {
      try {
        payload = args[1] === '-' ? await readStdin(io) : ((await readFile(resolve(io.cwd, args[1]!))) as unknown as Uint8Array);
      } catch (err) {
        io.err(`Error reading input data: ${errText(err)}`);
        return 1;
      }
    }
    const meta: Record<string, string> = {};
    for (const m of flags.list('meta')) {
      const at = m.indexOf('=');
      if (at < 0) {
        io.err(`Error parsing meta value: ${m}`);
        return 1;
      }
      meta[m.slice(0, at)] = m.slice(at + 1);
    }
    const api = client();
    let found;
    try {
      found = await jobIdByPrefix(api, args[0]!.trim(), (j) => j.ParameterizedJob);
    } catch (err) {
      io.err(`Error querying job: ${errText(err)}`);
      return 1;
    }
    if ('error' in found) {
      io.err(found.error);
      return 1;
    }
    let resp;
    try {
      resp = (
        await api.jobs.dispatch(found.id, meta, payload, {
          namespace: found.namespace,
          idPrefixTemplate: flags.string('id-prefix-template'),
          idempotencyToken: flags.string('idempotency-token'),
        })
      ).body;
    } catch (err) {
      io.err(`Failed to dispatch job: ${errText(err)}`);
      return 1;
    }
    const basic = [`Dispatched Job ID|${resp.DispatchedJobID}`];
    if (resp.EvalID) basic.push(`Evaluation ID|${limit(resp.EvalID, length)}`);
    io.out(formatKV(basic));
    if (flags.bool('detach') || !resp.EvalID) return 0;
    io.out('');
    return new EvalMonitor(api, io, length).monitor(resp.EvalID);
  },
});
