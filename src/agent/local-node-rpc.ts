// The client of a server+client agent calls its server in-process. Its calls were made by the
// node itself, so they run as the node: its secret (learned from its registration) goes along
// with every call, and a follower that forwards one to the leader lets the leader check it as
// it checks a remote client's calls.
import { runAsCaller } from '../acl/caller.js';
import type { ClientServerRpc } from '../rpc/protocol.js';

export function callsAsNode(rpc: ClientServerRpc): ClientServerRpc {
  let secret = '';
  return {
    nodeRegister: (node) => {
      secret = node.SecretID;
      return runAsCaller(secret, () => rpc.nodeRegister(node));
    },
    nodeUpdateStatus: (nodeId, status, event) => runAsCaller(secret, () => rpc.nodeUpdateStatus(nodeId, status, event)),
    nodeUpdateFingerprint: (node) => runAsCaller(secret, () => rpc.nodeUpdateFingerprint(node)),
    nodeGetClientAllocs: (nodeId, minIndex, maxWaitMs) => runAsCaller(secret, () => rpc.nodeGetClientAllocs(nodeId, minIndex, maxWaitMs)),
    allocGetAllocs: (ids, minIndex) => runAsCaller(secret, () => rpc.allocGetAllocs(ids, minIndex)),
    nodeUpdateAllocs: (updates) => runAsCaller(secret, () => rpc.nodeUpdateAllocs(updates)),
  };
}
