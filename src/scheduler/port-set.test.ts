import { test } from 'node:test';
import assert from 'node:assert/strict';
import { portSetHas, portSetSize, portSetWithAll, portSetWithoutAll, type PortSet } from './port-set.js';

/** A set built from nothing: what summing a node's allocations starts with. */
const portSetFrom = (ports: readonly number[]): PortSet | null => portSetWithAll(null, ports);

function strictlySorted(set: PortSet): boolean {
  for (let i = 1; i < set.length; i++) if (set[i - 1]! >= set[i]!) return false;
  return true;
}

test('portSetFrom sorts, drops duplicates, and gives null for no ports', () => {
  const s = portSetFrom([30000, 20001, 25000, 20001, 30000, 20000, 25000, 25000]);
  assert.ok(s !== null);
  assert.ok(s instanceof Int32Array);
  assert.deepEqual(Array.from(s), [20000, 20001, 25000, 30000]);
  assert.ok(strictlySorted(s));
  assert.equal(portSetSize(s), 4);
  assert.equal(portSetFrom([]), null);
  assert.equal(portSetSize(portSetFrom([])), 0);
  const single = portSetFrom([7, 7, 7]);
  assert.deepEqual(Array.from(single!), [7]);
});

test('portSetFrom does not change its input', () => {
  const input = [5, 3, 9, 3, 1];
  const copy = input.slice();
  portSetFrom(input);
  assert.deepEqual(input, copy);
});

test('portSetWithAll returns the same object when nothing is new, and never mutates its input', () => {
  const s = portSetFrom([10, 20, 30])!;
  const before = Array.from(s);
  assert.equal(portSetWithAll(s, []), s);
  assert.equal(portSetWithAll(s, [20]), s);
  assert.equal(portSetWithAll(s, [30, 10, 20, 10]), s);
  assert.equal(portSetWithAll(null, []), null);

  const grown = portSetWithAll(s, [25, 5, 20, 40, 25]);
  assert.notEqual(grown, s);
  assert.deepEqual(Array.from(grown!), [5, 10, 20, 25, 30, 40]);
  assert.ok(strictlySorted(grown!));
  // The original set is untouched, and so is the ports array.
  assert.deepEqual(Array.from(s), before);
  assert.equal(s.length, 3);
  const ports = [3, 1, 2];
  portSetWithAll(s, ports);
  assert.deepEqual(ports, [3, 1, 2]);
});

test('portSetWithAll merges runs in order at the start, middle and end', () => {
  const s = portSetFrom([100, 200, 300])!;
  assert.deepEqual(Array.from(portSetWithAll(s, [50])!), [50, 100, 200, 300]);
  assert.deepEqual(Array.from(portSetWithAll(s, [150, 250])!), [100, 150, 200, 250, 300]);
  assert.deepEqual(Array.from(portSetWithAll(s, [400, 350])!), [100, 200, 300, 350, 400]);
  assert.deepEqual(Array.from(portSetWithAll(s, [1, 150, 999])!), [1, 100, 150, 200, 300, 999]);
  assert.deepEqual(Array.from(portSetWithAll(null, [3, 2, 1])!), [1, 2, 3]);
  const empty = new Int32Array(0);
  assert.deepEqual(Array.from(portSetWithAll(empty, [2, 1])!), [1, 2]);
  assert.equal(empty.length, 0);
});

test('portSetWithoutAll removes ports, gives null when empty, same object when nothing removed', () => {
  const s = portSetFrom([1, 2, 3, 4, 5])!;
  const removed = portSetWithoutAll(s, [2, 4, 99]);
  assert.deepEqual(Array.from(removed!), [1, 3, 5]);
  assert.ok(strictlySorted(removed!));
  assert.deepEqual(Array.from(s), [1, 2, 3, 4, 5], 'input unchanged');

  assert.equal(portSetWithoutAll(s, []), s);
  assert.equal(portSetWithoutAll(s, [0, 6, 100]), s);
  assert.equal(portSetWithoutAll(null, [1, 2]), null);
  assert.equal(portSetWithoutAll(s, [5, 4, 3, 2, 1]), null);
  assert.equal(portSetWithoutAll(portSetFrom([7]), [7, 7]), null);
});

test('portSetHas on null, empty and populated sets', () => {
  assert.equal(portSetHas(null, 0), false);
  assert.equal(portSetHas(null, 20000), false);
  const empty = new Int32Array(0);
  assert.equal(portSetHas(empty, 0), false);
  assert.equal(portSetSize(empty), 0);
  assert.equal(portSetSize(null), 0);
  const s = portSetFrom([20000, 20002, 31999])!;
  for (const p of [20000, 20002, 31999]) assert.equal(portSetHas(s, p), true, String(p));
  for (const p of [0, 19999, 20001, 20003, 31998, 32000, 65535]) assert.equal(portSetHas(s, p), false, String(p));
});

/** A 32-bit linear congruential generator (Numerical Recipes constants): deterministic across runs. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

test('randomized operations agree with a JS Set (seeded)', () => {
  for (const seed of [1, 42, 0xdecafbad]) {
    const next = lcg(seed);
    const int = (n: number): number => next() % n;
    // A small range so that adds hit existing ports and removes hit present ones often.
    const range = 64;
    const base = 20000;
    let set: PortSet | null = null;
    const model = new Set<number>();
    for (let op = 0; op < 3000; op++) {
      const count = int(5); // 0..4 ports per operation, with duplicates possible
      const ports: number[] = [];
      for (let k = 0; k < count; k++) ports.push(base + int(range));
      const prev: PortSet | null = set;
      const prevCopy: number[] | null = prev === null ? null : Array.from(prev);
      const adding = int(3) !== 0;
      if (adding) {
        const changes = ports.some((p) => !model.has(p));
        set = portSetWithAll(set, ports);
        for (const p of ports) model.add(p);
        if (!changes) assert.equal(set, prev, `seed ${seed} op ${op}: add of nothing new keeps the object`);
        else assert.notEqual(set, prev, `seed ${seed} op ${op}: add builds a new set`);
      } else {
        const changes = ports.some((p) => model.has(p));
        set = portSetWithoutAll(set, ports);
        for (const p of ports) model.delete(p);
        if (!changes) assert.equal(set, prev, `seed ${seed} op ${op}: remove of nothing present keeps the object`);
        else assert.notEqual(set, prev, `seed ${seed} op ${op}: remove builds a new set`);
      }
      // The earlier set was never changed.
      if (prev !== null) assert.deepEqual(Array.from(prev), prevCopy, `seed ${seed} op ${op}: input mutated`);
      // Same contents, sorted, no duplicates; null exactly when empty.
      if (model.size === 0) assert.equal(set, null, `seed ${seed} op ${op}: empty set is null`);
      else {
        assert.ok(set !== null);
        assert.ok(strictlySorted(set), `seed ${seed} op ${op}: sorted`);
        assert.deepEqual(Array.from(set), [...model].sort((a, b) => a - b), `seed ${seed} op ${op}`);
      }
      assert.equal(portSetSize(set), model.size);
      const probe = base - 2 + int(range + 4);
      assert.equal(portSetHas(set, probe), model.has(probe), `seed ${seed} op ${op}: has(${probe})`);
    }
  }
});
