// What checking a token costs a client-only agent: a request whose token and policies are in
// its cache (the common case: every request within token_ttl of the last lookup) against the
// same check on a server, which reads its own state; and a lookup that must ask a server (here
// the server's ACL endpoints in the same process, so the figure is the work of both sides
// without the network). Costs are CPU time of this process per check.
import { RemoteTokenResolver } from '../src/acl/remote-resolver.js';
import { TokenResolver } from '../src/acl/resolver.js';
import { namespaceNeed } from '../src/acl/need.js';
import { serverAclSource } from '../src/agent/remote-acl.js';
import type { RpcCaller } from '../src/rpc/types.js';
import { startAclApiServer } from '../test/unit/acl-api-server.js';

const HITS = Number(process.env.BENCH_HITS ?? 200_000);
const MISSES = Number(process.env.BENCH_MISSES ?? 2_000);
const NEED = namespaceNeed('read-logs');

function print(figure: string, value: number, unit: string): void {
  console.log(`bench acl-cache.${figure} ${Number(value.toFixed(3))} ${unit}`);
}

function cpuUs(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const d = process.cpuUsage(before);
  return d.user + d.system;
}

async function cpuUsAsync(fn: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(before);
  return d.user + d.system;
}

const api = await startAclApiServer({ serverAcl: true });
try {
  const root = (JSON.parse((await api.call('PUT', '/v1/acl/bootstrap')).text) as { SecretID: string }).SecretID;
  await api.call('PUT', '/v1/acl/policy/logs', root, { Name: 'logs', Rules: 'namespace "default" { capabilities = ["read-logs"] }' });
  const token = JSON.parse((await api.call('PUT', '/v1/acl/token', root, { Name: 'b', Type: 'client', Policies: ['logs'] })).text) as { SecretID: string };
  const handlers = api.server.rpcHandlers();
  const link: RpcCaller = { call: async <T>(method: string, args: unknown) => (await handlers[method]!(args)) as T };
  const onServer = new TokenResolver({ state: () => api.store.snapshot(), nowMs: () => Date.now() });
  const onClient = new RemoteTokenResolver({ source: serverAclSource(link, 'global'), nowMs: () => Date.now(), tokenTtlMs: 3_600_000, policyTtlMs: 3_600_000 });
  onServer.authorize(token.SecretID, NEED, 'default');
  await onClient.authorize(token.SecretID, NEED, 'default');

  const serverUs = cpuUs(() => {
    for (let i = 0; i < HITS; i++) onServer.authorize(token.SecretID, NEED, 'default');
  });
  const clientUs = cpuUs(() => {
    for (let i = 0; i < HITS; i++) {
      const r = onClient.authorize(token.SecretID, NEED, 'default');
      if (r instanceof Promise) throw new Error('a cached token was not checked at once');
    }
  });
  print('server_check_ns', (serverUs * 1000) / HITS, 'ns');
  print('client_cached_check_ns', (clientUs * 1000) / HITS, 'ns');

  // A lookup that asks the servers: each resolver starts with an empty cache.
  const missUs = await cpuUsAsync(async () => {
    for (let i = 0; i < MISSES; i++) {
      const fresh = new RemoteTokenResolver({ source: serverAclSource(link, 'global'), nowMs: () => Date.now(), tokenTtlMs: 30_000, policyTtlMs: 30_000 });
      await fresh.authorize(token.SecretID, NEED, 'default');
    }
  });
  print('client_lookup_us', missUs / MISSES, 'us');
} finally {
  await api.close();
}
