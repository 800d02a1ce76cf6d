// Agent, status, regions, scheduler configuration, system and search endpoints.
import { badRequest } from '../structs/errors.js';
import type { SchedulerConfiguration } from '../state/reader.js';
import type { RouteTable } from './route-table.js';
import { ANY_TOKEN, MANAGEMENT, OPEN, coarseNeed } from '../acl/need.js';
import { permissionDenied } from '../acl/errors.js';
import { blockingRead, queryMeta, type ApiContext, type Handler } from './api-context.js';
import { HttpError, type Exchange } from './exchange.js';
import { optBool, optObject, optString } from './body-fields.js';
import { allocStub } from './encode.js';
import { visibleOnly } from './visible.js';
import type { KeyringOp, KeyringResponse } from './agent-info.js';

function agentOr501(api: ApiContext) {
  if (!api.agent) throw new HttpError(501, 'agent information is not available');
  return api.agent;
}

/** The agent's keyring operations; Nomad answers 501 on an agent that runs no server. */
function keyringOf(api: ApiContext): (op: KeyringOp, key: string) => KeyringResponse {
  const agent = agentOr501(api);
  if (!agent.keyring) throw new HttpError(501, 'Invalid method');
  const ring = agent.keyring.bind(agent);
  return (op, key) => {
    try {
      return ring(op, key);
    } catch (e) {
      // Keyring refusals (unknown key, primary key, encryption off) are 500s in Nomad.
      throw new HttpError(500, e instanceof Error ? e.message : String(e));
    }
  };
}

function addresses(x: Exchange): string[] {
  return x.query.getAll('address').filter(Boolean);
}

const SEARCH_CONTEXTS = ['jobs', 'evals', 'allocs', 'nodes', 'deployment'] as const;
/** Nomad truncates each context of a prefix search at 20 matches. */
const SEARCH_LIMIT = 20;

const AGENT_READ = coarseNeed('agent', 'read');
const AGENT_WRITE = coarseNeed('agent', 'write');

