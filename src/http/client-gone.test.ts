import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientGone } from './client-gone.js';

test('a client leaving calls each listener still registered once; one removed before is not called', () => {
  const gone = new ClientGone();
  const calls: string[] = [];
  const kept = (): void => void calls.push('kept');
  const removed = (): void => void calls.push('removed');
  gone.addEventListener('abort', kept);
  gone.addEventListener('abort', removed);
  gone.removeEventListener('abort', removed);
  assert.equal(gone.aborted, false);
  gone.fire();
  gone.fire();
  assert.equal(gone.aborted, true);
  assert.deepEqual(calls, ['kept']);
  // Added after the client left: never called (the caller sees `aborted` first, as with an AbortSignal).
  gone.addEventListener('abort', () => calls.push('late'));
  gone.fire();
  assert.deepEqual(calls, ['kept']);
});
