// The core hands out committed entries a bounded number of bytes at a time: a server that learns
// of many commits at once applies them over several Readys, the driver acting on each in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CORE_OPTIONS, RaftCore } from './core.js';
import { SeededRng } from './rng.js';
import { EntryKind, type Entry } from './types.js';

function soleVoter(maxCommittedBytesPerReady: number): RaftCore {
  const core = new RaftCore(
    { ...DEFAULT_CORE_OPTIONS, id: 'n1', maxCommittedBytesPerReady, rng: new SeededRng(1) },
    { hardState: { term: 0, vote: null }, snapshot: null, entries: [] },
  );
  core.bootstrap({ servers: [{ id: 'n1', address: 'n1', suffrage: 'voter' }] });
  core.tick();
  return core;
}

/** Runs Readys until none is left, making every write durable; the committed commands of each. */
function drain(core: RaftCore): number[][] {
  const handed: number[][] = [];
  while (core.hasReady()) {
    const rd = core.ready();
    const commands = rd.committed.filter((e: Entry) => e.kind === EntryKind.Command).map((e) => e.index);
    if (commands.length > 0) handed.push(commands);
    core.advance(rd);
  }
  return handed;
}

test('committed entries are handed out at most maxCommittedBytesPerReady at a time, at least one per Ready, in order', () => {
  const core = soleVoter(1000);
  drain(core);
  assert.equal(core.currentRole, 'leader');
  const indexes: number[] = [];
  for (let i = 0; i < 6; i++) {
    const r = core.propose(EntryKind.Command, new Uint8Array(i === 0 ? 5000 : 400));
    assert.ok(r.ok, 'proposed');
    if (r.ok) indexes.push(r.index);
  }
  const handed = drain(core);
  assert.deepEqual(handed.flat(), indexes, 'every entry once, in order');
  // 5000 bytes alone (over the bound, but one entry always goes); then 400-byte entries, two a time.
  assert.deepEqual(handed.map((h) => h.length), [1, 2, 2, 1]);
});

test('without a tight bound, one Ready hands out everything committed', () => {
  const core = soleVoter(DEFAULT_CORE_OPTIONS.maxCommittedBytesPerReady);
  drain(core);
  for (let i = 0; i < 6; i++) assert.ok(core.propose(EntryKind.Command, new Uint8Array(400)).ok);
  assert.deepEqual(drain(core).map((h) => h.length), [6]);
});
