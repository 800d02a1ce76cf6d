// The API's routes: each with the handler and what its caller must be allowed to do, so that
// authorization happens in one place (authorize.ts) for every route, and a test can walk the
// table to see that none was added without a declaration.
import type { Need } from '../acl/need.js';
import type { Handler } from './api-context.js';
import { Router, type RouteMatch } from './router.js';

/**
 * Which namespace a namespace need is checked in: the request's (?namespace=, the default);
 * the job in the body's (Job.Namespace, else the request's); the namespace of the object the
 * route parameter names (an allocation, evaluation or deployment); or the parameter itself.
 */
export type NamespaceFrom = 'request' | 'job-body' | { object: 'alloc' | 'eval' | 'deployment'; param: string } | { param: string };

/**
 * Which region a request is served in (request-region.ts): this agent's own ('local': about the
 * agent itself); ?region= ('request', the default); Nomad's rule for a submitted job
 * ('job-body'); the authoritative region ('authoritative': ACL policies and bootstrap); or the
 * authoritative region when the token is global ('acl-token-body' for a token in the body,
 * 'acl-token-param' for the stored token the path names), ?region= otherwise.
 */
export type RegionFrom = 'local' | 'request' | 'job-body' | 'authoritative' | 'acl-token-body' | 'acl-token-param';

/** Sections answered by the agent itself, whatever ?region= says (Nomad forwards the others). */
const LOCAL_SECTIONS = new Set(['agent', 'client', 'regions', 'metrics']);

export interface Route {
  need: Need;
  namespaceFrom: NamespaceFrom;
  regionFrom: RegionFrom;
  handle: Handler;
}

export interface RouteEntry {
  methods: readonly string[];
  path: string;
  route: Route;
}

export class RouteTable {
  private readonly router = new Router<Route>();
  private readonly list: RouteEntry[] = [];

  add(methods: string[], path: string, need: Need, handle: Handler, namespaceFrom: NamespaceFrom = 'request', regionFrom?: RegionFrom): this {
    const section = path.split('/')[2] ?? '';
    const route: Route = { need, namespaceFrom, regionFrom: regionFrom ?? (LOCAL_SECTIONS.has(section) ? 'local' : 'request'), handle };
    this.router.add(methods, path, route);
    this.list.push({ methods, path, route });
    return this;
  }

  match(method: string, path: string): RouteMatch<Route> | null {
    return this.router.match(method, path);
  }

  /** Every route as declared, in the order added. */
  entries(): readonly RouteEntry[] {
    return this.list;
  }
}
