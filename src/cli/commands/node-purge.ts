// `nomad node purge`: the servers forget a node at once (what node GC does to a node down past
// node_gc_threshold); the jobs that had allocations there are evaluated again. A client that is
// still alive registers again at its next heartbeat.
import { argsError, defineCommand, errText } from '../base.js';
import { resolveNode } from './node-lookup.js';

export const nodePurgeCommand = defineCommand({
  name: 'node purge',
  synopsis: 'Purge a node from the cluster state',
  help: `Usage: nomad node purge [options] <node>

  Removes a node from the servers' state right away, without waiting for node
  garbage collection. Allocations that were placed on it are evaluated again
  by their jobs. A client agent that is still running registers again.

  If ACLs are enabled, this command requires a token with the 'node:write'
  capability.

Node Purge Options:

  -self
    Purge the node run by the agent being queried.
`,
  api: true,
  flags: (fs) => fs.bool('self'),
  async run({ flags, args, io, client }) {
    const self = flags.bool('self');
    if ((self && args.length !== 0) || (!self && args.length !== 1)) return argsError(io, 'node purge', "Node ID must be specified if -self isn't being used");
    const api = client();
    const found = await resolveNode(api, io, self, args[0], 'Error purging node');
    if (!found) return 1;
    let evalIds: string[];
    try {
      evalIds = (await api.nodes.purge(found.node.ID)).body.EvalIDs ?? [];
    } catch (err) {
      io.err(`Error purging node: ${errText(err)}`);
      return 1;
    }
    io.out(`Node "${found.node.ID}" purged`);
    for (const id of evalIds) io.out(`Evaluation "${id}" created for the node's jobs`);
    return 0;
  },
});
