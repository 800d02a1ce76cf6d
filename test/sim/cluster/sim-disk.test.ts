import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../../src/raft/rng.js';
import { EntryKind, type Entry } from '../../../src/raft/types.js';
import { SimDisk } from './sim-disk.js';
import { HostLife, SimLoop } from './sim-loop.js';

function entry(index: number): Entry {
  return { index, term: 1, kind: EntryKind.Command, data: new Uint8Array([index]) };
}

async function readLog(disk: SimDisk, loop: SimLoop, generation: number): Promise<number[]> {
  const stores = disk.mount(new HostLife(loop, 'disk', generation));
  const last = stores.logStore.lastIndex();
  if (last < 1) return [];
  return (await stores.logStore.readRange(stores.logStore.firstIndex(), last)).map((e) => e.index);
}

test('a write whose promise resolved survives a crash; one not yet synced is lost or kept as a prefix, never with a gap', async () => {
  const outcomes = new Set<string>();
  for (let seed = 1; seed <= 20; seed++) {
    const loop = new SimLoop();
    const disk = new SimDisk('d', new SeededRng(seed), { minFsyncMs: 5, maxFsyncMs: 5 });
    const stores = disk.mount(new HostLife(loop, 'disk', 1));
    let synced = false;
    void stores.logStore.storeEntries([entry(1)]).then(() => (synced = true));
    while (!synced) assert.ok(await loop.step(Infinity));
    // Two more writes in flight when the process dies.
    void stores.logStore.storeEntries([entry(2), entry(3)]);
    void stores.logStore.storeEntries([entry(4)]);
    assert.equal(stores.logStore.lastIndex(), 4, 'the process sees what it wrote');
    disk.crash();
    const kept = await readLog(disk, loop, 2);
    assert.deepEqual(kept, [1, 2, 3, 4].slice(0, kept.length), `seed ${seed}: the log after the crash is a prefix`);
    assert.ok(kept.length >= 1, `seed ${seed}: the synced entry survives`);
    outcomes.add(kept.length === 1 ? 'lost' : 'kept');
  }
  assert.deepEqual([...outcomes].sort(), ['kept', 'lost'], 'both outcomes occur across seeds');
});

test('a disk that lies about fsync resolves at once, and a crash then loses what it acknowledged', async () => {
  let lost = false;
  for (let seed = 1; seed <= 20 && !lost; seed++) {
    const loop = new SimLoop();
    const disk = new SimDisk('d', new SeededRng(seed), { minFsyncMs: 100, maxFsyncMs: 100, liesAboutSync: true });
    const stores = disk.mount(new HostLife(loop, 'disk', 1));
    await stores.logStore.storeEntries([entry(1)]);
    await stores.stableStore.save({ term: 3, vote: 'a' });
    disk.crash();
    const again = disk.mount(new HostLife(loop, 'disk', 2));
    lost = again.logStore.lastIndex() < 1 || (await again.stableStore.load()).term !== 3;
  }
  assert.ok(lost, 'some crash lost an acknowledged write');
});
