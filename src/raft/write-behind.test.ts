// A leader writes its own log beside the Ready loop: the followers' acknowledgements commit what
// they hold while its disk is still busy, and yet the leader applies (and answers) an entry only
// once its own write of it is durable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Raft } from './raft.js';
import { memoryStores } from './stores.js';
import type { LogStore } from './storage/types.js';
import { encodeKv, KvStateMachine } from '../../test/unit/raft-kv-fsm.js';
import { MemNetwork } from './transport/mem-transport.js';
import type { Entry, ServerConfig } from './types.js';

const TICK_MS = 5;

/** A log store whose writes can be held: each held write waits until release(). */
class GatedLogStore implements LogStore {
  held = false;
  /** Entries of each storeEntries call, in order. */
  readonly writes: number[][] = [];
  inFlight = 0;
  maxInFlight = 0;
  private waiting: Array<() => void> = [];

  constructor(private readonly inner: LogStore) {}

  release(): void {
    this.held = false;
    const w = this.waiting;
    this.waiting = [];
    for (const go of w) go();
  }

  async storeEntries(entries: readonly Entry[]): Promise<void> {
    this.writes.push(entries.map((e) => e.index));
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
      await this.inner.storeEntries(entries);
    } finally {
      this.inFlight--;
    }
  }

  firstIndex(): number {
    return this.inner.firstIndex();
  }
  lastIndex(): number {
    return this.inner.lastIndex();
  }
  readRange(lo: number, hi: number): Promise<Entry[]> {
    return this.inner.readRange(lo, hi);
  }
  compactPrefix(index: number): Promise<void> {
    return this.inner.compactPrefix(index);
  }
  reset(index: number): Promise<void> {
    return this.inner.reset(index);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

interface Node {
  raft: Raft;
  fsm: KvStateMachine;
  log: GatedLogStore;
}

async function until(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
}

async function cluster(): Promise<Node[]> {
  const net = new MemNetwork();
  const servers: ServerConfig[] = ['n1', 'n2', 'n3'].map((id) => ({ id, address: id, suffrage: 'voter' as const }));
  const nodes: Node[] = [];
  for (const s of servers) {
    const stores = memoryStores();
    const log = new GatedLogStore(stores.logStore);
    const fsm = new KvStateMachine();
    const raft = await Raft.create({ id: s.id, fsm, transport: net.connect(s.id), ...stores, logStore: log, tickMs: TICK_MS, randomSeed: s.id.charCodeAt(1), defaultTimeoutMs: 5000 });
    nodes.push({ raft, fsm, log });
  }
  for (const n of nodes) await n.raft.bootstrap(servers);
  await until('a leader', () => nodes.some((n) => n.raft.isLeader()));
  return nodes;
}

test('followers commit and apply while the leader still writes; the leader applies and answers after its own write', async () => {
  const nodes = await cluster();
  const leader = nodes.find((n) => n.raft.isLeader())!;
  const followers = nodes.filter((n) => n !== leader);
  await leader.raft.apply(encodeKv({ op: 'put', key: 'k', value: 'before' }));

  leader.log.held = true;
  let answered = false;
  const first = leader.raft.apply(encodeKv({ op: 'put', key: 'k', value: 'held' })).then((r) => {
    answered = true;
    return r;
  });
  // Both followers hold it: a quorum without the leader's disk, so the commit reaches them.
  await until('the followers apply the entry the leader is still writing', () => followers.every((f) => f.fsm.values.get('k') === 'held'));
  assert.equal(leader.fsm.values.get('k'), 'before', 'the leader applied an entry not yet durable on its own disk');
  assert.equal(answered, false);

  // Entries proposed while the write is held wait for the next write, all of them in one.
  const more = Array.from({ length: 5 }, (_, i) => leader.raft.apply(encodeKv({ op: 'put', key: 'k', value: `more${i}` })));
  await until('the followers apply the later entries', () => followers.every((f) => f.fsm.values.get('k') === 'more4'));
  assert.equal(leader.log.inFlight, 1);
  const writesBefore = leader.log.writes.length;

  leader.log.release();
  const r = await first;
  await Promise.all(more);
  assert.equal(leader.fsm.values.get('k'), 'more4');
  assert.equal(leader.log.maxInFlight, 1, 'the leader had two log writes in flight at once');
  const after = leader.log.writes.slice(writesBefore);
  assert.deepEqual(after, [[r.index + 1, r.index + 2, r.index + 3, r.index + 4, r.index + 5]]);
  for (const n of nodes) await n.raft.shutdown();
});

test('a leader that steps down waits for its write behind before it writes as a follower', async () => {
  const nodes = await cluster();
  const leader = nodes.find((n) => n.raft.isLeader())!;
  leader.log.held = true;
  const pending = leader.raft.apply(encodeKv({ op: 'put', key: 'k', value: 'held' })).catch((e: Error) => e);
  await until('the followers apply it', () => nodes.filter((n) => n !== leader).every((f) => f.fsm.values.get('k') === 'held'));
  await leader.raft.transferLeadership();
  await until('another leader', () => nodes.some((n) => n !== leader && n.raft.isLeader()));
  const other = nodes.find((n) => n.raft.isLeader())!;
  await other.raft.apply(encodeKv({ op: 'put', key: 'k', value: 'after' }));
  // The old leader cannot take the new leader's entries while its own write is held.
  assert.equal(leader.fsm.values.get('k'), undefined);
  assert.equal(leader.log.maxInFlight, 1);
  leader.log.release();
  await until('the old leader catches up', () => leader.fsm.values.get('k') === 'after');
  assert.equal(leader.log.maxInFlight, 1);
  await pending;
  for (const n of nodes) await n.raft.shutdown();
});
