// Shared answers: valid for one state version; large ones shared while being made, not kept after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerBody } from './answer-body.js';
import { AnswerCache } from './answer-cache.js';
import { JsonList } from './json-slices.js';
import { SliceQueue } from './slice-queue.js';

/** A clock that never moves: every answer is made in its first slice. */
const queue = new SliceQueue(4, () => 0);
const plain = { pretty: false, gzip: false };

test('an answer is shared for the state version it was made from, and only that one', () => {
  const cache = new AnswerCache();
  const answer = { index: 7, body: AnswerBody.encode({ a: 1 }, plain, queue) };
  assert.equal(answer.body.done, true, 'a small answer is made in one go');
  cache.put(3, '/v1/jobs', answer);
  assert.equal(cache.get(3, '/v1/jobs'), answer);
  assert.equal(cache.get(3, '/v1/nodes'), undefined);
  // A commit later, nothing computed before it is valid.
  assert.equal(cache.get(4, '/v1/jobs'), undefined);
  assert.equal(cache.size, 0);
  assert.equal(cache.get(3, '/v1/jobs'), undefined, 'an older version does not come back');
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
