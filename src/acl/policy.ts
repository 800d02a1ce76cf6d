// The ACL rule language's vocabulary: policy dispositions, the fine-grained capabilities they
// stand for, and the shape of a parsed policy. Deny always wins when rules are combined.

export type Disposition = 'deny' | 'read' | 'write' | 'scale' | 'list';

export const NAMESPACE_CAPABILITIES = [
  'deny',
  'list-jobs',
  'parse-job',
  'read-job',
  'submit-job',
  'dispatch-job',
  'read-logs',
  'read-fs',
  'alloc-exec',
  'alloc-node-exec',
  'alloc-lifecycle',
  'sentinel-override',
  'csi-register-plugin',
  'csi-write-volume',
  'csi-read-volume',
  'csi-list-volume',
  'csi-mount-volume',
  'host-volume-create',
  'host-volume-register',
  'host-volume-read',
  'host-volume-write',
  'host-volume-delete',
  'list-scaling-policies',
  'read-scaling-policy',
  'read-job-scaling',
  'scale-job',
  'submit-recommendation',
] as const;

export type NamespaceCapability = (typeof NAMESPACE_CAPABILITIES)[number];

export const HOST_VOLUME_CAPABILITIES = ['deny', 'mount-readonly', 'mount-readwrite'] as const;
export type HostVolumeCapability = (typeof HOST_VOLUME_CAPABILITIES)[number];

const READ_NAMESPACE: readonly NamespaceCapability[] = [
  'list-jobs',
  'parse-job',
  'read-job',
  'csi-list-volume',
  'csi-read-volume',
  'read-job-scaling',
  'list-scaling-policies',
  'read-scaling-policy',
  'host-volume-read',
];

const SCALE_NAMESPACE: readonly NamespaceCapability[] = ['list-scaling-policies', 'read-scaling-policy', 'read-job-scaling', 'scale-job'];

const WRITE_NAMESPACE: readonly NamespaceCapability[] = [
  ...READ_NAMESPACE,
  'scale-job',
  'submit-job',
  'dispatch-job',
  'read-logs',
  'read-fs',
  'alloc-exec',
  'alloc-lifecycle',
  'csi-mount-volume',
  'csi-write-volume',
  'submit-recommendation',
  'host-volume-create',
  'host-volume-write',
];

/** The capabilities a namespace `policy = "..."` stands for. */
export function expandNamespacePolicy(policy: Disposition): readonly NamespaceCapability[] {
  switch (policy) {
    case 'deny':
      return ['deny'];
    case 'read':
      return READ_NAMESPACE;
    case 'scale':
      return SCALE_NAMESPACE;
    case 'write':
      return WRITE_NAMESPACE;
    case 'list':
      return [];
  }
}

export function expandHostVolumePolicy(policy: Disposition): readonly HostVolumeCapability[] {
  switch (policy) {
    case 'deny':
      return ['deny'];
    case 'read':
      return ['mount-readonly'];
    case 'write':
      return ['mount-readonly', 'mount-readwrite'];
    default:
      return [];
  }
}

/** The dispositions each rule accepts. */
export const VALID_DISPOSITIONS = {
  namespace: ['deny', 'read', 'write', 'scale'],
  host_volume: ['deny', 'read', 'write'],
  agent: ['deny', 'read', 'write'],
  node: ['deny', 'read', 'write'],
  operator: ['deny', 'read', 'write'],
  quota: ['deny', 'read', 'write'],
  plugin: ['deny', 'read', 'list'],
} as const satisfies Record<string, readonly Disposition[]>;

export type CoarseRule = 'agent' | 'node' | 'operator' | 'quota' | 'plugin';

export interface NamespaceRule {
  /** The namespace name, or a glob with "*" ("web-*", "*"). */
  name: string;
  /** The union of the written capabilities and those of the policy disposition. */
  capabilities: NamespaceCapability[];
}

export interface HostVolumeRule {
  name: string;
  capabilities: HostVolumeCapability[];
}

/** A parsed, validated policy. */
export interface Policy {
  namespaces: NamespaceRule[];
  hostVolumes: HostVolumeRule[];
  /** The coarse rules that are set: agent, node, operator, quota, plugin. */
  coarse: Partial<Record<CoarseRule, Disposition>>;
}

/** Of two dispositions the one that wins when policies combine: deny, then the most privilege. */
export function maxDisposition(a: Disposition | undefined, b: Disposition | undefined): Disposition | undefined {
  const rank = (d: Disposition | undefined): number => (d === 'deny' ? 4 : d === 'write' ? 3 : d === 'read' ? 2 : d === 'list' ? 1 : 0);
  return rank(a) >= rank(b) ? a : b;
}
