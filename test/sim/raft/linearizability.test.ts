import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOperations, kvModel } from './linearizability.js';
import type { KvInput, KvOutput, Operation } from './linearizability.js';

type Op = Operation<KvInput, KvOutput>;
const put = (clientId: number, key: string, value: string, call: number, ret: number): Op => ({ clientId, input: { kind: 'put', key, value }, output: null, call, ret });
const get = (clientId: number, key: string, output: string | null, call: number, ret: number): Op => ({ clientId, input: { kind: 'get', key }, output, call, ret });

test('sequential history is linearizable', () => {
  assert.equal(checkOperations(kvModel, [put(0, 'x', 'a', 0, 1), get(1, 'x', 'a', 2, 3), put(0, 'x', 'b', 4, 5), get(1, 'x', 'b', 6, 7)]), 'ok');
});

test('concurrent write may be seen or not', () => {
  const h = [put(0, 'x', 'a', 0, 10), get(1, 'x', null, 1, 2), get(2, 'x', 'a', 3, 4), get(1, 'x', 'a', 5, 6)];
  assert.equal(checkOperations(kvModel, h), 'ok');
});

test('stale read after a completed write is not linearizable', () => {
  assert.equal(checkOperations(kvModel, [put(0, 'x', 'a', 0, 1), get(1, 'x', null, 2, 3)]), 'illegal');
});

test('reads going back in time are not linearizable', () => {
  const h = [put(0, 'x', 'a', 0, 100), get(1, 'x', 'a', 1, 2), get(2, 'x', null, 3, 4)];
  assert.equal(checkOperations(kvModel, h), 'illegal');
});

test('two readers disagreeing on the order of two writes is not linearizable', () => {
  const h = [
    put(0, 'x', 'a', 0, 100), put(1, 'x', 'b', 0, 100),
    get(2, 'x', 'a', 1, 2), get(2, 'x', 'b', 3, 4),
    get(3, 'x', 'b', 5, 6), get(3, 'x', 'a', 7, 8),
  ];
  assert.equal(checkOperations(kvModel, h), 'illegal');
});

test('a write with unknown outcome may take effect late or never', () => {
  const late = [put(0, 'x', 'a', 0, Infinity), get(1, 'x', null, 1, 2), get(1, 'x', 'a', 3, 4)];
  assert.equal(checkOperations(kvModel, late), 'ok');
  const never = [put(0, 'x', 'a', 0, Infinity), get(1, 'x', null, 1, 2), get(1, 'x', null, 3, 4)];
  assert.equal(checkOperations(kvModel, never), 'ok');
  const undone = [put(0, 'x', 'a', 0, Infinity), get(1, 'x', 'a', 1, 2), get(1, 'x', null, 3, 4)];
  assert.equal(checkOperations(kvModel, undone), 'illegal');
});

test('keys are independent', () => {
  const h = [put(0, 'x', 'a', 0, 1), put(0, 'y', 'b', 2, 3), get(1, 'y', 'b', 4, 5), get(1, 'x', 'a', 6, 7), get(1, 'y', null, 8, 9)];
  assert.equal(checkOperations(kvModel, h), 'illegal');
  assert.equal(checkOperations(kvModel, h.slice(0, 4)), 'ok');
});

test('many concurrent writers stay tractable thanks to memoization', () => {
  const h: Op[] = [];
  for (let i = 0; i < 12; i++) h.push(put(i, 'x', `v${i}`, 0, 1000));
  h.push(get(99, 'x', 'v7', 1001, 1002));
  assert.equal(checkOperations(kvModel, h), 'ok');
  h.push(get(99, 'x', 'v8', 1003, 1004));
  assert.equal(checkOperations(kvModel, h), 'illegal');
});
