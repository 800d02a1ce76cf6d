// `nomad operator raft list-peers | remove-peer`, `operator autopilot get-config | set-config`
// and `operator snapshot save | restore | inspect`, with Nomad's output, messages and exit codes.
import { lstat, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AutopilotConfiguration } from '../../api/index.js';
import { parseDurationNs } from '../../structs/time.js';
import { argsError, defineCommand, errText, fileErrorReason } from '../base.js';
import type { Io } from '../context.js';
import type { Flags } from '../flags.js';
import { formatList } from '../format.js';

export const raftListPeersCommand = defineCommand({
  name: 'operator raft list-peers',
  synopsis: 'Display the current Raft peer configuration',
  help: `Usage: nomad operator raft list-peers [options]

  Shows the servers of the Raft configuration: each one's gossip name, ID,
  RPC address, whether it leads, and whether it votes.

List Peers Options:

  -stale=[true|false]
    Answer from whichever server the agent reaches, without asking the leader.
    Off by default; turn it on when the cluster has no leader to ask.
`,
  api: true,
  flags: (fs) => fs.bool('stale'),
  async run({ flags, args, io, client }) {
    if (args.length !== 0) return argsError(io, 'operator raft list-peers', 'This command takes no arguments');
    let cfg;
    try {
      cfg = (await client().operator.raftConfiguration({ stale: flags.bool('stale') })).body;
    } catch (err) {
      io.err(`Failed to retrieve raft configuration: ${errText(err)}`);
      return 1;
    }
    const rows = ['Node|ID|Address|State|Voter|RaftProtocol'];
    for (const s of cfg.Servers ?? []) rows.push(`${s.Node}|${s.ID}|${s.Address}|${s.Leader ? 'leader' : 'follower'}|${s.Voter}|${s.RaftProtocol}`);
    io.out(formatList(rows));
    return 0;
  },
});

export const raftRemovePeerCommand = defineCommand({
  name: 'operator raft remove-peer',
  synopsis: 'Remove a Nomad server from the Raft configuration',
  help: `Usage: nomad operator raft remove-peer [options]

  Takes one server out of the Raft configuration, named by its ID or by its
  RPC address (exactly one of the two).

  Meant for a server that is gone for good but still counts towards the
  quorum. A server that "nomad server members" still lists is better removed
  with "nomad server force-leave".

Remove Peer Options:

  -peer-address="IP:port"
    The RPC address of the server to remove.

  -peer-id="id"
    The ID of the server to remove, as "operator raft list-peers" shows it.
`,
  api: true,
  flags: (fs) => fs.string('peer-address').string('peer-id'),
  async run({ flags, io, client }) {
    const address = flags.string('peer-address');
    const id = flags.string('peer-id');
    // Nomad checks these before it talks to any server.
    let problem = '';
    if (address === '' && id === '') problem = 'an address or ID is required for the peer to remove';
    else if (address !== '' && id !== '') problem = 'cannot give both an address and ID';
    if (problem) {
      io.err(`Error removing peer: ${problem}`);
      return 1;
    }
    try {
      if (address) await client().operator.raftRemovePeerByAddress(address);
      else await client().operator.raftRemovePeerByID(id);
    } catch (err) {
      io.err(`Error removing peer: ${errText(err)}`);
      return 1;
    }
    io.out(address ? `Removed peer with address "${address}"` : `Removed peer with id "${id}"`);
    return 0;
  },
});

export const autopilotGetCommand = defineCommand({
  name: 'operator autopilot get-config',
  synopsis: 'Display the current Autopilot configuration',
  help: `Usage: nomad operator autopilot get-config [options]

  Prints the Autopilot settings the servers hold, one per line.
`,
  api: true,
  async run({ args, io, client }) {
    if (args.length !== 0) return argsError(io, 'operator autopilot get-config', 'This command takes no arguments');
    let c: AutopilotConfiguration;
    try {
      c = (await client().operator.autopilotGetConfiguration()).body;
    } catch (err) {
      io.err(`Error querying Autopilot configuration: ${errText(err)}`);
      return 1;
    }
    io.out(`CleanupDeadServers = ${c.CleanupDeadServers}`);
    io.out(`LastContactThreshold = ${c.LastContactThreshold}`);
    io.out(`MaxTrailingLogs = ${c.MaxTrailingLogs}`);
    io.out(`MinQuorum = ${c.MinQuorum}`);
    io.out(`ServerStabilizationTime = ${c.ServerStabilizationTime}`);
    io.out(`EnableRedundancyZones = ${c.EnableRedundancyZones}`);
    io.out(`DisableUpgradeMigration = ${c.DisableUpgradeMigration}`);
    io.out(`EnableCustomUpgrades = ${c.EnableCustomUpgrades}`);
    return 0;
  },
});

