// The query is read from the request target alone (no URL per request): the same values as the URL's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Exchange } from './exchange.js';
import { SliceQueue } from './slice-queue.js';

function exchange(url: string): Exchange {
  const req = { url, method: 'GET', headers: {} } as unknown as IncomingMessage;
  const res = { on() {} } as unknown as ServerResponse;
  return new Exchange(req, res, {}, new SliceQueue());
}

test('query values and path are those the parsed URL gives, fragment and encodings included', () => {
  for (const target of ['/v1/jobs', '/v1/jobs?', '/v1/jobs?prefix=a%20b&x=1+2&x=3#frag', '/v1/job/caf%C3%A9?namespace=%2A&index=7&pretty', "/v1/jobs?q=é'\"<>&e=%zz"]) {
    const x = exchange(target);
    const url = new URL(target, 'http://localhost');
    assert.deepEqual([...x.query], [...url.searchParams], target);
    assert.equal(x.path, target.split('?')[0], target);
    assert.equal(x.url.pathname, url.pathname, target);
  }
  const x = exchange('/v1/jobs?prefix=a%20b&x=1+2&x=3#frag');
  assert.equal(x.query.get('prefix'), 'a b');
  assert.deepEqual(x.query.getAll('x'), ['1 2', '3']);
});
