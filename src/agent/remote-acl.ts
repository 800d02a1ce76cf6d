// ACLs on an agent that runs only a client: the tokens its own API receives (agent and client
// routes) are resolved by asking the servers (ACL.ResolveToken, then ACL.GetPolicies on the
// caller's own token) and cached for acl.token_ttl / acl.policy_ttl. Requests it forwards to a
// server carry the caller's token there, where the server checks them itself.
import { RemoteTokenResolver, type AclSource } from '../acl/remote-resolver.js';
import type { RpcCaller } from '../rpc/types.js';
import { ACL_RESOLVE_TOKEN_METHOD, type AclResolveTokenReply, type AclResolveTokenRequest } from '../server/acl-resolve-endpoints.js';
import { ACL_GET_POLICIES_METHOD, type AclGetRequest, type AclPoliciesReply } from '../server/acl-replication-endpoints.js';
import type { Clock } from '../structs/clock.js';
import type { AgentConfig } from './config.js';
import type { Logger } from './logger.js';

/** Bound of one lookup: a request waits at most this long for the servers before it is refused. */
const LOOKUP_TIMEOUT_MS = 10_000;

export function serverAclSource(caller: RpcCaller, region: string): AclSource {
  return {
    resolveToken: async (secret) => {
      const req: AclResolveTokenRequest = { Region: region, SecretID: secret };
      return (await caller.call<AclResolveTokenReply>(ACL_RESOLVE_TOKEN_METHOD, req, { timeoutMs: LOOKUP_TIMEOUT_MS })).Token;
    },
    policies: async (secret, names) => {
      const req: AclGetRequest = { Region: region, AuthToken: secret, Names: [...names] };
      return (await caller.call<AclPoliciesReply>(ACL_GET_POLICIES_METHOD, req, { timeoutMs: LOOKUP_TIMEOUT_MS })).Policies;
    },
  };
}

export function remoteTokenResolver(config: AgentConfig, caller: RpcCaller, clock: Clock, log: Logger): RemoteTokenResolver {
  const aclLog = log.named('client.acl');
  return new RemoteTokenResolver({
    source: serverAclSource(caller, config.region),
    nowMs: () => clock.nowMs(),
    tokenTtlMs: config.acl.tokenTtlMs,
    policyTtlMs: config.acl.policyTtlMs,
    onStale: (what, problem) => aclLog.warn(`failed to resolve ${what}, using expired cached value`, { error: problem }),
    onBadPolicy: (name, problem) => aclLog.error('policy from the servers does not parse; it grants nothing', { policy: name, problem }),
  });
}

/**
 * A client-only agent with ACLs off answers its own API (alloc logs, fs, exec, stats) to anyone.
 * In a cluster whose servers enforce ACLs that is a hole the operator did not mean: ask the
 * servers once (the anonymous ACL.GetPolicies, which they answer only with ACLs on) and say so.
 */
export async function warnIfServersEnforceAcls(caller: RpcCaller, region: string, log: Logger): Promise<void> {
  const req: AclGetRequest = { Region: region, AuthToken: '', Names: [] };
  try {
    await caller.call<AclPoliciesReply>(ACL_GET_POLICIES_METHOD, req, { timeoutMs: LOOKUP_TIMEOUT_MS });
  } catch (e) {
    // ACLs off on the servers too, or no answer: nothing to say.
    log.debug('client: servers do not enforce ACLs (or did not answer)', { error: (e as Error).message });
    return;
  }
  log.warn('client: the servers enforce ACLs but this agent has ACLs disabled: its API (alloc logs, fs, exec, stats) answers without a token; set acl { enabled = true } on this agent');
}
