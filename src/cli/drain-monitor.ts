// Follows a node drain as `nomad node drain` does without -detach: one timestamped line per
// change (an allocation marked for migration, told to stop, stopped on its client; the drain
// strategy done), until every allocation on the node has stopped. Reads are blocking queries.
import type { Allocation, Node } from '../structs/index.js';
import type { NomadClient } from '../api/index.js';
import type { Io } from './context.js';
import { errText } from './base.js';
import { formatTime } from './format.js';

/** Bound of one blocking wait: the monitor looks at the node at least this often. */
const WAIT_MS = 5_000;
/** How long the monitor waits, once the node is empty, for the servers to end its drain. */
const DRAIN_END_WAIT_MS = 30_000;

interface Seen {
  migrate: boolean;
  desired: string;
  client: string;
}

export class DrainMonitor {
  private readonly seen = new Map<string, Seen>();
  private strategySeen = false;
  private strategyEnded = false;
  private downReported = false;
  private seeded = false;

  constructor(
    private readonly api: NomadClient,
    private readonly io: Io,
    private readonly nodeId: string,
    private readonly ignoreSystem: boolean,
  ) {}

  private say(msg: string): void {
    this.io.out(`${formatTime(this.io.nowMs())}: ${msg}`);
  }

  /**
   * The node's allocations as they were before the drain was set, so that the first read already
   * tells what the drain changed (the servers may mark allocations within milliseconds).
   */
  seed(allocs: Allocation[]): this {
    for (const a of allocs) this.seen.set(a.ID, { migrate: a.DesiredTransition?.Migrate === true, desired: a.DesiredStatus, client: a.ClientStatus });
    this.seeded = true;
    return this;
  }

  /** Returns when every allocation has stopped, the user interrupts, or the API fails (printed). */
  async run(): Promise<number> {
    let allocIndex = 0;
    let first = !this.seeded;
    for (;;) {
      if (this.io.interrupt?.aborted) return 0;
      let allocs: Allocation[];
      try {
        const res = await this.api.nodes.allocations(this.nodeId, allocIndex === 0 ? {} : { index: allocIndex, waitMs: WAIT_MS });
        allocs = res.body ?? [];
        allocIndex = res.meta.lastIndex;
      } catch (err) {
        if (this.io.interrupt?.aborted) return 0;
        this.io.err(`Error monitoring node: ${errText(err)}`);
        return 1;
      }
      const running = this.observeAllocs(allocs, first);
      first = false;
      const node = await this.readNode(0);
      if (node === null) return 1;
      this.observeNode(node);
      if (running === 0) {
        await this.awaitDrainEnd(node);
        this.say(`All allocations on node "${this.nodeId}" have stopped`);
        return 0;
      }
    }
  }

  /** Reports what changed since the last read; returns how many allocations still run. */
  private observeAllocs(allocs: Allocation[], baseline: boolean): number {
    let running = 0;
    for (const a of allocs) {
      const now: Seen = { migrate: a.DesiredTransition?.Migrate === true, desired: a.DesiredStatus, client: a.ClientStatus };
      const before = this.seen.get(a.ID);
      this.seen.set(a.ID, now);
      if (!baseline && before) {
        // One read may show several steps at once: each is told, in the order they happen.
        if (now.migrate && !before.migrate) this.say(`Alloc "${a.ID}" marked for migration`);
        if (now.migrate && now.desired === 'stop' && before.desired !== 'stop') this.say(`Alloc "${a.ID}" draining`);
        if (now.client !== before.client && (now.client === 'complete' || now.client === 'failed' || now.client === 'lost')) this.say(`Alloc "${a.ID}" status ${before.client} -> ${now.client}`);
      }
      if (this.ignoreSystem && a.Job?.Type === 'system') continue;
      if (a.ClientStatus === 'pending' || a.ClientStatus === 'running') running++;
    }
    return running;
  }

  private observeNode(node: Node): void {
    if (node.DrainStrategy !== null) this.strategySeen = true;
    else if (this.strategySeen && !this.strategyEnded) {
      this.strategyEnded = true;
      this.say(`Node "${this.nodeId}" has marked all allocations for migration`);
    }
    if (node.Status === 'down' && !this.downReported) {
      this.downReported = true;
      this.say(`Node "${this.nodeId}" down`);
    }
  }

  /** The servers end a drain right after its node empties: wait for that, within a bound. */
  private async awaitDrainEnd(node: Node): Promise<void> {
    let current = node;
    let index = node.ModifyIndex;
    const untilMs = this.io.nowMs() + DRAIN_END_WAIT_MS;
    while (current.DrainStrategy !== null && this.io.nowMs() < untilMs && !this.io.interrupt?.aborted) {
      const next = await this.readNode(index);
      if (next === null) return;
      current = next;
      index = Math.max(index, next.ModifyIndex);
      this.observeNode(next);
    }
  }

  private async readNode(index: number): Promise<Node | null> {
    try {
      return (await this.api.nodes.info(this.nodeId, index > 0 ? { index, waitMs: WAIT_MS } : {})).body;
    } catch (err) {
      if (!this.io.interrupt?.aborted) this.io.err(`Error monitoring node: ${errText(err)}`);
      return null;
    }
  }
}
