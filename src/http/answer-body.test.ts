// One answer made in slices and sent to many connections over real sockets: a body of modest
// size goes out whole (with its length, one write per connection) to those who joined while it
// was being made; a large one is streamed to them as it is made.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { AnswerBody, STREAM_MIN_TEXT_CHARS, sendAnswerBody } from './answer-body.js';
import { JsonList } from './json-slices.js';
import { SliceQueue } from './slice-queue.js';

/**
 * Requests of the test server wait here until `answerAll` gives them one body, so that every
 * connection joins it while it is being made.
 */
let waiting: ServerResponse[] = [];
let arrived: (() => void) | null = null;
let server: Server;
let port = 0;

before(async () => {
  server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    waiting.push(res);
    arrived?.();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Got {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Sends `n` requests; once all are in, answers them with the body `make` returns (still being made). */
async function getAll(n: number, make: () => AnswerBody): Promise<Got[]> {
  waiting = [];
  const allIn = new Promise<void>((resolve) => (arrived = () => waiting.length === n && resolve()));
  const answers = Promise.all(Array.from({ length: n }, () => get()));
  await allIn;
  const body = make();
  assert.equal(body.done, false, 'the answer takes more than one slice');
  for (const res of waiting) void sendAnswerBody(res, body, false);
  return answers;
}

function get(): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on('data', (c: Buffer) => chunks.push(c as unknown as Uint8Array));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A clock that moves 10 ms per look: every slice holds one group of rows, so a list takes many turns. */
function slowQueue(): SliceQueue {
  let nowMs = 0;
  return new SliceQueue(4, () => (nowMs += 10));
}

test('connections that join an answer of modest size while it is made get it whole, with its length', async () => {
  for (const gzip of [false, true]) {
    const rows = new JsonList(Array.from({ length: 2_000 }, (_, i) => i), (i) => ({ Row: i, Name: `row-${i}` }));
    const answers = await getAll(20, () => AnswerBody.encode(rows, { pretty: false, gzip }, slowQueue()));
    const expected = JSON.stringify(rows);
    for (const a of answers) {
      assert.equal(a.headers['transfer-encoding'], undefined, 'not chunked');
      assert.equal(Number(a.headers['content-length']), a.body.length);
      assert.equal(a.headers['content-encoding'], gzip ? 'gzip' : undefined);
      const text = (gzip ? gunzipSync(a.body as unknown as Uint8Array) : a.body).toString('utf8');
      assert.equal(text, expected);
    }
  }
});

test('connections that join a large answer while it is made have it streamed to them', async () => {
  // Rows of about 1 KiB: the list is well past the streaming threshold.
  const pad = 'x'.repeat(1_000);
  const count = Math.ceil((2 * STREAM_MIN_TEXT_CHARS) / 1_000);
  const rows = new JsonList(Array.from({ length: count }, (_, i) => i), (i) => ({ Row: i, Pad: pad }));
  const answers = await getAll(2, () => AnswerBody.encode(rows, { pretty: false, gzip: false }, slowQueue()));
  for (const a of answers) {
    assert.equal(a.headers['transfer-encoding'], 'chunked');
    assert.equal(a.headers['content-length'], undefined);
    const list = JSON.parse(a.body.toString('utf8')) as Array<{ Row: number }>;
    assert.equal(list.length, count);
    assert.equal(list[count - 1]!.Row, count - 1);
  }
});

test('an answer that fails before a connection sent anything is an error for that request, not a reset', async () => {
  const queue = slowQueue();
  let rowsMade = 0;
  const rows = new JsonList(Array.from({ length: 2_000 }, (_, i) => i), (i) => {
    if (++rowsMade > 500) throw new Error('the state went away');
    return { Row: i };
  });
  const body = AnswerBody.encode(rows, { pretty: false, gzip: false }, queue);
  const res = { destroyed: false, headersSent: false } as unknown as Parameters<typeof sendAnswerBody>[0];
  await assert.rejects(sendAnswerBody(res, body, false), /the state went away/);
  assert.equal(body.error?.message, 'the state went away');
});
