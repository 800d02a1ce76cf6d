// Agent, status, regions, scheduler configuration, system and search endpoints.
import { badRequest } from '../structs/errors.js';
import type { SchedulerConfiguration } from '../state/reader.js';
import type { RouteTable } from './route-table.js';
import { ANY_TOKEN, MANAGEMENT, OPEN, coarseNeed } from '../acl/need.js';
import { blockingRead, queryMeta, type ApiContext, type Handler } from './api-context.js';
import { HttpError, type Exchange } from './exchange.js';
import { optBool, optObject, optString } from './body-fields.js';
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
  r.add(['GET'], '/v1/regions', OPEN, async (x, api) => x.sendJson(200, api.server.regions.regions()));

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

}
