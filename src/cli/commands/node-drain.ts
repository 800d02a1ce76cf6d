// `nomad node drain`: starts or ends a node's drain (the leader's drainer moves the work) and,
// unless detached, follows it until every allocation on the node has stopped.
import type { DrainSpec } from '../../structs/node.js';
import { parseDurationNs } from '../../structs/time.js';
import { argsError, defineCommand, errText } from '../base.js';
import { DrainMonitor } from '../drain-monitor.js';
import { formatTime } from '../format.js';
import { resolveNode } from './node-lookup.js';

/** Nomad's default drain deadline when none is given. */
const DEFAULT_DEADLINE_NS = 3600e9;
/** A negative deadline asks the servers to force the drain at once. */
const FORCE_DEADLINE_NS = -1e9;

export const nodeDrainCommand = defineCommand({
  name: 'node drain',
  synopsis: 'Toggle drain mode on a given node',
  help: `Usage: nomad node drain [options] <node>

  Toggles draining of a node. A draining node takes no new work, and its
  allocations are migrated to other nodes as each group's migrate block allows.
  Without -detach the command follows the drain until every allocation on the
  node has stopped.

Node Drain Options:

  -enable
    Start draining the node.

  -disable
    Stop draining the node.

  -deadline <duration>
    How long allocations may take to migrate before what is left is stopped.
    Defaults to 1h.

  -detach
    Return as soon as the drain is set instead of following it.

  -monitor
    Follow the drain of a node that is already draining.

  -force
    Stop every allocation at once, without waiting for migrations.

  -no-deadline
    Migrate allocations without a deadline.

  -ignore-system
    Leave system jobs running on the node.

  -keep-ineligible
    With -disable: leave the node ineligible for scheduling.

  -self
    Act on the node run by the agent being queried.

  -yes
    Do not ask for confirmation when the node is given by an ID prefix.
`,
  api: true,
  flags: (fs) =>
    fs.bool('enable').bool('disable').string('deadline').bool('detach').bool('monitor').bool('force').bool('no-deadline').bool('ignore-system').bool('keep-ineligible').bool('self').bool('yes'),
  async run({ flags, args, io, client }) {
    const name = 'node drain';
    const enable = flags.bool('enable');
    const disable = flags.bool('disable');
    const monitorOnly = flags.bool('monitor');
    const self = flags.bool('self');
    const force = flags.bool('force');
    const noDeadline = flags.bool('no-deadline');
    const ignoreSystem = flags.bool('ignore-system');
    const deadline = flags.string('deadline');
    if (monitorOnly && (enable || disable)) return argsError(io, name, "The -monitor flag cannot be used with the '-enable' or '-disable' flags");
    if ((enable && disable) || (!monitorOnly && !enable && !disable)) return argsError(io, name, "Either the '-enable' or '-disable' flag must be set, unless using '-monitor'");
    if ((self && args.length !== 0) || (!self && args.length !== 1)) return argsError(io, name, "Node ID must be specified if -self isn't being used");
    if (disable && (deadline !== '' || force || noDeadline || ignoreSystem)) return argsError(io, name, "-disable can't be combined with flags configuring drain strategy");
    if (deadline !== '' && (force || noDeadline)) return argsError(io, name, "-deadline can't be combined with -force or -no-deadline");
    if (force && noDeadline) return argsError(io, name, '-force and -no-deadline are mutually exclusive');

    let deadlineNs = DEFAULT_DEADLINE_NS;
    if (force) deadlineNs = FORCE_DEADLINE_NS;
    else if (noDeadline) deadlineNs = 0;
    else if (deadline !== '') {
      const parsed = parseDurationNs(deadline);
      if (parsed === null) {
        io.err(`Failed to parse deadline "${deadline}": time: invalid duration "${deadline}"`);
        return 1;
      }
      if (parsed <= 0) {
        io.err('A positive drain duration must be given');
        return 1;
      }
      deadlineNs = parsed;
    }

    const api = client();
    const found = await resolveNode(api, io, self, args[0], 'Error toggling drain mode');
    if (!found) return 1;
    const { node } = found;

    if (monitorOnly) {
      if (node.DrainStrategy === null) {
        io.err('No drain strategy set');
        return 0;
      }
      io.out(`${formatTime(io.nowMs())}: Monitoring node "${node.ID}": Ctrl-C to detach monitoring`);
      return new DrainMonitor(api, io, node.ID, ignoreSystem).run();
    }

    if (!found.exact && !flags.bool('yes')) {
      const answer = io.ask ? await io.ask(`Are you sure you want to ${enable ? 'enable' : 'disable'} drain mode for node "${node.ID}"? [y/N]`) : '';
      if (answer === '' || answer.toLowerCase().startsWith('n')) {
        io.out('Canceling drain toggle');
        return 0;
      }
      if (answer.toLowerCase().startsWith('y') && answer.length > 1) {
        io.out('For confirmation, an exact ‘y’ is required.');
        return 0;
      }
      if (answer !== 'y') {
        io.out("No confirmation detected. For confirmation, an exact 'y' is required.");
        return 1;
      }
    }

    const follow = enable && !flags.bool('detach');
    const monitor = new DrainMonitor(api, io, node.ID, ignoreSystem);
    if (follow) {
      try {
        monitor.seed((await api.nodes.allocations(node.ID)).body ?? []);
      } catch (err) {
        io.err(`Error querying node allocations: ${errText(err)}`);
        return 1;
      }
    }
    const spec: DrainSpec | null = enable ? { Deadline: deadlineNs, IgnoreSystemJobs: ignoreSystem } : null;
    try {
      await api.nodes.updateDrain(node.ID, spec, !flags.bool('keep-ineligible'));
    } catch (err) {
      io.err(`Error updating drain specification: ${errText(err)}`);
      return 1;
    }
    if (!enable) {
      io.out(`Node "${node.ID}" drain strategy unset`);
      return 0;
    }
    if (!follow) {
      io.out(`Node "${node.ID}" drain strategy set`);
      return 0;
    }
    const now = formatTime(io.nowMs());
    io.out(`${now}: Ctrl-C to stop monitoring: will not cancel the node drain`);
    io.out(`${now}: Node "${node.ID}" drain strategy set`);
    return monitor.run();
  },
});
