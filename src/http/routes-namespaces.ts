// /v1/namespaces and /v1/namespace/:name: list, read, apply and delete.
import { NomadError, badRequest } from '../structs/errors.js';
import { NAMESPACE_TYPE } from '../structs/request-shapes.js';
import { decodeApiBody } from '../structs/api-decode.js';
import type { NamespaceInput } from '../server/namespace-endpoints.js';
import type { RouteTable } from './route-table.js';
import { ANY_TOKEN, MANAGEMENT, NAMESPACE_VISIBLE } from '../acl/need.js';
import { blockingRead, queryMeta, type ApiContext, type Handler } from './api-context.js';
import type { Exchange } from './exchange.js';
import { requestToken } from './authorize.js';

const listNamespaces: Handler = (x, api) =>
  blockingRead(x, api, ['namespaces'], (snap) => {
    const prefix = x.query.get('prefix') ?? '';
    // With ACLs on, a caller sees only the namespaces it has some capability in.
    const visible = snap.namespaces().filter((n) => n.Name.startsWith(prefix) && (x.acl === null || x.acl.allowNamespace(n.Name)));
    // The default namespace exists from index 1 on, as in Nomad, before any namespace write.
    return { index: Math.max(1, snap.tableIndex('namespaces')), value: visible };
  });

const getNamespace: Handler = (x, api) =>
  blockingRead(x, api, ['namespaces'], (snap) => {
    const ns = snap.namespaceByName(x.params.name!);
    if (!ns) throw new NomadError('not_found', 'namespace not found');
    return { index: ns.ModifyIndex, value: ns };
  });

/** A write answers with its index in the headers and no body, as Nomad's does. */
async function written(x: Exchange, api: ApiContext, index: number): Promise<void> {
  x.setMeta(queryMeta(api, index));
  x.res.statusCode = 200;
  x.res.end();
}

async function applyNamespace(x: Exchange, api: ApiContext, pathName: string | null): Promise<void> {
  const body = decodeApiBody(await x.body(), NAMESPACE_TYPE) as NamespaceInput | null;
  if (body === null) throw badRequest('Request body must be a JSON object', 'body');
  if (pathName !== null && (body.Name ?? '') !== pathName) throw badRequest('Namespace name does not match request path', 'Name');
  const out = await api.server.namespaces.upsert([body]);
  await written(x, api, out.Index);
}

const deleteNamespace: Handler = async (x, api) => {
  const out = await api.server.namespaces.delete(x.params.name!, requestToken(x));
  await written(x, api, out.Index);
};

export function addNamespaceRoutes(r: RouteTable): void {
  const W = ['PUT', 'POST'];
  r.add(['GET'], '/v1/namespaces', ANY_TOKEN, listNamespaces);
  // Namespaces belong to the authoritative region: written there, copied to the others.
  r.add(W, '/v1/namespace', MANAGEMENT, (x, api) => applyNamespace(x, api, null), 'request', 'authoritative');
  r.add(['GET'], '/v1/namespace/:name', NAMESPACE_VISIBLE, getNamespace, { param: 'name' });
  r.add(W, '/v1/namespace/:name', MANAGEMENT, (x, api) => applyNamespace(x, api, x.params.name!), 'request', 'authoritative');
  r.add(['DELETE'], '/v1/namespace/:name', MANAGEMENT, deleteNamespace, 'request', 'authoritative');
}
