// The servers' gossip pool as each server sees it. A member is alive to an observer when it is
// up and reachable, directly or through a third member (as SWIM's indirect probes find it);
// failed otherwise; left once it left on purpose. A change is seen only after a detection delay
// (suspicion before failure, a join round before alive), and a restarted server sees the others
// again only after it rejoins.
import type { ServerMember, ServerMemberStatus, ServerMembership } from '../../../src/server/server-members.js';
import type { SimNetwork } from './sim-net.js';
import type { HostLife, SimLoop } from './sim-loop.js';

/** How often the pool's views are brought up to date. */
const GOSSIP_ROUND_MS = 200;
/** How long a member must look failed before an observer declares it failed (suspicion). */
const FAILURE_DETECTION_MS = 1_500;
/** How long before a member that came up (or a restarted observer) is seen alive. */
const JOIN_DETECTION_MS = 400;

export interface PoolMember {
  readonly address: string;
  readonly name: string;
  readonly id: string;
  readonly bootstrapExpect: number;
  /** Whether the member's process runs now. */
  isUp(): boolean;
  left: boolean;
}

interface Observed {
  /** False until the member was first seen alive: until then the observer does not list it. */
  listed: boolean;
  status: ServerMemberStatus;
  /** The status the observer is moving to, and since when it has held. */
  next: ServerMemberStatus | null;
  sinceMs: number;
}

interface View {
  readonly life: HostLife;
  readonly seen: Map<string, Observed>;
  readonly listeners: Set<() => void>;
}

export class SimGossipPool {
  private readonly members = new Map<string, PoolMember>();
  private readonly views = new Map<string, View>();
  changes = 0;

  constructor(
    private readonly loop: SimLoop,
    private readonly net: SimNetwork,
  ) {
    const round = (): void => {
      this.round();
      this.loop.after(GOSSIP_ROUND_MS, round);
    };
    this.loop.after(GOSSIP_ROUND_MS, round);
  }

  add(member: PoolMember): void {
    this.members.set(member.address, member);
  }

  /** The pool as one life of a server sees it (the server's ServerMembership). */
  viewFor(address: string, life: HostLife): ServerMembership {
    const view: View = { life, seen: new Map(), listeners: new Set() };
    view.seen.set(address, { listed: true, status: 'alive', next: null, sinceMs: this.loop.nowMs });
    this.views.set(address, view);
    return {
      members: () => {
        const out: ServerMember[] = [];
        for (const [addr, o] of view.seen) {
          if (!o.listed) continue;
          const m = this.members.get(addr)!;
          out.push({ name: m.name, id: m.id, region: 'global', datacenter: 'dc1', rpcAddr: m.address, status: o.status, bootstrapExpect: m.bootstrapExpect, build: '1.1.2' });
        }
        return out;
      },
      onChange: (listener) => {
        view.listeners.add(listener);
        return () => view.listeners.delete(listener);
      },
    };
  }

  /** Can `a` learn about `b`: directly, or through a live member both reach. */
  private reachable(a: string, b: string): boolean {
    const direct = (x: string, y: string): boolean => !this.net.isBlocked(x, y) && !this.net.isBlocked(y, x);
    if (direct(a, b)) return true;
    for (const k of this.members.values()) {
      if (k.isUp() && k.address !== a && k.address !== b && direct(a, k.address) && direct(k.address, b)) return true;
    }
    return false;
  }

  private truth(observer: string, m: PoolMember): ServerMemberStatus {
    if (m.left) return 'left';
    return m.isUp() && this.reachable(observer, m.address) ? 'alive' : 'failed';
  }

  private round(): void {
    const now = this.loop.nowMs;
    for (const [observer, view] of this.views) {
      if (!view.life.isAlive) continue;
      let changed = false;
      for (const m of this.members.values()) {
        if (m.address === observer) continue;
        const want = this.truth(observer, m);
        const o = view.seen.get(m.address);
        if (!o) {
          // Not known yet: learned of once it is alive (a member never seen is never listed).
          if (want === 'alive') view.seen.set(m.address, { listed: false, status: 'failed', next: 'alive', sinceMs: now });
          continue;
        }
        if (!o.listed && want !== 'alive') {
          view.seen.delete(m.address);
          continue;
        }
        if (o.status === want) {
          o.next = null;
          continue;
        }
        if (o.next !== want) {
          o.next = want;
          o.sinceMs = now;
        }
        const delayMs = want === 'failed' ? FAILURE_DETECTION_MS : JOIN_DETECTION_MS;
        if (now - o.sinceMs >= delayMs) {
          o.listed = true;
          o.status = want;
          o.next = null;
          changed = true;
        }
      }
      if (changed) {
        this.changes++;
        for (const l of [...view.listeners]) if (view.life.isAlive) l();
      }
    }
  }
}
