// The read side of the ACL tables: what token resolution and the /v1/acl endpoints ask.
import type { AclPolicy, AclToken } from '../structs/acl.js';

export interface AclStateView {
  aclPolicyByName(name: string): AclPolicy | null;
  /** Policies ordered by name, those starting with `prefix` when given. */
  aclPolicies(prefix?: string): AclPolicy[];
  aclTokenByAccessor(accessorId: string): AclToken | null;
  aclTokenBySecret(secretId: string): AclToken | null;
  /** Tokens ordered by AccessorID, those starting with `prefix` when given. */
  aclTokens(prefix?: string): AclToken[];
  /** The index of the ACL bootstrap (0 when ACLs were never bootstrapped). */
  aclBootstrapIndex(): number;
}
