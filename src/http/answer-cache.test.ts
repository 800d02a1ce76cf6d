// Shared answers: valid for one state version (or while what they are made from is unchanged);
// large ones shared while being made, not kept after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerBody } from './answer-body.js';
import { AnswerCache } from './answer-cache.js';
import { JsonList } from './json-slices.js';
import { SliceQueue } from './slice-queue.js';

/** A clock that never moves: every answer is made in its first slice. */
const queue = new SliceQueue(4, () => 0);
const plain = { pretty: false, gzip: false };

test('an answer is shared for the state it was made from; a finished one is not served for a later state', () => {
  const cache = new AnswerCache();
  const answer = { index: 7, body: AnswerBody.encode({ a: 1 }, plain, queue) };
  assert.equal(answer.body.done, true, 'a small answer is made in one go');
  cache.put(3, '/v1/jobs', answer);
  assert.equal(cache.get(3, '/v1/jobs'), answer);
  assert.equal(cache.get(3, '/v1/nodes'), undefined);
  // A request that came in before that state (and waited its turn) may have it too.
  assert.equal(cache.get(2, '/v1/jobs'), answer);
  // A commit later, a finished answer of the older state is not given out, even to a blocking query.
  assert.equal(cache.get(4, '/v1/jobs', 5), undefined);
  assert.equal(cache.size, 0);
  assert.equal(cache.get(3, '/v1/jobs'), undefined, 'and it is gone');
});

test('an answer of an older state is served while what it is made from is unchanged', () => {
  const cache = new AnswerCache();
  const answer = { index: 7, body: AnswerBody.encode({ a: 1 }, plain, queue) };
  cache.put(3, '/v1/jobs', answer, '7/0/0/1');
  // Writes to other tables since: the same source, the same answer.
  assert.equal(cache.get(9, '/v1/jobs', 0, '7/0/0/1'), answer);
  assert.equal(cache.get(9, '/v1/jobs', 7, '7/0/0/1'), answer, 'a blocking query that has it gets it too (its wait already ended)');
  // A caller that does not name its source is not served an older state.
  assert.equal(cache.get(9, '/v1/jobs'), undefined);
  assert.equal(cache.size, 0, 'and a finished answer of an older state is dropped');
  cache.put(10, '/v1/jobs', answer, '7/0/0/1');
  assert.equal(cache.get(11, '/v1/jobs', 0, '8/0/0/1'), undefined, 'what it is made from changed');
});

test('while writes go on, a blocking query is given the answer still being made if it is news to it', async () => {
  const cache = new AnswerCache();
  let nowMs = 0;
  const slow = new SliceQueue(4, () => (nowMs += 10));
  const rows = new JsonList(Array.from({ length: 1000 }, (_, i) => i), (i) => ({ Row: i }));
  const making = { index: 20, body: AnswerBody.encode(rows, plain, slow) };
  assert.equal(making.body.done, false);
  cache.put(8, '/v1/jobs', making);
  // The state moved on (version 9): a blocking query that has seen index 15 takes it ...
  assert.equal(cache.get(9, '/v1/jobs', 15), making);
  // ... one that has seen 20 or more, or a plain read (which must see the latest state), does not.
  assert.equal(cache.get(9, '/v1/jobs', 20), undefined);
  assert.equal(cache.get(9, '/v1/jobs', 0), undefined);
  await making.body.settled();
  assert.equal(cache.get(9, '/v1/jobs', 15), undefined, 'once made, it is an answer about an older state');
});

test('a large answer is shared while it is being made and dropped once made', async () => {
  const cache = new AnswerCache(1024, 1 << 20);
  const rows = new JsonList(Array.from({ length: 20_000 }, (_, i) => i), (i) => ({ Row: i, Text: 'x'.repeat(20) }));
  // A clock that moves 10 ms per look: every slice ends after one group of rows.
  let nowMs = 0;
  const slow = new SliceQueue(4, () => (nowMs += 10));
  const big = { index: 9, body: AnswerBody.encode(rows, plain, slow) };
  assert.equal(big.body.done, false);
  cache.put(1, 'big', big);
  assert.equal(cache.get(1, 'big'), big, 'shared while in flight');
  await big.body.settled();
  assert.equal(big.body.error, null);
  assert.ok(big.body.bytes > 1024);
  assert.equal(cache.get(1, 'big'), undefined, 'too large to keep');
  const text = Buffer.concat(Array.from({ length: big.body.chunkCount }, (_, i) => big.body.chunk(i)) as unknown as Uint8Array[]).toString('utf8');
  assert.equal(text, JSON.stringify(rows));

  const small = { index: 9, body: AnswerBody.encode([1, 2, 3], plain, slow) };
  cache.put(1, 'small', small);
  assert.equal(cache.get(1, 'small'), small, 'small answers are kept');
});

test('bodies worth compressing are gzipped, small ones go plain', async () => {
  const { gunzipSync } = await import('node:zlib');
  const value = Array.from({ length: 500 }, (_, i) => ({ ID: `id-${i}` }));
  const whole = AnswerBody.encode(value, { pretty: false, gzip: true }, queue);
  await whole.settled();
  assert.equal(whole.contentEncoding, 'gzip');
  assert.equal(whole.chunkCount, 1);
  assert.equal(gunzipSync(whole.chunk(0) as unknown as Uint8Array).toString('utf8'), JSON.stringify(value));
  const tiny = AnswerBody.encode([1], { pretty: false, gzip: true }, queue);
  assert.equal(tiny.contentEncoding, null, 'below the threshold it goes plain');
});
