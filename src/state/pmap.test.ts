import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PMap } from './pmap.js';

/** A small deterministic generator (xorshift) so failures replay. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

function key(n: number): string {
  return n.toString(16).padStart(6, '0');
}

test('persistent map matches a reference Map under random inserts and deletes; old versions never change', () => {
  const rand = rng(42);
  let m = PMap.empty<number>();
  const ref = new Map<string, number>();
  const history: Array<{ map: PMap<number>; entries: Array<[string, number]> }> = [];
  for (let step = 0; step < 20_000; step++) {
    const k = key(Math.floor(rand() * 3000));
    if (rand() < 0.3) {
      m = m.delete(k);
      ref.delete(k);
    } else {
      m = m.set(k, step);
      ref.set(k, step);
    }
    if (step % 2000 === 0) history.push({ map: m, entries: [...ref.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)) });
  }
  assert.equal(m.size, ref.size);
  const sorted = [...ref.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  assert.deepEqual(m.values(), sorted.map((e) => e[1]));
  for (const [k, v] of ref) assert.equal(m.get(k), v);
  for (const h of history) {
    assert.equal(h.map.size, h.entries.length);
    assert.deepEqual(h.map.values(), h.entries.map((e) => e[1]));
  }
});

test('a mutable map updates in place within a transaction and freezes into a new version', () => {
  const base = PMap.fromSorted([
    ['a', 1],
    ['b', 2],
  ]);
  const m = base.mutable();
  for (let i = 0; i < 1000; i++) m.set(key(i), i);
  m.delete('a');
  const next = m.freeze();
  assert.equal(base.size, 2);
  assert.equal(base.get('a'), 1);
  assert.equal(next.size, 1001);
  assert.equal(next.get('a'), undefined);
  assert.equal(next.get(key(999)), 999);
  // A later transaction does not disturb the frozen version.
  const m2 = next.mutable();
  for (let i = 0; i < 1000; i++) m2.delete(key(i));
  const after = m2.freeze();
  assert.equal(next.size, 1001);
  assert.equal(next.get(key(500)), 500);
  assert.deepEqual(after.values(), [2]);
});

test('prefix scans return exactly the keys with the prefix, in order', () => {
  const m = PMap.empty<string>().mutable();
  const keys: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const k = `node${i % 50}\0alloc${i}`;
    keys.push(k);
    m.set(k, k);
  }
  const map = m.freeze();
  const want = keys.filter((k) => k.startsWith('node7\0')).sort();
  assert.deepEqual(map.valuesWithPrefix('node7\0'), want);
  assert.equal(want.length, 100);
  assert.deepEqual(map.valuesWithPrefix('node7\0', 3), want.slice(0, 3));
  assert.deepEqual(map.valuesWithPrefix('zzz'), []);
  assert.deepEqual(map.keysWithPrefix('node49\0alloc4999'), ['node49\0alloc4999']);
});

test('deleting everything leaves an empty map that accepts new keys', () => {
  let m = PMap.empty<number>();
  for (let i = 0; i < 2000; i++) m = m.set(key(i), i);
  for (let i = 0; i < 2000; i++) m = m.delete(key((i * 7) % 2000));
  assert.equal(m.size, 0);
  assert.deepEqual(m.values(), []);
  m = m.set('x', 1);
  assert.deepEqual(m.values(), [1]);
});

test('setIfAbsent inserts a free key, leaves a taken one alone and reports its value', () => {
  let base = PMap.empty<number>();
  for (let i = 0; i < 3000; i += 2) base = base.set(key(i), i);
  const m = base.mutable();
  for (let i = 0; i < 3000; i++) {
    const found = m.setIfAbsent(key(i), -i);
    if (i % 2 === 0) assert.equal(found, i, `taken key ${i} reports its value`);
    else assert.equal(found, undefined, `free key ${i} is claimed`);
  }
  const next = m.freeze();
  assert.equal(next.size, 3000);
  for (let i = 0; i < 3000; i++) assert.equal(next.get(key(i)), i % 2 === 0 ? i : -i);
  // The map the writer started from is untouched.
  assert.equal(base.size, 1500);
  assert.equal(base.get(key(1)), undefined);
  // Nothing claimed: the writer hands back the very map it started from.
  const none = next.mutable();
  assert.equal(none.setIfAbsent(key(4), 99), 4);
  assert.equal(none.freeze(), next);
});

test('frozenValues is one frozen array per map version', () => {
  const a = PMap.empty<number>().set('a', 1).set('b', 2);
  const v = a.frozenValues();
  assert.ok(Object.isFrozen(v));
  assert.equal(a.frozenValues(), v);
  assert.deepEqual(v, [1, 2]);
  const b = a.set('c', 3);
  assert.notEqual(b.frozenValues(), v);
  assert.deepEqual(b.frozenValues(), [1, 2, 3]);
});

test('fromSorted builds the same map as inserts, of any size, and takes later inserts and deletes', () => {
  for (const n of [0, 1, 31, 32, 33, 1000, 1025, 40_000]) {
    const entries: Array<[string, number]> = Array.from({ length: n }, (_, i) => [key(i), i]);
    entries.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const m = PMap.fromSorted(entries);
    assert.equal(m.size, n);
    assert.deepEqual(m.keys(), entries.map((e) => e[0]));
    for (let i = 0; i < n; i += 97) assert.equal(m.get(key(i)), i);
    assert.equal(m.get('missing'), undefined);
    // Writers after a bulk build: half the keys go, new ones come, the rest stays in order.
    const w = m.mutable();
    for (let i = 0; i < n; i += 2) w.delete(key(i));
    for (let i = 0; i < 100; i++) w.set(`new-${i}`, -i);
    const next = w.freeze();
    assert.equal(next.size, n - Math.ceil(n / 2) + 100);
    const ks = next.keys();
    assert.deepEqual(ks, [...ks].sort());
    assert.equal(m.size, n, 'the bulk-built version is untouched');
  }
  assert.throws(() => PMap.fromSorted([['b', 1], ['a', 2]]), /does not follow/);
  assert.throws(() => PMap.fromSorted([['a', 1], ['a', 2]]), /does not follow/);
});

test('fromOrderedValues builds the same tree as fromSortedValues from values in key order', () => {
  for (const n of [0, 1, 33, 1025, 40_000]) {
    const values = Array.from({ length: n }, (_, i) => ({ id: key(i), n: i })).sort((a, b) => (a.id < b.id ? -1 : 1));
    const checked = PMap.fromSortedValues(values, (v) => v.id);
    const ordered = PMap.fromOrderedValues(values, (v) => v.id);
    assert.equal(ordered.size, n);
    assert.deepEqual(ordered.keys(), checked.keys());
    for (let i = 0; i < n; i += 97) assert.equal(ordered.get(key(i))?.n, i);
    const w = ordered.mutable();
    w.set('zz-after', { id: 'zz-after', n: -1 });
    assert.equal(w.freeze().size, n + 1);
  }
});

test('values of a map of many leaves come in key order, in a new array each time', () => {
  // Enough entries for more leaves than one concat takes at once.
  const n = 400_000;
  const keys = Array.from({ length: n }, (_, i) => `k${String(i).padStart(7, '0')}`);
  const m = PMap.fromSortedValues(keys, (k) => k).set('k9999999', 'k9999999').delete('k0000000');
  const values = m.values();
  assert.equal(values.length, n);
  assert.equal(values[0], 'k0000001');
  assert.equal(values[n - 1], 'k9999999');
  for (let i = 1; i < values.length; i++) if (!(values[i - 1]! < values[i]!)) assert.fail(`out of order at ${i}`);
  values.pop();
  assert.equal(m.values().length, n, 'the caller owns its array');
});

test('lookups agree with a reference Map on keys that share long beginnings, before and after prefixes are computed', () => {
  const rand = rng(7);
  // Namespaced keys (most sharing "default\0job-"), keys beyond Latin-1, and keys that are
  // beginnings of others: what the prefixes taken after a node's common part must still order.
  const pool: string[] = [];
  for (let i = 0; i < 3000; i++) pool.push(`default\0job-${Math.floor(rand() * 100_000)}`);
  for (let i = 0; i < 200; i++) pool.push(`batch\0job-${i}`, `zeta\0job-${i}`, `default\0jöb-€${i}`);
  pool.push('default', 'default\0', 'default\0job-', 'd', '', 'default\0job-1\0');
  const probes = [...pool, 'a', 'defaulu', 'default\0joc', 'default\0job-999999', 'default\0jo', '\uffff', 'default\0job-€'];
  let m = PMap.empty<number>();
  const ref = new Map<string, number>();
  for (let i = 0; i < pool.length; i++) {
    const k = pool[Math.floor(rand() * pool.length)]!;
    m = m.set(k, i);
    ref.set(k, i);
    if (i % 97 === 0) for (const p of probes.slice(0, 50)) assert.equal(m.get(p), ref.get(p), `after ${i} inserts: ${JSON.stringify(p)}`);
  }
  // Many reads of the same (now immutable) nodes: every node's prefixes are in use by the end.
  for (let round = 0; round < 6; round++) {
    for (const p of probes) assert.equal(m.get(p), ref.get(p), `round ${round}: ${JSON.stringify(p)}`);
  }
  // Writers pass through nodes whose prefixes readers computed; the result is still right, and
  // the map read before is unchanged.
  const before = new Map(ref);
  const mm = m.mutable();
  for (const p of probes) {
    mm.set(p, -1);
    ref.set(p, -1);
  }
  const after = mm.freeze();
  for (const p of probes) assert.equal(after.get(p), -1);
  assert.deepEqual(after.keys(), [...ref.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  for (const p of probes) assert.equal(m.get(p), before.get(p));
});
