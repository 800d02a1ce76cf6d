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

export interface Route {
  need: Need;
  namespaceFrom: NamespaceFrom;
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

  add(methods: string[], path: string, need: Need, handle: Handler, namespaceFrom: NamespaceFrom = 'request'): this {
    const route: Route = { need, namespaceFrom, handle };
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
