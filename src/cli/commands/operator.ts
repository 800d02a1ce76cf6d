// `nomad operator raft list-peers | remove-peer`, `operator autopilot get-config | set-config`
// and `operator snapshot save | restore | inspect`, with Nomad's output, messages and exit codes.
import { createHash } from 'node:crypto';
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

  Displays the current Raft peer configuration.

List Peers Options:

  -stale=[true|false]
    The -stale argument defaults to "false" which means the leader provides
    the result. If the cluster is in an outage state without a leader, you may
    need to set -stale to "true" to get the configuration from a non-leader
    server.
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

  Remove the Nomad server with given -peer-address or -peer-id from the Raft
  configuration.

  There are rare cases where a peer may be left behind in the Raft quorum even
  though the server is no longer present and known to the cluster. This command
  can be used to remove the failed server so that it no longer affects the Raft
  quorum. If the server still shows in the output of the "nomad server members"
  command, it is preferable to clean up by running "nomad server force-leave"
  instead of this command.

Remove Peer Options:

  -peer-address="IP:port"
    Remove a Nomad server with given address from the Raft configuration.

  -peer-id="id"
    Remove a Nomad server with the given ID from the Raft configuration.
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

  Displays the current Autopilot configuration.
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
     Controls whether Nomad will automatically remove dead servers when
     new ones are successfully added. Must be one of [true|false].

  -disable-upgrade-migration=[true|false]
     (Enterprise-only) Controls whether Nomad will avoid promoting
     new servers until it can perform a migration. Must be one of
     "true|false". Stored, but not acted on by these servers.

  -enable-custom-upgrades=[true|false]
     (Enterprise-only) Stored, but not acted on by these servers.

  -enable-redundancy-zones=[true|false]
     (Enterprise-only) Stored, but not acted on by these servers.

  -last-contact-threshold=200ms
     Controls the maximum amount of time a server can go without contact
     from the leader before being considered unhealthy. Must be a
     duration value such as "200ms".

  -max-trailing-logs=<value>
     Controls the maximum number of log entries that a server can trail
     the leader by before being considered unhealthy.

  -min-quorum=<value>
     Controls the minimum number of servers required in a cluster
     before autopilot can prune dead servers.

  -server-stabilization-time=<10s>
     Controls the minimum amount of time a server must be stable in
     the 'healthy' state before being added to the cluster. Must be a
     duration value such as "10s".
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

  Retrieves an atomic, point-in-time snapshot of the state of the Nomad servers
  which includes jobs, nodes, allocations and evaluations.

  To create a snapshot from the leader server and save it to "backup.snap":

    $ nomad operator snapshot save backup.snap

  To create a potentially stale snapshot from any available server (useful if
  no leader is available):

    $ nomad operator snapshot save -stale backup.snap

Snapshot Save Options:

  -stale=[true|false]
    The -stale argument defaults to "false" which means the leader provides the
    result. If the cluster is in an outage state without a leader, you may need
    to set -stale to "true" to get the snapshot from a non-leader server.
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
    const digest = `sha-256=${createHash('sha256').update(saved.archive).digest('base64')}`;
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

  Restores an atomic, point-in-time snapshot of the state of the Nomad servers
  which includes jobs, nodes, allocations and evaluations.

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

  Displays information about a snapshot file on disk.

  To inspect the file "backup.snap":
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
