// The sliced encoder writes exactly what JSON.stringify writes, however the work is cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonList, JsonSlices } from './json-slices.js';

/** Encodes in slices of as little work as the encoder allows (the clock is always past the deadline). */
function sliced(value: unknown, pretty: boolean): { text: string; slices: number } {
  const enc = new JsonSlices(value, pretty);
  let text = '';
  let slices = 0;
  while (!enc.done) {
    text += enc.slice(0, () => 1);
    slices++;
  }
  return { text, slices };
}

const VALUES: unknown[] = [
  [],
  {},
  null,
  'text with "quotes" and\nnewline',
  42,
  [1, 'two', null, { three: [3, { deep: 'x\ny' }] }, [], {}],
  Array.from({ length: 100 }, (_, i) => ({ ID: `id-${i}`, Meta: i % 3 === 0 ? null : { k: `v${i}` }, List: [i, i + 1], Empty: [] })),
  { Nested: [1, 2, 3], Obj: { a: { b: 'c' } } },
  [undefined, () => 1, Symbol('s')],
];

test('compact and pretty text equal JSON.stringify for lists, objects and scalars', () => {
  for (const v of VALUES) {
    assert.equal(sliced(v, false).text, JSON.stringify(v) ?? 'null', `compact ${JSON.stringify(v)?.slice(0, 60)}`);
    assert.equal(sliced(v, true).text, (JSON.stringify(v, null, 4) ?? 'null') + '\n', `pretty ${JSON.stringify(v)?.slice(0, 60)}`);
  }
});

test('a list is cut into slices of whole items; other values come whole in one slice', () => {
  const list = Array.from({ length: 100 }, (_, i) => ({ i }));
  // 32 items between looks at the clock: 100 items take 4 slices when every look finds the deadline passed.
  assert.equal(sliced(list, false).slices, 4);
  assert.equal(sliced({ big: list }, false).slices, 1);
  // With time to spare, one slice.
  const enc = new JsonSlices(list, false);
  assert.equal(enc.slice(Number.POSITIVE_INFINITY, () => 0), JSON.stringify(list));
  assert.equal(enc.done, true);
  assert.equal(enc.slice(Number.POSITIVE_INFINITY, () => 0), '');
});

test('a JsonList maps its items as they are encoded, and serializes like the mapped array anywhere', () => {
  const seen: number[] = [];
  const rows = new JsonList([3, 1, 2], (n) => {
    seen.push(n);
    return { N: n, Square: n * n };
  });
  const enc = new JsonSlices(rows, false);
  assert.deepEqual(seen, [], 'nothing is mapped before encoding');
  const text = enc.slice(Number.POSITIVE_INFINITY, () => 0);
  assert.deepEqual(seen, [3, 1, 2]);
  assert.equal(text, '[{"N":3,"Square":9},{"N":1,"Square":1},{"N":2,"Square":4}]');
  assert.equal(JSON.stringify({ Rows: rows }), `{"Rows":${text}}`);
  assert.equal(sliced(rows, true).text, JSON.stringify(rows.toJSON(), null, 4) + '\n');
});

test('rows with a remembered text are written from it in compact form, and mapped when pretty', () => {
  const texts = new Map<number, string>([[1, '{"Row":1,"Remembered":true}']]);
  const mapped: number[] = [];
  const rows = new JsonList(
    [1, 2],
    (n) => {
      mapped.push(n);
      return { Row: n };
    },
    (n) => texts.get(n) ?? JSON.stringify({ Row: n }),
  );
  assert.equal(sliced(rows, false).text, '[{"Row":1,"Remembered":true},{"Row":2}]');
  assert.deepEqual(mapped, []);
  assert.equal(sliced(rows, true).text, JSON.stringify([{ Row: 1 }, { Row: 2 }], null, 4) + '\n');
});
