// Nodes, allocations, evaluations and deployments: lists (with ?prefix= and ?namespace=),
// single objects, and the operator actions on them.
import type { DrainSpec } from '../structs/node.js';
import { badRequest, notFound } from '../structs/errors.js';
import type { StateReader } from '../state/reader.js';
import { watchKey } from '../state/watch-keys.js';
import type { RouteTable } from './route-table.js';
import { coarseNeed, namespaceNeed } from '../acl/need.js';
import { blockingRead, queryMeta, type ApiContext, type Handler } from './api-context.js';
import type { Exchange } from './exchange.js';
import { allocStub, encodeAlloc, encodeEval, nodeStub } from './encode.js';
import { optBool, optInt, optObject, optString, optStringList, optStringMap } from './body-fields.js';
import { JsonList } from './json-slices.js';
import { visibleOnly } from './visible.js';

async function writeMeta(x: Exchange, api: ApiContext, index: number, value: Record<string, unknown>): Promise<void> {
  const meta = queryMeta(api, index);
  x.setMeta(meta);
  await x.sendJson(200, { ...value, LastContact: meta.lastContactMs, KnownLeader: meta.knownLeader });
}

function allNs(ns: string): string {
  return ns;
}

function byPrefix<T extends { ID: string; Namespace?: string }>(all: T[], prefix: string): T[] {
  return prefix ? all.filter((o) => o.ID.startsWith(prefix)) : all;
}

// ---- nodes

const listNodes: Handler = (x, api) =>
  blockingRead(x, api, ['nodes'], (snap) => {
    const prefix = x.query.get('prefix') ?? '';
    const nodes = prefix ? snap.nodesByIDPrefix(prefix) : snap.nodes();
    const withResources = x.flag('resources');
    return {
      index: snap.tableIndex('nodes'),
      value: new JsonList(nodes, (n) => {
        const s = nodeStub(n);
        if (withResources) {
          s.NodeResources = n.NodeResources;
          s.ReservedResources = n.ReservedResources;
        }
        return s;
      }),
    };
  });

const getNode: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.node(x.params.id!)], (snap) => {
    const n = snap.nodeByID(x.params.id!);
    if (!n) throw notFound('node not found');
    return { index: n.ModifyIndex, value: n };
  });

const nodeAllocations: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.nodeAllocs(x.params.id!)], (snap) => {
    const allocs = visibleOnly(x, snap.allocsByNode(x.params.id!));
    const index = allocs.reduce((m, a) => Math.max(m, a.ModifyIndex), 0) || snap.tableIndex('allocs');
    return { index, value: new JsonList(allocs, (a) => encodeAlloc(a.Job ? a : { ...a, Job: snap.jobByID(a.Namespace, a.JobID) })) };
  });

const nodeEligibility: Handler = async (x, api) => {
  const body = await x.objectBody();
  const out = await api.server.nodes.updateEligibility(x.params.id!, optString(body, 'Eligibility'));
  await writeMeta(x, api, out.Index, { ...out });
};

const nodeDrain: Handler = async (x, api) => {
  const body = await x.objectBody();
  const spec = optObject(body, 'DrainSpec');
  const drain: DrainSpec | null = spec ? { Deadline: optInt(spec, 'Deadline', 'DrainSpec.Deadline') ?? 0, IgnoreSystemJobs: optBool(spec, 'IgnoreSystemJobs', 'DrainSpec.IgnoreSystemJobs') } : null;
  const meta = optStringMap(body, 'Meta');
  const out = await api.server.nodes.updateDrain(x.params.id!, drain, optBool(body, 'MarkEligible'), meta);
  await writeMeta(x, api, out.Index, { ...out });
};

const nodePurge: Handler = async (x, api) => {
  const out = await api.server.nodes.deregister(x.params.id!);
  await writeMeta(x, api, out.Index, { ...out });
};

// ---- allocations

