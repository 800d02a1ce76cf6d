// Shared shapes of the gossip layer: addresses, member records and the events the core emits.

export interface Address {
  readonly addr: string;
  readonly port: number;
}

/** The protocol-level state of a node, as memberlist tracks it. */
export type NodeState = 'alive' | 'suspect' | 'dead' | 'left';

/**
 * The status reported to users, as Serf reports it, plus `suspect` (memberlist's view) so that
 * operators can see a member under suspicion. `toNomadStatus` folds it into Nomad's four.
 */
export type MemberStatus = 'alive' | 'suspect' | 'failed' | 'left' | 'leaving';

/** Serf-style tags: a flat string map carried in every alive message. */
export type Tags = Readonly<Record<string, string>>;

/** [protocolMin, protocolMax, protocolCur, delegateMin, delegateMax, delegateCur] */
export type VersionVector = readonly [number, number, number, number, number, number];

export interface Member {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  readonly tags: Tags;
  readonly status: MemberStatus;
  readonly incarnation: number;
  readonly protocolMin: number;
  readonly protocolMax: number;
  readonly protocolCur: number;
  readonly delegateMin: number;
  readonly delegateMax: number;
  readonly delegateCur: number;
}

export type MemberEventType = 'member-join' | 'member-leave' | 'member-failed' | 'member-update' | 'member-reap';

export interface MemberEvent {
  readonly type: MemberEventType;
  readonly member: Member;
  /** Time of the core when the event happened (the driver's clock, or simulated time). */
  readonly atMs: number;
}

/** Folds a member status into the four values Nomad's `/v1/agent/members` shows. */
export function toNomadStatus(status: MemberStatus): 'alive' | 'failed' | 'left' | 'leaving' {
  // Serf never exposes suspicion: a suspect member is still alive until the timeout fires.
  return status === 'suspect' ? 'alive' : status;
}

export function formatAddress(a: Address): string {
  return a.addr.includes(':') ? `[${a.addr}]:${a.port}` : `${a.addr}:${a.port}`;
}
