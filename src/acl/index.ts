// The ACL system: the rule language (parsePolicy), compiled ACLs (Acl), what operations require
// (Need, permits), token resolution with its cache (TokenResolver), node secrets, and the
// refusals in Nomad's words. It knows the replicated state only through AclStateReader.
export { Acl } from './acl.js';
export { parsePolicy, formatPolicyErrors, MAX_RULES_BYTES, type PolicyError, type PolicyParseResult } from './parse-policy.js';
export type { NamespaceCapability, Policy } from './policy.js';
export { ALL_NAMESPACES, ANY_TOKEN, MANAGEMENT, NAMESPACE_VISIBLE, OPEN, coarseNeed, describeNeed, namespaceNeed, permits, type Need } from './need.js';
export { TokenResolver, type AclStateReader, type ResolvedToken, type TokenResolverOptions } from './resolver.js';
export { authorizeNode, sameSecret, type NodeSecretReader } from './node-identity.js';
export { currentCallerSecret, runAsCaller } from './caller.js';
export { ACL_DISABLED, PERMISSION_DENIED, TOKEN_EXPIRED, TOKEN_NOT_FOUND, aclDisabled, permissionDenied, tokenExpired, tokenNotFound } from './errors.js';
export type { Authorizer } from './authorizer.js';
export { RemoteTokenResolver, type AclSource, type RemoteTokenResolverOptions } from './remote-resolver.js';