const listAllocs: Handler = (x, api) =>
  blockingRead(x, api, ['allocs'], (snap) => {
    const prefix = x.query.get('prefix') ?? '';
    const ns = allNs(x.namespace);
    const allocs = prefix ? (ns === '*' ? byPrefix(snap.allocs('*'), prefix) : snap.allocsByIDPrefix(ns, prefix)) : snap.allocs(ns);
    return { index: snap.tableIndex('allocs'), value: new JsonList(visibleOnly(x, allocs), (a) => allocStub(a, snap)) };
  });

// Watched through its job's allocations (the store keeps no key per allocation); answered when
// the allocation itself changed or went away.
const getAlloc: Handler = (x, api) =>
  blockingRead(
    x,
    api,
    (snap) => {
      const a = snap.allocByID(x.params.id!);
      return a ? { keys: [watchKey.jobAllocs(a.Namespace, a.JobID)], changedAt: a.ModifyIndex } : ['allocs'];
    },
    (snap) => {
      const a = snap.allocByID(x.params.id!);
      if (!a) throw notFound('alloc not found');
      return { index: a.ModifyIndex, value: encodeAlloc(a.Job ? a : { ...a, Job: snap.jobByID(a.Namespace, a.JobID) }) };
    },
  );

const stopAlloc: Handler = async (x, api) => {
  const out = await api.server.deployments.stopAlloc(x.params.id!);
  await writeMeta(x, api, out.Index, { ...out });
};

// ---- evaluations

const listEvals: Handler = (x, api) =>
  blockingRead(x, api, ['evals'], (snap) => {
    const prefix = x.query.get('prefix') ?? '';
    const ns = x.namespace;
    let evals = prefix ? (ns === '*' ? byPrefix(snap.evals('*'), prefix) : snap.evalsByIDPrefix(ns, prefix)) : snap.evals(ns);
    const status = x.query.get('status');
    if (status) evals = evals.filter((e) => e.Status === status);
    const job = x.query.get('job');
    if (job) evals = evals.filter((e) => e.JobID === job);
    return { index: snap.tableIndex('evals'), value: new JsonList(visibleOnly(x, evals), encodeEval) };
  });

const getEval: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.eval(x.params.id!)], (snap) => {
    const ev = snap.evalByID(x.params.id!);
    if (!ev) throw notFound('eval not found');
    return { index: ev.ModifyIndex, value: encodeEval(ev) };
  });

const evalAllocations: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.evalAllocs(x.params.id!)], (snap) => ({
    index: snap.tableIndex('allocs'),
    value: new JsonList(snap.allocsByEval(x.params.id!), (a) => allocStub(a, snap)),
  }));

// ---- deployments

const listDeployments: Handler = (x, api) =>
  blockingRead(x, api, ['deployment'], (snap) => {
    const prefix = x.query.get('prefix') ?? '';
    const ns = x.namespace;
    const deps = prefix ? (ns === '*' ? byPrefix(snap.deployments('*'), prefix) : snap.deploymentsByIDPrefix(ns, prefix)) : snap.deployments(ns);
    return { index: snap.tableIndex('deployment'), value: new JsonList(visibleOnly(x, deps), (d) => d) };
  });

function deploymentOr404(snap: StateReader, id: string) {
  const d = snap.deploymentByID(id);
  if (!d) throw notFound('deployment not found');
  return d;
}

const getDeployment: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.deployment(x.params.id!)], (snap) => {
    const d = deploymentOr404(snap, x.params.id!);
    return { index: d.ModifyIndex, value: d };
  });

const deploymentAllocations: Handler = (x, api) =>
  blockingRead(x, api, [watchKey.deploymentAllocs(x.params.id!), watchKey.deployment(x.params.id!)], (snap) => {
    deploymentOr404(snap, x.params.id!);
    return { index: snap.tableIndex('allocs'), value: new JsonList(snap.allocsByDeployment(x.params.id!), (a) => allocStub(a, snap)) };
  });

const promoteDeployment: Handler = async (x, api) => {
  const body = await x.objectBody(true);
  const out = await api.server.deployments.promote(x.params.id!, optBool(body, 'All'), optStringList(body, 'Groups'));
  await writeMeta(x, api, out.Index, { ...out });
};

