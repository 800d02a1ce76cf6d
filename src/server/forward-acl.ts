// What a call forwarded to the leader must show before it runs there. The server that received
// the request authorized it already, but the RPC port is reachable by more than servers: with ACLs
// on, the leader checks every forwarded call again against the secret it carries, with the same
// needs the HTTP routes declare. A node's own calls carry its node secret instead of a token.
// A method missing from the table needs a management token: new calls are closed until declared.
import { ANY_TOKEN, MANAGEMENT, OPEN, coarseNeed, namespaceNeed, type Need } from '../acl/need.js';
import { sameSecret } from '../acl/node-identity.js';
import type { TokenResolver } from '../acl/resolver.js';
import type { StateReader } from '../state/reader.js';
import { DEFAULT_NAMESPACE } from '../structs/defaults.js';

/** How a method's arguments say what the call concerns. */
type Rule =
  | { need: Need; namespace?: (args: unknown[], state: StateReader) => string }
  /** The node's own secret, or a token with node:write; `nodeSecret` names the nodes the call touches. */
  | { nodeSecret: (args: unknown[], state: StateReader) => string[] };

function field(v: unknown, name: string): unknown {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[name] : undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The namespace named by the first argument (namespace, jobId, ...). */
const firstArg = (args: unknown[]): string => str(args[0]) || DEFAULT_NAMESPACE;
/** A job given whole: its Namespace, else the request's (?namespace=) in the options. */
const jobArg = (args: unknown[]): string => str(field(args[0], 'Namespace')) || str(field(args[1], 'namespace')) || DEFAULT_NAMESPACE;
const deploymentArg = (args: unknown[], s: StateReader): string => s.deploymentByID(str(args[0]))?.Namespace ?? DEFAULT_NAMESPACE;
const allocArg = (args: unknown[], s: StateReader): string => s.allocByID(str(args[0]))?.Namespace ?? DEFAULT_NAMESPACE;

const SUBMIT_JOB = namespaceNeed('submit-job');
const NODE_WRITE = coarseNeed('node', 'write');

const RULES: Record<string, Rule> = {
  'Job.register': { need: SUBMIT_JOB, namespace: jobArg },
  'Job.plan': { need: SUBMIT_JOB, namespace: jobArg },
  'Job.deregister': { need: SUBMIT_JOB, namespace: firstArg },
  'Job.evaluate': { need: SUBMIT_JOB, namespace: firstArg },
  'Job.setStability': { need: SUBMIT_JOB, namespace: firstArg },
  'Job.revert': { need: SUBMIT_JOB, namespace: firstArg },
  'Job.periodicForce': { need: SUBMIT_JOB, namespace: firstArg },
  'Job.scale': { need: namespaceNeed('scale-job', 'submit-job'), namespace: firstArg },
  'Job.dispatch': { need: namespaceNeed('dispatch-job'), namespace: firstArg },
  'Deployment.promote': { need: SUBMIT_JOB, namespace: deploymentArg },
  'Deployment.fail': { need: SUBMIT_JOB, namespace: deploymentArg },
  'Deployment.pause': { need: SUBMIT_JOB, namespace: deploymentArg },
  'Deployment.setAllocHealth': { need: SUBMIT_JOB, namespace: deploymentArg },
  'Deployment.stopAlloc': { need: namespaceNeed('alloc-lifecycle'), namespace: allocArg },
  'Node.nodeRegister': { nodeSecret: (args) => [str(field(args[0], 'ID'))] },
  'Node.nodeUpdateFingerprint': { nodeSecret: (args) => [str(field(args[0], 'ID'))] },
  'Node.nodeUpdateStatus': { nodeSecret: (args) => [str(args[0])] },
  'Node.updateEligibility': { nodeSecret: (args) => [str(args[0])] },
  'Node.updateDrain': { nodeSecret: (args) => [str(args[0])] },
  // node purge is an operator's action, never the node's own.
  'Node.deregister': { need: NODE_WRITE },
  'Node.nodeUpdateAllocs': {
    nodeSecret: (args, s) => {
      const nodes = new Set<string>();
      for (const u of Array.isArray(args[0]) ? args[0] : []) {
        const alloc = s.allocByID(str(field(u, 'ID')));
        if (alloc) nodes.add(alloc.NodeID);
      }
      return [...nodes];
    },
  },
  // Bootstrap is open (it works once); the rest of the ACL system is for management tokens.
  'Acl.bootstrap': { need: OPEN },
  'Acl.upsertPolicy': { need: MANAGEMENT },
  'Acl.deletePolicy': { need: MANAGEMENT },
  'Acl.upsertToken': { need: MANAGEMENT },
  'Acl.deleteToken': { need: MANAGEMENT },
  'Namespace.upsert': { need: MANAGEMENT },
  'Namespace.delete': { need: MANAGEMENT },
  'Operator.setSchedulerConfig': { need: coarseNeed('operator', 'write') },
  'Operator.setAutopilotConfig': { need: coarseNeed('operator', 'write') },
  'Operator.autopilotHealth': { need: coarseNeed('operator', 'read') },
  'Operator.removeRaftPeer': { need: MANAGEMENT },
  'Operator.raftConfiguration': { need: MANAGEMENT },
  'Operator.snapshotSave': { need: MANAGEMENT },
  'Operator.snapshotRestore': { need: MANAGEMENT },
  'Operator.forceGc': { need: MANAGEMENT },
  // The read barrier's question: the leader's index, which any token may learn.
  'Status.readIndex': { need: ANY_TOKEN },
};

/** The need declared for a forwarded method ("Endpoint.method"), for tests and docs. */
export function forwardRule(method: string): Rule | undefined {
  return RULES[method];
}

/**
 * Throws 403 ("Permission denied", "ACL token not found") unless `secret` may run
 * `endpoint.method(args)` on this leader.
 */
export function authorizeForwarded(resolver: TokenResolver, state: StateReader, endpoint: string, method: string, args: unknown[], secret: string): void {
  const rule = RULES[`${endpoint}.${method}`] ?? { need: MANAGEMENT };
  if ('need' in rule) {
    if (rule.need.kind === 'none') return;
    resolver.authorize(secret, rule.need, rule.namespace ? rule.namespace(args, state) : DEFAULT_NAMESPACE);
    return;
  }
  // Updates of allocations the state no longer has touch no node: the FSM drops them.
  const nodeIds = rule.nodeSecret(args, state);
  if (secret !== '' && nodeIds.every((id) => nodeSecretMatches(state, id, secret, args))) return;
  // Not the node itself: an operator's token with node:write (drain, eligibility) may do it.
  resolver.authorize(secret, NODE_WRITE, DEFAULT_NAMESPACE);
}

/** A registered node's stored secret, or for a node registering for the first time the one it sends. */
function nodeSecretMatches(state: StateReader, nodeId: string, secret: string, args: unknown[]): boolean {
  const stored = state.nodeByID(nodeId);
  if (stored) return sameSecret(stored.SecretID, secret);
  const sent = str(field(args[0], 'SecretID'));
  return str(field(args[0], 'ID')) === nodeId && sent !== '' && sameSecret(sent, secret);
}
