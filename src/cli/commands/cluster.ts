// `nomad version | agent-info | system gc | status | agent`.
import { NOMAD_VERSION, NOMAD_VERSION_PRERELEASE, REVISION } from '../../version.js';
import type { Command, Io } from '../context.js';
import { argsError, defineCommand, errText } from '../base.js';
import { listJobs, showJobByPrefix } from './job-status.js';
import { allocStatusCommand, sanitizeUuidPrefix } from './alloc-status.js';
import { nodeStatusCommand } from './node-status.js';
import { evalStatusCommand } from './eval.js';
import { deploymentStatusCommand } from './deployment.js';

/** "Nomad v1.1.2 (nomad-ts-0.1.0)": the Nomad release whose API we speak, then our own build. */
export function productVersion(): string {
  return `${NOMAD_VERSION}${NOMAD_VERSION_PRERELEASE ? '-' + NOMAD_VERSION_PRERELEASE : ''} (${REVISION})`;
}

export const versionCommand = defineCommand({
  name: 'version',
  synopsis: 'Prints the Nomad version',
  help: `Usage: nomad version

  Prints the version of this program.
`,
  api: false,
  async run({ io }) {
    io.out(`Nomad v${productVersion()}`);
    return 0;
  },
});

export const agentInfoCommand = defineCommand({
  name: 'agent-info',
  synopsis: 'Display status information about the local agent',
  help: `Usage: nomad agent-info [options]

  Prints the statistics of the agent being queried, grouped by subsystem.
`,
  api: true,
  flags: (fs) => fs.bool('json').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length !== 0) return argsError(io, 'agent-info', 'This command takes no arguments');
    let self;
    try {
      self = (await client().agent.self()).body;
    } catch (err) {
      io.err(`Error querying agent info: ${errText(err)}`);
      return 1;
    }
    if (flags.bool('json')) {
      io.out(JSON.stringify(self, null, 4));
      return 0;
    }
    const lines: string[] = [];
    const stats = self.stats ?? {};
    for (const section of Object.keys(stats).sort()) {
      lines.push(section);
      const s = stats[section] ?? {};
      for (const k of Object.keys(s).sort()) lines.push(`  ${k} = ${s[k]}`);
    }
    io.out(lines.join('\n'));
    return 0;
  },
});

export const systemGcCommand = defineCommand({
  name: 'system gc',
  synopsis: 'Run the system garbage collection process',
  help: `Usage: nomad system gc [options]

  Asks the servers to garbage collect dead jobs, evaluations, allocations and
  nodes now instead of waiting for the periodic collection.
`,
  api: true,
  async run({ args, io, client }) {
    if (args.length !== 0) return argsError(io, 'system gc', 'This command takes no arguments');
    try {
      await client().system.garbageCollect();
    } catch (err) {
      io.err(`Error running system garbage-collection: ${errText(err)}`);
      return 1;
    }
    return 0;
  },
});

export const statusCommand = defineCommand({
  name: 'status',
  synopsis: 'Display the status output for a resource',
  help: `Usage: nomad status [options] <identifier>

  Without an argument, lists the jobs. With an identifier, finds what it names
  (a job first, then an allocation, node, evaluation or deployment ID prefix)
  and shows its status.
`,
  api: true,
  flags: (fs) => fs.bool('verbose').bool('json').bool('short').bool('evals').bool('all-allocs').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length > 1) return argsError(io, 'status', 'This command takes either no arguments or one: <identifier>');
    const api = client();
    if (args.length === 0) return listJobs(api, io, false);
    const id = args[0]!;
    try {
      const jobs = (await api.jobs.list({ prefix: id })).body ?? [];
      if (jobs.length > 0) {
        return showJobByPrefix(api, io, id, { verbose: flags.bool('verbose'), allAllocs: flags.bool('all-allocs'), evals: flags.bool('evals'), short: flags.bool('short') }, flags.bool('json'));
      }
      if (id.length >= 2 && /^[0-9a-f-]+$/i.test(id)) {
        const prefix = sanitizeUuidPrefix(id);
        const passOn = ['-verbose=' + flags.bool('verbose'), '-json=' + flags.bool('json')];
        const apiFlags = passApiFlags(flags);
        const probes: Array<[() => Promise<unknown[]>, Command]> = [
          [async () => (await api.allocations.list({ prefix })).body ?? [], allocStatusCommand],
          [async () => (await api.nodes.list({ prefix })).body ?? [], nodeStatusCommand],
          [async () => (await api.evaluations.list({ prefix })).body ?? [], evalStatusCommand],
          [async () => (await api.deployments.list({ prefix })).body ?? [], deploymentStatusCommand],
        ];
        for (const [probe, cmd] of probes) {
          if ((await probe()).length > 0) return cmd.run([...apiFlags, ...passOn, id], io);
        }
      }
    } catch (err) {
      io.err(`Error querying: ${errText(err)}`);
      return 1;
    }
    io.err(`Unable to resolve ID: "${id}"`);
    return 1;
  },
});

function passApiFlags(flags: { string(name: string): string }): string[] {
  const out: string[] = [];
  for (const name of ['address', 'region', 'namespace', 'token']) {
    const v = flags.string(name);
    if (v) out.push(`-${name}=${v}`);
  }
  return out;
}

interface AgentModule {
  runAgent(args: string[]): Promise<number>;
}

/** `nomad agent`: the one command that starts an agent; loaded only when used. */
export const agentCommand: Command = {
  name: 'agent',
  synopsis: 'Runs a Nomad agent',
  help: `Usage: nomad agent [options]

  Starts an agent: a server, a client, or both (-dev runs both in memory for
  development). Configuration comes from -config files and flags.
`,
  async run(args: string[], io: Io): Promise<number> {
    let mod: AgentModule;
    try {
      // Loaded only for this command: the others start faster without the agent's modules.
      mod = await import('../../agent/command.js');
    } catch (err) {
      io.err(`Error starting agent: ${errText(err)}`);
      return 1;
    }
    return mod.runAgent(args);
  },
};
