// The core's record of one member, and its read-only view for users.

import type { Member, MemberStatus, NodeState, Tags, VersionVector } from './types.js';

export interface NodeRecord {
  readonly name: string;
  addr: string;
  port: number;
  meta: Tags;
  incarnation: number;
  state: NodeState;
  stateChangeMs: number;
  vsn: VersionVector;
}

export function statusOf(state: NodeState): MemberStatus {
  switch (state) {
    case 'alive': return 'alive';
    case 'suspect': return 'suspect';
    case 'dead': return 'failed';
    case 'left': return 'left';
  }
}

export function toMember(rec: NodeRecord, statusOverride?: MemberStatus): Member {
  return Object.freeze({
    name: rec.name,
    addr: rec.addr,
    port: rec.port,
    tags: rec.meta,
    status: statusOverride ?? statusOf(rec.state),
    incarnation: rec.incarnation,
    protocolMin: rec.vsn[0],
    protocolMax: rec.vsn[1],
    protocolCur: rec.vsn[2],
    delegateMin: rec.vsn[3],
    delegateMax: rec.vsn[4],
    delegateCur: rec.vsn[5],
  });
}

export function sameTags(a: Tags, b: Tags): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}
