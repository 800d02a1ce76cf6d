// `nomad node eligibility`: whether the schedulers may place new work on a node.
import { argsError, defineCommand, errText } from '../base.js';
import { resolveNode } from './node-lookup.js';

export const nodeEligibilityCommand = defineCommand({
  name: 'node eligibility',
  synopsis: 'Toggle scheduling eligibility for a given node',
  help: `Usage: nomad node eligibility [options] <node>

  Toggles whether new allocations may be placed on the node. Allocations already
  on an ineligible node keep running; use "nomad node drain" to move them.

Node Eligibility Options:

  -enable
    Make the node eligible for scheduling.

  -disable
    Make the node ineligible for scheduling.

  -self
    Act on the node run by the agent being queried.
`,
  api: true,
  flags: (fs) => fs.bool('enable').bool('disable').bool('self'),
  async run({ flags, args, io, client }) {
    const enable = flags.bool('enable');
    const disable = flags.bool('disable');
    const self = flags.bool('self');
    if (enable === disable) return argsError(io, 'node eligibility', "Either the '-enable' or '-disable' flag must be set");
    if ((self && args.length !== 0) || (!self && args.length !== 1)) return argsError(io, 'node eligibility', "Node ID must be specified if -self isn't being used");
    const api = client();
    const found = await resolveNode(api, io, self, args[0], 'Error updating scheduling eligibility');
    if (!found) return 1;
    try {
      await api.nodes.eligibility(found.node.ID, enable);
    } catch (err) {
      io.err(`Error updating scheduling eligibility: ${errText(err)}`);
      return 1;
    }
    io.out(`Node "${found.node.ID}" scheduling eligibility set: ${enable ? 'eligible' : 'ineligible'} for scheduling`);
    return 0;
  },
});
