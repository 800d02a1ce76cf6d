// Whose behalf a node's call runs on: carried (for a leader that checks it) only with ACLs on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { currentCallerSecret } from '../acl/caller.js';
import type { TokenResolver } from '../acl/resolver.js';
import { NODE_RPC } from '../rpc/protocol.js';
import type { RpcRequestContext } from '../rpc/types.js';
import { NodeRpc, type NodeRpcServer } from './node-rpc.js';
import type { NodeEndpoints } from './node-endpoints.js';

const SECRET = '6a0a4e5c-0000-4000-8000-00000000beef';

/** The secret the node endpoints see as the caller's when a node registers through NodeRpc. */
async function callerSeenByEndpoints(aclEnabled: boolean): Promise<string | undefined> {
  let seen: string | undefined = 'not called';
  // Only NodeRpc is under test: the endpoints record whom the call runs for.
  const nodes = { nodeRegister: async () => (seen = currentCallerSecret()) } as unknown as NodeEndpoints;
  const server = {
    region: 'global',
    tokens: aclEnabled ? ({} as TokenResolver) : null,
    nodes,
  } as unknown as NodeRpcServer;
  const handler = new NodeRpc(server).handlers()[NODE_RPC.register]!;
  await handler({ Region: 'global', Node: { ID: 'n1', SecretID: SECRET } }, {} as RpcRequestContext);
  return seen;
}

test('with ACLs on, a node\'s call runs on behalf of its secret (a forwarded call carries it)', async () => {
  assert.equal(await callerSeenByEndpoints(true), SECRET);
});

test('with ACLs off, a node\'s call carries no caller: nothing checks it, and no async context is entered', async () => {
  assert.equal(await callerSeenByEndpoints(false), undefined);
});
