// Client nodes authenticate with the secret they registered with, not with an ACL token: an RPC
// endpoint that serves a node (its allocations, its status updates) checks the secret the call
// carries against the node's stored one.
import { permissionDenied } from './errors.js';

export interface NodeSecretReader {
  nodeByID(id: string): { SecretID: string } | null;
}

/** Throws "Permission denied" unless `secret` is the registered secret of node `nodeId`. */
export function authorizeNode(state: NodeSecretReader, nodeId: string, secret: string): void {
  const node = state.nodeByID(nodeId);
  if (node === null || secret === '' || !sameSecret(node.SecretID, secret)) throw permissionDenied();
}

/** Compares in time that depends only on the lengths, so a caller cannot guess a secret byte by byte. */
export function sameSecret(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