export function addAgentRoutes(r: RouteTable): void {
  const W = ['PUT', 'POST'];
  r.add(['GET'], '/v1/agent/self', AGENT_READ, async (x, api) => x.sendJson(200, await agentOr501(api).self()));
  r.add(['GET'], '/v1/agent/members', coarseNeed('node', 'read'), async (x, api) => x.sendJson(200, await agentOr501(api).members()));
  r.add(['GET'], '/v1/agent/servers', AGENT_READ, async (x, api) => x.sendJson(200, agentOr501(api).servers()));
  r.add(W, '/v1/agent/servers', AGENT_WRITE, async (x, api) => {
    const addrs = addresses(x);
    if (addrs.length === 0) throw badRequest('missing server address', '?address');
    await agentOr501(api).setServers(addrs);
    await x.sendJson(200, null);
  });
  r.add(W, '/v1/agent/join', AGENT_WRITE, async (x, api) => {
    const addrs = addresses(x);
    if (addrs.length === 0) throw badRequest('missing address to join', '?address');
    await x.sendJson(200, await agentOr501(api).join(addrs));
  });
  r.add(W, '/v1/agent/force-leave', AGENT_WRITE, async (x, api) => {
    const node = x.query.get('node');
    if (!node) throw badRequest('missing node to force leave', '?node');
    await agentOr501(api).forceLeave(node, x.query.get('prune') === 'true' || x.query.get('prune') === '1');
    await x.sendJson(200, null);
  });
  r.add(['GET'], '/v1/agent/keyring/list', AGENT_WRITE, async (x, api) => x.sendJson(200, keyringOf(api)('list', '')));
  for (const op of ['install', 'use', 'remove'] as const) {
    r.add(W, `/v1/agent/keyring/${op}`, AGENT_WRITE, async (x, api) => {
      const ring = keyringOf(api);
      const body = await x.objectBody();
      const key = optString(body, 'Key');
      if (!key) throw badRequest('missing key', 'Key');
      await x.sendJson(200, ring(op, key));
    });
  }
  r.add(['GET'], '/v1/agent/health', OPEN, async (x, api) => {
    const h = await agentOr501(api).health();
    const ok = (h.client?.ok ?? true) && (h.server?.ok ?? true);
    await x.sendJson(ok ? 200 : 500, h);
  });

  r.add(['GET'], '/v1/status/leader', OPEN, async (x, api) => x.sendJson(200, api.server.leaderRpcAddr()));
  // This server's own view, as Nomad's: the leader it knows ("" when none) and the voters'
  // RPC addresses in its Raft configuration.
  r.add(['GET'], '/v1/status/peers', OPEN, async (x, api) => x.sendJson(200, api.server.consensus.stats().configuration.filter((s) => s.Voter).map((s) => s.Address)));
  r.add(['GET'], '/v1/regions', OPEN, async (x, api) => x.sendJson(200, [api.server.region]));

  r.add(['GET'], '/v1/operator/scheduler/configuration', coarseNeed('operator', 'read'), (x, api) =>
    blockingRead(x, api, ['scheduler_config'], (snap) => {
      const cfg = snap.schedulerConfig();
      const meta = queryMeta(api, cfg.ModifyIndex);
      return { index: cfg.ModifyIndex, value: { SchedulerConfig: cfg, Index: cfg.ModifyIndex, LastContact: meta.lastContactMs, KnownLeader: meta.knownLeader } };
    }),
  );
  r.add(W, '/v1/operator/scheduler/configuration', coarseNeed('operator', 'write'), async (x, api) => {
    const body = await x.objectBody();
    const current = api.store.snapshot().schedulerConfig();
    const algo = optString(body, 'SchedulerAlgorithm') || current.SchedulerAlgorithm;
    if (algo !== 'binpack' && algo !== 'spread') throw badRequest(`invalid scheduler algorithm "${algo}": must be "binpack" or "spread"`, 'SchedulerAlgorithm');
    const pre = optObject(body, 'PreemptionConfig');
    const cfg: SchedulerConfiguration = {
      ...current,
      SchedulerAlgorithm: algo,
      MemoryOversubscriptionEnabled: body.MemoryOversubscriptionEnabled === undefined ? current.MemoryOversubscriptionEnabled : optBool(body, 'MemoryOversubscriptionEnabled'),
      RejectJobRegistration: body.RejectJobRegistration === undefined ? current.RejectJobRegistration : optBool(body, 'RejectJobRegistration'),
      PreemptionConfig: pre
        ? {
            SystemSchedulerEnabled: optBool(pre, 'SystemSchedulerEnabled', 'PreemptionConfig.SystemSchedulerEnabled'),
            BatchSchedulerEnabled: optBool(pre, 'BatchSchedulerEnabled', 'PreemptionConfig.BatchSchedulerEnabled'),
            ServiceSchedulerEnabled: optBool(pre, 'ServiceSchedulerEnabled', 'PreemptionConfig.ServiceSchedulerEnabled'),
          }
        : current.PreemptionConfig,
    };
    const res = await api.server.operator.setSchedulerConfig(cfg);
    x.setMeta(queryMeta(api, res.Index));
    await x.sendJson(200, res);
  });

  r.add(W, '/v1/system/gc', MANAGEMENT, async (x, api) => {
    await api.server.forceGc();
    await x.sendJson(200, null);
  });
  r.add(W, '/v1/system/reconcile/summaries', MANAGEMENT, async (x) => x.sendJson(200, null));

  r.add(W, '/v1/search', ANY_TOKEN, async (x, api) => {
    const body = await x.objectBody();
    const prefix = optString(body, 'Prefix');
    const context = optString(body, 'Context') || 'all';
    if (context !== 'all' && !(SEARCH_CONTEXTS as readonly string[]).includes(context)) throw badRequest(`invalid search context "${context}"`, 'Context');
    const snap = api.store.snapshot();
    const ns = x.namespace;
    const matches: Record<string, string[]> = {};
    const truncations: Record<string, boolean> = {};
    const take = (ctx: string, ids: string[]): void => {
      matches[ctx] = ids.slice(0, SEARCH_LIMIT);
      truncations[ctx] = ids.length > SEARCH_LIMIT;
    };
    // With ACLs, a context the caller may not read is left out; asking only for such contexts is refused.
    const acl = x.acl;
    const readable = (c: string): boolean => {
      if (acl === null) return true;
      if (c === 'nodes') return acl.allow('node', 'read');
      const caps = c === 'jobs' ? (['list-jobs', 'read-job'] as const) : (['read-job'] as const);
      return ns === '*' ? acl.allowInSomeNamespace(caps) : acl.allowNamespaceAny(ns, caps);
    };
    const contexts = context === 'all' ? SEARCH_CONTEXTS.filter(readable) : SEARCH_CONTEXTS.filter((c) => c === context && readable(c));
    if (contexts.length === 0) throw permissionDenied();
    const want = (c: string): boolean => (contexts as readonly string[]).includes(c);
    if (want('jobs')) take('jobs', visibleOnly(x, ns === '*' ? snap.jobs('*').filter((j) => j.ID.startsWith(prefix)) : snap.jobsByIDPrefix(ns, prefix), ['list-jobs', 'read-job']).map((j) => j.ID));
    if (want('evals')) take('evals', visibleOnly(x, snap.evalsByIDPrefix(ns, prefix)).map((e) => e.ID));
    if (want('allocs')) take('allocs', visibleOnly(x, snap.allocsByIDPrefix(ns, prefix)).map((a) => allocStub(a, snap).ID));
    if (want('nodes')) take('nodes', snap.nodesByIDPrefix(prefix).map((n) => n.ID));
    if (want('deployment')) take('deployment', visibleOnly(x, snap.deploymentsByIDPrefix(ns, prefix)).map((d) => d.ID));
    const index = snap.latestIndex();
    const meta = queryMeta(api, index);
    x.setMeta(meta);
    await x.sendJson(200, { Matches: matches, Truncations: truncations, Index: index, LastContact: meta.lastContactMs, KnownLeader: meta.knownLeader });
  });
}
