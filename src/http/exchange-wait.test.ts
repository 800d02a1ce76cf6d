import { test } from 'node:test';
import { EventEmitter } from 'node:events';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Exchange, MAX_BLOCKING_WAIT_MS, DEFAULT_BLOCKING_WAIT_MS } from './exchange.js';
import { SliceQueue } from './slice-queue.js';
import { StateStore } from '../state/store.js';
import { watchKey } from '../state/watch-keys.js';

function blocking(query: string): { minIndex: number; waitMs: number } {
  const req = { url: `/v1/jobs?${query}`, method: 'GET', headers: {} } as unknown as IncomingMessage;
  const res = { on() {} } as unknown as ServerResponse;
  return new Exchange(req, res, {}, new SliceQueue()).blocking();
}

test('?wait is a Go duration capped at 10 minutes, plus up to a sixteenth of jitter on blocking queries', () => {
  for (let i = 0; i < 50; i++) {
    const { waitMs } = blocking('index=5&wait=20m');
    assert.ok(waitMs >= MAX_BLOCKING_WAIT_MS && waitMs < MAX_BLOCKING_WAIT_MS * (1 + 1 / 16), String(waitMs));
  }
  assert.equal(blocking('wait=90s').waitMs, 90_000, 'no jitter without an index to block on');
  const zero = blocking('index=5&wait=0').waitMs;
  assert.ok(zero >= DEFAULT_BLOCKING_WAIT_MS && zero < DEFAULT_BLOCKING_WAIT_MS * (1 + 1 / 16), 'zero means the default');
  assert.equal(blocking('wait=-5s').waitMs, DEFAULT_BLOCKING_WAIT_MS);
  assert.equal(blocking('wait=1m30s').waitMs, 90_000);
  for (const bad of ['10', '5x', ' 5s', 'soon']) assert.throws(() => blocking(`wait=${encodeURIComponent(bad)}`), /Invalid wait time/, bad);
});

test('the abort signal is made on first use and is aborted whether it was asked for before or after the client left', () => {
  const make = (): { x: Exchange; res: EventEmitter } => {
    const req = { url: '/v1/jobs', method: 'GET', headers: {} } as unknown as IncomingMessage;
    const res = new EventEmitter();
    return { x: new Exchange(req, res as unknown as ServerResponse, {}, new SliceQueue()), res };
  };
  const early = make();
  const signal = early.x.signal;
  assert.equal(signal.aborted, false);
  assert.equal(early.x.clientGone, false);
  early.res.emit('close');
  assert.equal(signal.aborted, true);
  assert.equal((signal.reason as Error).name, 'AbortError');
  assert.equal(early.x.clientGone, true);

  const late = make();
  late.res.emit('close');
  assert.equal(late.x.clientGone, true);
  assert.equal(late.x.signal.aborted, true, 'a signal asked for after the client left is already aborted');
  assert.equal(late.x.signal, late.x.signal, 'one signal per exchange');
});

test('the blocking wait\'s signal ends a wait on the store when the client leaves, and is aborted if asked for after', async () => {
  const make = (): { x: Exchange; res: EventEmitter } => {
    const req = { url: '/v1/jobs?index=5', method: 'GET', headers: {} } as unknown as IncomingMessage;
    const res = new EventEmitter();
    return { x: new Exchange(req, res as unknown as ServerResponse, {}, new SliceQueue()), res };
  };
  const store = new StateStore();
  const waiting = make();
  const startedMs = performance.now();
  const wait = store.waitForKeys([watchKey.table('jobs')], store.latestIndex(), 60_000, waiting.x.clientGoneSignal);
  assert.equal(store.waiterCount(), 1);
  waiting.res.emit('close');
  await wait;
  assert.ok(performance.now() - startedMs < 30_000, 'ended by the client leaving, not by its timeout');
  assert.equal(store.waiterCount(), 0, 'the waiter is gone with its client');
  assert.equal(waiting.x.clientGoneSignal.aborted, true);

  const late = make();
  late.res.emit('close');
  assert.equal(late.x.clientGoneSignal.aborted, true, 'asked for after the client left: aborted already');
  await store.waitForKeys([watchKey.table('jobs')], store.latestIndex(), 60_000, late.x.clientGoneSignal);
  assert.equal(store.waiterCount(), 0);
});
