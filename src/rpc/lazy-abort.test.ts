import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LazyAbort } from './lazy-abort.js';

test('a signal taken before the abort hears it, with the reason', () => {
  const a = new LazyAbort();
  const signal = a.signal;
  let heard: unknown = null;
  signal.addEventListener('abort', () => (heard = signal.reason));
  assert.equal(signal.aborted, false);
  a.abort(new Error('gone'));
  assert.equal(a.aborted, true);
  assert.equal(signal.aborted, true);
  assert.equal((heard as Error).message, 'gone');
});

test('a signal first taken after the abort is already aborted, with the first reason', () => {
  const a = new LazyAbort();
  a.abort('first');
  a.abort('second');
  assert.equal(a.aborted, true);
  assert.equal(a.signal.aborted, true);
  assert.equal(a.signal.reason, 'first');
});

test('the same signal every time', () => {
  const a = new LazyAbort();
  assert.equal(a.signal, a.signal);
  assert.equal(a.aborted, false);
});
