// What a caller may see of a list: requests across namespaces ("*") and listings whose objects
// span namespaces show only the objects of namespaces the caller's ACL allows.
import type { NamespaceCapability } from '../acl/policy.js';
import type { Exchange } from './exchange.js';

/** Whether the caller may see objects of `namespace` (always, when ACLs are off). */
export function canSee(x: Exchange, namespace: string, caps: readonly NamespaceCapability[] = ['read-job']): boolean {
  return x.acl === null || x.acl.allowNamespaceAny(namespace, caps);
}

/** The objects the caller may see. */
export function visibleOnly<T extends { Namespace: string }>(x: Exchange, items: T[], caps: readonly NamespaceCapability[] = ['read-job']): T[] {
  return x.acl === null ? items : items.filter((o) => canSee(x, o.Namespace, caps));
}
