// What an operation requires of its caller, declared beside the operation (an HTTP route, an
// RPC endpoint) and checked in one place. Independent of any transport.
import type { Acl } from './acl.js';
import type { NamespaceCapability } from './policy.js';

export type Need =
  /** Open to everyone, with or without a token (no token is even resolved). */
  | { kind: 'none' }
  /** A management token. */
  | { kind: 'management' }
  /** Any valid token, the anonymous one included: the operation itself decides what to show. */
  | { kind: 'token' }
  /** One of the capabilities in the namespace the request concerns. */
  | { kind: 'namespace'; anyOf: readonly NamespaceCapability[] }
  /** Any capability at all in the namespace (it may be seen). */
  | { kind: 'namespace-visible' }
  | { kind: 'coarse'; rule: 'agent' | 'node' | 'operator' | 'quota'; level: 'read' | 'write' }
  | { kind: 'plugin'; level: 'list' | 'read' };

export const OPEN: Need = { kind: 'none' };
export const MANAGEMENT: Need = { kind: 'management' };
export const ANY_TOKEN: Need = { kind: 'token' };
export const NAMESPACE_VISIBLE: Need = { kind: 'namespace-visible' };

export function namespaceNeed(...anyOf: NamespaceCapability[]): Need {
  return { kind: 'namespace', anyOf };
}

export function coarseNeed(rule: 'agent' | 'node' | 'operator' | 'quota', level: 'read' | 'write'): Need {
  return { kind: 'coarse', rule, level };
}

/** The namespace that means "every namespace" in list requests. */
export const ALL_NAMESPACES = '*';

/**
 * Whether the ACL satisfies the need in `namespace`. For "*" (all namespaces) a namespace need is
 * met when some namespace allows it; the operation then shows only what the caller may see.
 */
export function permits(acl: Acl, need: Need, namespace: string): boolean {
  switch (need.kind) {
    case 'none':
    case 'token':
      return true;
    case 'management':
      return acl.management;
    case 'namespace':
      return namespace === ALL_NAMESPACES ? acl.allowInSomeNamespace(need.anyOf) : acl.allowNamespaceAny(namespace, need.anyOf);
    case 'namespace-visible':
      return namespace === ALL_NAMESPACES ? acl.allowInSomeNamespace(['list-jobs', 'read-job']) || acl.management : acl.allowNamespace(namespace);
    case 'coarse':
      return acl.allow(need.rule, need.level);
    case 'plugin':
      return acl.allowPlugin(need.level);
  }
}

/** "namespace:read-job", "node:write", "management": how a need is written in docs and tests. */
export function describeNeed(need: Need): string {
  switch (need.kind) {
    case 'none':
      return 'none';
    case 'management':
      return 'management';
    case 'token':
      return 'token';
    case 'namespace':
      return need.anyOf.map((c) => `namespace:${c}`).join('|');
    case 'namespace-visible':
      return 'namespace:any';
    case 'coarse':
      return `${need.rule}:${need.level}`;
    case 'plugin':
      return `plugin:${need.level}`;
  }
}
