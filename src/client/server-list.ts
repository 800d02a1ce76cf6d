// The servers a client knows, in the order it tries them. The first is the one it talks to; a
// server that fails goes to the back, so the next call tries another. Each client shuffles its
// list (from its configuration, then from what the servers answer), so that many clients spread
// over the servers instead of all calling the first one named; the order is shuffled again now
// and then so that a server that joined later also gets its share.

/** Nomad rebalances a client's server list every few minutes. */
export const DEFAULT_REBALANCE_MS = 5 * 60_000;

export interface ServerListOptions {
  random?: () => number;
  nowMs?: () => number;
  rebalanceMs?: number;
}

export class ServerList {
  private list: string[] = [];
  private readonly random: () => number;
  private readonly nowMs: () => number;
  private readonly rebalanceMs: number;
  private lastShuffleMs: number;

  constructor(initial: readonly string[] = [], opts: ServerListOptions = {}) {
    this.random = opts.random ?? Math.random;
    this.nowMs = opts.nowMs ?? Date.now;
    this.rebalanceMs = opts.rebalanceMs ?? DEFAULT_REBALANCE_MS;
    this.lastShuffleMs = this.nowMs();
    this.list = this.shuffled(unique(initial));
  }

  /** The servers in the order to try them (a copy). */
  ordered(): string[] {
    return [...this.list];
  }

  get size(): number {
    return this.list.length;
  }

  /** Adds servers not known yet (a join that found them); the current first stays first. */
  add(addrs: readonly string[]): void {
    const fresh = unique(addrs).filter((a) => !this.list.includes(a));
    if (fresh.length === 0) return;
    const [first, ...rest] = this.list;
    this.list = first === undefined ? this.shuffled(fresh) : [first, ...this.shuffled([...rest, ...fresh])];
  }

  /**
   * The servers as the cluster reports them (each answer names every server of the region).
   * Servers no longer named are dropped; the current first stays first while it is named, so
   * that a healthy connection is not given up for nothing; every rebalance period the order is
   * drawn anew.
   */
  replace(addrs: readonly string[]): void {
    const next = unique(addrs);
    if (next.length === 0) return;
    if (this.nowMs() - this.lastShuffleMs >= this.rebalanceMs) {
      this.lastShuffleMs = this.nowMs();
      this.list = this.shuffled(next);
      return;
    }
    const first = this.list[0];
    const kept = this.list.filter((a) => next.includes(a));
    const added = next.filter((a) => !kept.includes(a));
    const rest = [...kept.filter((a) => a !== first), ...this.shuffled(added)];
    this.list = first !== undefined && next.includes(first) ? [first, ...rest] : rest;
  }

  /** A server that could not be reached goes to the back of the list. */
  failed(addr: string): void {
    const i = this.list.indexOf(addr);
    if (i < 0 || this.list.length < 2) return;
    this.list.splice(i, 1);
    this.list.push(addr);
  }

  private shuffled(addrs: string[]): string[] {
    const out = [...addrs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

function unique(addrs: readonly string[]): string[] {
  return [...new Set(addrs.map((a) => a.trim()).filter((a) => a !== ''))];
}
