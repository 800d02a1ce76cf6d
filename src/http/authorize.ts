// The one place where HTTP requests are authorized: the route's declared need is checked against
// the caller's token (X-Nomad-Token, or "Authorization: Bearer"), in the namespace the route
// says the request concerns. With ACLs off nothing is checked and no token is resolved.
import type { Acl } from '../acl/acl.js';
import type { StateReader } from '../state/reader.js';
import type { ApiContext } from './api-context.js';
import type { Exchange } from './exchange.js';
import type { NamespaceFrom, Route } from './route-table.js';

/** The secret a request carries ('' when none: the anonymous token). */
export function requestToken(x: Exchange): string {
  const header = x.req.headers['x-nomad-token'];
  const token = Array.isArray(header) ? header[0] : header;
  if (token) return token.trim();
  const auth = x.req.headers.authorization;
  const bearer = auth && /^Bearer\s+(.+)$/i.exec(auth);
  return bearer ? bearer[1]!.trim() : '';
}

/**
 * Checks the route's need; throws 403 ("Permission denied", "ACL token not found") when it is
 * not met. Returns the caller's ACL for routes that show only what the caller may see, or null
 * when ACLs are off or the route is open to all. Synchronous unless the namespace is in the body
 * or the token must be asked of the servers (a client-only agent's cache miss): this runs on
 * every request.
 */
export function authorizeRequest(x: Exchange, api: ApiContext, route: Route): Acl | null | Promise<Acl | null> {
  const resolver = api.acl;
  if (resolver === null || route.need.kind === 'none') return null;
  const from = route.namespaceFrom;
  if (from === 'job-body') return jobBodyNamespace(x).then(async (ns) => (await resolver.authorize(requestToken(x), route.need, ns)).acl);
  const resolved = resolver.authorize(requestToken(x), route.need, requestNamespace(x, api, from));
  return resolved instanceof Promise ? resolved.then((r) => r.acl) : resolved.acl;
}

async function jobBodyNamespace(x: Exchange): Promise<string> {
  const body = await x.body();
  const job = body !== null && typeof body === 'object' ? (body as { Job?: unknown }).Job : undefined;
  const ns = job !== null && typeof job === 'object' ? (job as { Namespace?: unknown }).Namespace : undefined;
  return typeof ns === 'string' && ns !== '' ? ns : x.namespace;
}

function requestNamespace(x: Exchange, api: ApiContext, from: Exclude<NamespaceFrom, 'job-body'>): string {
  if (from === 'request') return x.namespace;
  const value = x.params[from.param] ?? '';
  if (!('object' in from)) return value;
  if (!api.hasServer) return from.object === 'alloc' ? (allocNamespace(api, value) ?? x.namespace) : x.namespace;
  return objectNamespace(api.store.snapshot(), from.object, value) ?? x.namespace;
}

/**
 * The namespace of an allocation: from the state on a server, from the client's own
 * allocations on an agent without one (the only allocations it answers for). Null when unknown.
 */
export function allocNamespace(api: ApiContext, allocId: string): string | null {
  if (!api.hasServer) return api.client?.allocNamespace(allocId) ?? null;
  return api.store.snapshot().allocByID(allocId)?.Namespace ?? null;
}

function objectNamespace(snap: StateReader, kind: 'alloc' | 'eval' | 'deployment', id: string): string | null {
  switch (kind) {
    case 'alloc':
      return snap.allocByID(id)?.Namespace ?? null;
    case 'eval':
      return snap.evalByID(id)?.Namespace ?? null;
    case 'deployment':
      return snap.deploymentByID(id)?.Namespace ?? null;
  }
}