const AUTOPILOT_BOOL_FLAGS = [
  ['cleanup-dead-servers', 'CleanupDeadServers'],
  ['enable-redundancy-zones', 'EnableRedundancyZones'],
  ['disable-upgrade-migration', 'DisableUpgradeMigration'],
  ['enable-custom-upgrades', 'EnableCustomUpgrades'],
] as const;
const AUTOPILOT_COUNT_FLAGS = [
  ['max-trailing-logs', 'MaxTrailingLogs'],
  ['min-quorum', 'MinQuorum'],
] as const;
const AUTOPILOT_DURATION_FLAGS = [
  ['last-contact-threshold', 'LastContactThreshold'],
  ['server-stabilization-time', 'ServerStabilizationTime'],
] as const;
/** Stored by the servers but acted on only by Nomad Enterprise: setting them earns a warning. */
const NOT_ACTED_ON = new Set(['enable-redundancy-zones', 'disable-upgrade-migration', 'enable-custom-upgrades']);

const SET_CONFIG_HELP = `Usage: nomad operator autopilot set-config [options]

  Modifies the current Autopilot configuration. Only the settings given are
  changed; the write fails rather than overwrite a change made meanwhile.

Set Config Options:

  -cleanup-dead-servers=[true|false]
     Whether the leader takes failed servers out of the Raft configuration
     on its own (never below a quorum, nor below -min-quorum).

  -disable-upgrade-migration=[true|false]
  -enable-custom-upgrades=[true|false]
  -enable-redundancy-zones=[true|false]
     Enterprise settings in Nomad: kept in the configuration, but these
     servers do not act on them, and turning one on prints a warning.

  -last-contact-threshold=200ms
     How long a server may go without hearing from the leader before it
     counts as unhealthy. A duration such as "200ms".

  -max-trailing-logs=<count>
     How many log entries a server may lag behind the leader before it
     counts as unhealthy.

  -min-quorum=<count>
     Dead servers are removed only while at least this many servers remain.

  -server-stabilization-time=10s
     How long a new server must stay healthy before it becomes a voter.
     A duration such as "10s".
`;

/** The flags given, as changes to the configuration; a usage error names the bad one. */
function autopilotChanges(flags: Flags): { changes: Partial<AutopilotConfiguration>; error: string } {
  const changes: Record<string, unknown> = {};
  for (const [flag, field] of AUTOPILOT_BOOL_FLAGS) {
    if (!flags.isSet(flag)) continue;
    const v = flags.string(flag);
    if (v !== 'true' && v !== 'false') return { changes, error: `invalid value "${v}" for flag -${flag}: parse error` };
    changes[field] = v === 'true';
  }
  for (const [flag, field] of AUTOPILOT_COUNT_FLAGS) {
    if (!flags.isSet(flag)) continue;
    const v = flags.string(flag);
    if (!/^\d+$/.test(v)) return { changes, error: `invalid value "${v}" for flag -${flag}: parse error` };
    changes[field] = Number(v);
  }
  for (const [flag, field] of AUTOPILOT_DURATION_FLAGS) {
    if (!flags.isSet(flag)) continue;
    const v = flags.string(flag);
    const ns = parseDurationNs(v);
    if (ns === null || ns < 0) return { changes, error: `invalid value "${v}" for flag -${flag}: time: invalid duration "${v}"` };
    changes[field] = v;
  }
  return { changes: changes as Partial<AutopilotConfiguration>, error: '' };
}

export const autopilotSetCommand = defineCommand({
  name: 'operator autopilot set-config',
  synopsis: 'Modify the current Autopilot configuration',
  help: SET_CONFIG_HELP,
  api: true,
  flags: (fs) => {
    // Written "-flag=value": each is applied only when given, so they have no defaults.
    for (const [flag] of [...AUTOPILOT_BOOL_FLAGS, ...AUTOPILOT_COUNT_FLAGS, ...AUTOPILOT_DURATION_FLAGS]) fs.string(flag);
    return fs;
  },
  async run({ flags, args, io, client }) {
    if (args.length !== 0) return argsError(io, 'operator autopilot set-config', 'This command takes no arguments');
    const { changes, error } = autopilotChanges(flags);
    if (error) {
      io.err(error);
      io.err(`For additional help try 'nomad operator autopilot set-config -help'`);
      return 1;
    }
    for (const flag of NOT_ACTED_ON) {
      if (flags.isSet(flag) && flags.string(flag) === 'true') io.err(`Warning: -${flag} is stored, but these servers do not act on it (an Enterprise feature in Nomad)`);
    }
    const operator = client().operator;
    let conf: AutopilotConfiguration;
    try {
      conf = (await operator.autopilotGetConfiguration()).body;
    } catch (err) {
      io.err(`Error querying for Autopilot configuration: ${errText(err)}`);
      return 1;
    }
    let updated: boolean;
    try {
      updated = await operator.autopilotCASConfiguration({ ...conf, ...changes });
    } catch (err) {
      io.err(`Error setting Autopilot configuration: ${errText(err)}`);
      return 1;
    }
    if (updated) {
      io.out('Configuration updated!');
      return 0;
    }
    io.out('Configuration could not be atomically updated, please try again');
    return 1;
  },
});

