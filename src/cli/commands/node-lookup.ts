// The node a node command acts on: the queried agent's own (-self) or the one node an ID or
// unique ID prefix names, with Nomad's errors for each way that fails.
import type { Node, NodeListStub } from '../../structs/index.js';
import type { NomadClient } from '../../api/index.js';
import type { Io } from '../context.js';
import { errText } from '../base.js';
import { SHORT_ID_LENGTH } from '../format.js';
import { sanitizeUuidPrefix } from './alloc-status.js';
import { formatNodeList } from './node-status.js';

export interface ResolvedNode {
  node: Node;
  /** X-Nomad-Index of the node read: where a monitor starts waiting. */
  index: number;
  /** Whether the argument was the node's full ID (a prefix asks for confirmation first). */
  exact: boolean;
}

/** Prints the error and returns null when there is no single node; `failure` prefixes API errors. */
export async function resolveNode(api: NomadClient, io: Io, self: boolean, given: string | undefined, failure: string): Promise<ResolvedNode | null> {
  let nodeId: string;
  let exact = true;
  if (self) {
    try {
      nodeId = await api.nodes.selfId();
    } catch (err) {
      io.err(errText(err));
      return null;
    }
  } else {
    const arg = given ?? '';
    if (arg.length === 1) {
      io.err('Identifier must contain at least two characters.');
      return null;
    }
    let nodes: NodeListStub[];
    try {
      nodes = (await api.nodes.list({ prefix: sanitizeUuidPrefix(arg) })).body ?? [];
    } catch (err) {
      io.err(`${failure}: ${errText(err)}`);
      return null;
    }
    if (nodes.length === 0) {
      io.err(`No node(s) with prefix or id "${arg}" found`);
      return null;
    }
    if (nodes.length > 1) {
      io.err(`Prefix matched multiple nodes\n\n${formatNodeList(nodes, false, SHORT_ID_LENGTH)}`);
      return null;
    }
    nodeId = nodes[0]!.ID;
    exact = nodeId === arg;
  }
  try {
    const { body, meta } = await api.nodes.info(nodeId);
    return { node: body, index: meta.lastIndex, exact };
  } catch (err) {
    io.err(`Error querying node info: ${errText(err)}`);
    return null;
  }
}
