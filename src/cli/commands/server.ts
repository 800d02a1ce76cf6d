// `nomad server members | join | force-leave`: the servers' gossip pool as the agent sees it.
import type { AgentMember, NomadClient } from '../../api/index.js';
import { argsError, defineCommand, errText } from '../base.js';
import { formatList } from '../format.js';

export const serverMembersCommand = defineCommand({
  name: 'server members',
  synopsis: 'Display a list of the known servers and their status',
  help: `Usage: nomad server members [options]

  Lists the servers this agent knows through gossip, with their status and
  which one leads each region.

Server Members Options:

  -detailed
    Show every tag of each member.
`,
  api: true,
  flags: (fs) => fs.bool('detailed').bool('verbose').bool('json'),
  async run({ flags, args, io, client }) {
    if (args.length !== 0) return argsError(io, 'server members', 'This command takes no arguments');
    const api = client();
    let members: AgentMember[];
    try {
      members = (await api.agent.members()).body.Members ?? [];
    } catch (err) {
      io.err(`Error querying servers: ${errText(err)}`);
      return 1;
    }
    members = sortMembers(members);
    if (flags.bool('json')) {
      io.out(JSON.stringify(members, null, 4));
      return 0;
    }
    if (flags.bool('detailed') || flags.bool('verbose')) {
      io.out(formatList(detailedRows(members)));
      return 0;
    }
    const { leaders, errors } = await regionLeaders(api, members);
    io.out(formatList(standardRows(members, leaders)));
    if (errors.length > 0) {
      // Nomad still prints the table, then warns and fails: scripts see the missing leader.
      io.out('');
      io.err(`Error determining leaders: ${multiError(errors)}`);
      return 1;
    }
    return 0;
  },
});

/** Nomad's order: region, then datacenter, then name. */
export function sortMembers(members: AgentMember[]): AgentMember[] {
  const key = (m: AgentMember): [string, string, string] => [m.Tags['region'] ?? '', m.Tags['dc'] ?? '', m.Name];
  return [...members].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      if (ka[i]! !== kb[i]!) return ka[i]! < kb[i]! ? -1 : 1;
    }
    return 0;
  });
}

/** A member leads its region when its RPC address ("addr:port" tag) is the region's leader. */
export function standardRows(members: AgentMember[], leaders: Map<string, string>): string[] {
  const rows = ['Name|Address|Port|Status|Leader|Protocol|Build|Datacenter|Region'];
  for (const m of members) {
    const region = m.Tags['region'] ?? '';
    const leader = leaders.get(region) === joinHostPort(m.Addr, m.Tags['port'] ?? '');
    rows.push(`${m.Name}|${m.Addr}|${m.Port}|${m.Status}|${leader}|${m.ProtocolCur}|${m.Tags['build'] ?? ''}|${m.Tags['dc'] ?? ''}|${region}`);
  }
  return rows;
}

export function detailedRows(members: AgentMember[]): string[] {
  const rows = ['Name|Address|Port|Tags'];
  for (const m of members) {
    // Nomad prints Go's random map order; sorted keys give the same set, stably.
    const tags = Object.keys(m.Tags).sort().map((k) => `${k}=${m.Tags[k]}`).join(',');
    rows.push(`${m.Name}|${m.Addr}|${m.Port}|${tags}`);
  }
  return rows;
}

/** Asks each region that still has a member not `left` for its leader, as Nomad does. */
async function regionLeaders(api: NomadClient, members: AgentMember[]): Promise<{ leaders: Map<string, string>; errors: string[] }> {
  const leaders = new Map<string, string>();
  const errors: string[] = [];
  const regions = [...new Set(members.filter((m) => m.Status !== 'left').map((m) => m.Tags['region'] ?? ''))].sort();
  for (const region of regions) {
    try {
      leaders.set(region, (await api.http.query<string>('/v1/status/leader', { region })).body);
    } catch (err) {
      errors.push(`Region "${region}": ${errText(err)}`);
    }
  }
  return { leaders, errors };
}

/** The text of Go's multierror, which Nomad prints for several failed regions. */
function multiError(errors: string[]): string {
  const head = errors.length === 1 ? '1 error occurred:' : `${errors.length} errors occurred:`;
  return `${head}\n${errors.map((e) => `\t* ${e}`).join('\n')}\n`;
}

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export const serverJoinCommand = defineCommand({
  name: 'server join',
  synopsis: 'Join server nodes together',
  help: `Usage: nomad server join [options] <addr> [<addr>...]

  Asks the agent's server to join the gossip pool of one or more other Nomad
  servers ("host" or "host:port", port 4648 by default). One address that
  answers is enough: the others are learnt through gossip.
`,
  api: true,
  async run({ args, io, client }) {
    if (args.length < 1) return argsError(io, 'server join', 'One or more node addresses must be given as arguments');
    let joined: number;
    try {
      const res = (await client().agent.join(args)).body;
      if (res === null || typeof res !== 'object') throw new Error('unexpected answer to the join request');
      if (res.error) {
        io.err(`Error joining: failed joining: ${res.error}`);
        return 1;
      }
      joined = res.num_joined;
    } catch (err) {
      io.err(`Error joining: failed joining: ${errText(err)}`);
      return 1;
    }
    io.out(`Joined ${joined} servers successfully`);
    return 0;
  },
});

export const serverForceLeaveCommand = defineCommand({
  name: 'server force-leave',
  synopsis: "Force a server into the 'left' state",
  help: `Usage: nomad server force-leave [options] <node>

  Moves a failed server to the "left" state, so that the others stop trying to
  reach it. A server that is in fact alive refutes this and stays a member.

Server Force-Leave Options:

  -prune
    Also remove the failed or left server from the agent's member list.
`,
  api: true,
  flags: (fs) => fs.bool('prune'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'server force-leave', 'This command takes one argument: <node>');
    const node = args[0]!;
    try {
      await client().agent.forceLeave(node, { prune: flags.bool('prune') });
    } catch (err) {
      io.err(`Error force-leaving server ${node}: ${errText(err)}`);
      return 1;
    }
    return 0;
  },
});