/** Nomad's default file name: nomad-state-<year><month><day>-<unix seconds>.snap (the day unpadded). */
function defaultSnapshotName(nowMs: number): string {
  const d = new Date(nowMs);
  const month = String(d.getMonth() + 1).padStart(2, '0');
  return `nomad-state-${d.getFullYear()}${month}${d.getDate()}-${Math.floor(nowMs / 1000)}.snap`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

export const snapshotSaveCommand = defineCommand({
  name: 'operator snapshot save',
  synopsis: 'Saves snapshot of Nomad server state',
  help: `Usage: nomad operator snapshot save [options] <file>

  Writes the servers' whole state (jobs, nodes, allocations, evaluations and
  the rest), as it stands at one Raft index, to a file. Without <file> the
  name is nomad-state-<date>-<unix seconds>.snap; an existing file is never
  overwritten.

    $ nomad operator snapshot save backup.snap

Snapshot Save Options:

  -stale=[true|false]
    Take the snapshot on whichever server the agent reaches instead of the
    leader: the way to back up a cluster that has lost its leader.
`,
  api: true,
  flags: (fs) => fs.bool('stale'),
  async run({ flags, args, io, client }) {
    if (args.length > 1) return argsError(io, 'operator snapshot save', 'This command takes either no arguments or one: <filename>');
    const filename = args[0] ?? defaultSnapshotName(io.nowMs());
    const path = resolve(io.cwd, filename);
    try {
      if (await exists(path)) return argsError(io, 'operator snapshot save', `Destination file already exists: ${JSON.stringify(filename)}`);
    } catch (err) {
      io.err(`Unexpected failure checking ${JSON.stringify(filename)}: ${errText(err)}`);
      return 1;
    }
    let saved: { archive: Uint8Array; digest: string };
    try {
      saved = await client().operator.snapshot({ stale: flags.bool('stale') });
    } catch (err) {
      io.err(`Failed to get snapshot file: ${errText(err)}`);
      return 1;
    }
    // What arrived is what the server sent: a cut-off download is not kept as a backup.
    const { snapshotDigest } = await import('../../structs/snapshot-archive.js');
    const digest = snapshotDigest(saved.archive);
    if (saved.digest !== '' && saved.digest !== digest) {
      io.err(`Failed to download snapshot file: the file's checksum (${digest}) is not the server's (${saved.digest})`);
      return 1;
    }
    const tmp = `${path}.tmp`;
    try {
      await writeFile(tmp, saved.archive, { mode: 0o600 });
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      io.err(`Failed to finalize snapshot file: ${errText(err)}`);
      return 1;
    }
    io.out(`State file written to ${filename}`);
    return 0;
  },
});

export const snapshotRestoreCommand = defineCommand({
  name: 'operator snapshot restore',
  synopsis: 'Restore snapshot of Nomad server state',
  help: `Usage: nomad operator snapshot restore [options] <file>

  Replaces the servers' whole state with the one saved in <file>.

  Every server ends with the restored state; writes made since the snapshot was
  saved are gone. A file that is damaged or was not saved by "nomad operator
  snapshot save" is refused and nothing changes.

  To restore a snapshot from the file "backup.snap":

    $ nomad operator snapshot restore backup.snap
`,
  api: true,
  async run({ args, io, client }) {
    if (args.length !== 1) return argsError(io, 'operator snapshot restore', 'This command takes one argument: <filename>');
    let archive: Uint8Array;
    try {
      archive = await readBytes(io, args[0]!);
    } catch (err) {
      io.err(`Error opening snapshot file: ${JSON.stringify(`open ${args[0]!}: ${fileErrorReason(err)}`)}`);
      return 1;
    }
    try {
      await client().operator.snapshotRestore(archive);
    } catch (err) {
      io.err(`Failed to get restore snapshot: ${errText(err)}`);
      return 1;
    }
    io.out('Snapshot Restored');
    return 0;
  },
});

export const snapshotInspectCommand = defineCommand({
  name: 'operator snapshot inspect',
  synopsis: 'Displays information about a Nomad snapshot file',
  help: `Usage: nomad operator snapshot inspect [options] <file>

  Checks a snapshot file on this machine and prints its ID, the size of the
  state in it, and the Raft index and term it was taken at. No server is
  contacted.

    $ nomad operator snapshot inspect backup.snap
`,
  api: false,
  async run({ args, io }) {
    if (args.length !== 1) return argsError(io, 'operator snapshot inspect', 'This command takes one argument: <filename>');
    let archive: Uint8Array;
    try {
      archive = await readBytes(io, args[0]!);
    } catch (err) {
      io.err(`Error opening snapshot file: open ${args[0]!}: ${fileErrorReason(err)}`);
      return 1;
    }
    let meta;
    try {
      // Loaded here only: the archive reader (tar, gzip) is of no use to any other command.
      const { readSnapshotArchive } = await import('../../structs/snapshot-archive.js');
      meta = (await readSnapshotArchive(archive)).meta;
    } catch (err) {
      io.err(`Error verifying snapshot: ${errText(err)}`);
      return 1;
    }
    io.out(formatList([`ID|${meta.ID}`, `Size|${meta.Size}`, `Index|${meta.Index}`, `Term|${meta.Term}`, `Version|${meta.Version}`]));
    return 0;
  },
});

async function readBytes(io: Io, file: string): Promise<Uint8Array> {
  const b = await readFile(resolve(io.cwd, file));
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