const failDeployment: Handler = async (x, api) => {
  const out = await api.server.deployments.fail(x.params.id!);
  await writeMeta(x, api, out.Index, { ...out });
};

const pauseDeployment: Handler = async (x, api) => {
  const body = await x.objectBody(true);
  if (body.Pause !== undefined && typeof body.Pause !== 'boolean') throw badRequest('Pause: must be a boolean', 'Pause');
  const out = await api.server.deployments.pause(x.params.id!, optBool(body, 'Pause'));
  await writeMeta(x, api, out.Index, { ...out });
};

const deploymentAllocHealth: Handler = async (x, api) => {
  const body = await x.objectBody();
  const out = await api.server.deployments.setAllocHealth(x.params.id!, optStringList(body, 'HealthyAllocationIDs'), optStringList(body, 'UnhealthyAllocationIDs'));
  await writeMeta(x, api, out.Index, { ...out });
};

const NODE_READ = coarseNeed('node', 'read');
const NODE_WRITE = coarseNeed('node', 'write');
const READ_JOB = namespaceNeed('read-job');
const SUBMIT_JOB = namespaceNeed('submit-job');
const ALLOC = { object: 'alloc', param: 'id' } as const;
const EVAL = { object: 'eval', param: 'id' } as const;
const DEPLOYMENT = { object: 'deployment', param: 'id' } as const;

export function addClusterRoutes(r: RouteTable): void {
  const W = ['PUT', 'POST'];
  r.add(['GET'], '/v1/nodes', NODE_READ, listNodes);
  r.add(['GET'], '/v1/node/:id', NODE_READ, getNode);
  r.add(['GET'], '/v1/node/:id/allocations', NODE_READ, nodeAllocations);
  r.add(W, '/v1/node/:id/eligibility', NODE_WRITE, nodeEligibility);
  r.add(W, '/v1/node/:id/drain', NODE_WRITE, nodeDrain);
  r.add(W, '/v1/node/:id/purge', NODE_WRITE, nodePurge);

  r.add(['GET'], '/v1/allocations', READ_JOB, listAllocs);
  r.add(['GET'], '/v1/allocation/:id', READ_JOB, getAlloc, ALLOC);
  r.add(W, '/v1/allocation/:id/stop', namespaceNeed('alloc-lifecycle'), stopAlloc, ALLOC);

  r.add(['GET'], '/v1/evaluations', READ_JOB, listEvals);
  r.add(['GET'], '/v1/evaluation/:id', READ_JOB, getEval, EVAL);
  r.add(['GET'], '/v1/evaluation/:id/allocations', READ_JOB, evalAllocations, EVAL);

  r.add(['GET'], '/v1/deployments', READ_JOB, listDeployments);
  r.add(['GET'], '/v1/deployment/:id', READ_JOB, getDeployment, DEPLOYMENT);
  // Nomad's own paths put the action before the ID; the ID-first forms are accepted as well.
  r.add(['GET'], '/v1/deployment/allocations/:id', READ_JOB, deploymentAllocations, DEPLOYMENT);
  r.add(['GET'], '/v1/deployment/:id/allocations', READ_JOB, deploymentAllocations, DEPLOYMENT);
  r.add(W, '/v1/deployment/promote/:id', SUBMIT_JOB, promoteDeployment, DEPLOYMENT);
  r.add(W, '/v1/deployment/:id/promote', SUBMIT_JOB, promoteDeployment, DEPLOYMENT);
  r.add(W, '/v1/deployment/fail/:id', SUBMIT_JOB, failDeployment, DEPLOYMENT);
  r.add(W, '/v1/deployment/:id/fail', SUBMIT_JOB, failDeployment, DEPLOYMENT);
  r.add(W, '/v1/deployment/pause/:id', SUBMIT_JOB, pauseDeployment, DEPLOYMENT);
  r.add(W, '/v1/deployment/allocation-health/:id', SUBMIT_JOB, deploymentAllocHealth, DEPLOYMENT);
  r.add(W, '/v1/deployment/:id/pause', SUBMIT_JOB, pauseDeployment, DEPLOYMENT);
}
