import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EscapeFilter } from './escape-filter.js';

const feed = (f: EscapeFilter, s: string) => {
  const r = f.push(new TextEncoder().encode(s));
  return [r.send.toString(), r.disconnect] as const;
};

test('the escape character and a dot at the start of a line disconnect', () => {
  assert.deepEqual(feed(new EscapeFilter(0x7e), 'ls\r~.'), ['ls\r', true]);
  assert.deepEqual(feed(new EscapeFilter(0x7e), '~.'), ['', true], 'the very first input is at a line start');
});

test('elsewhere, or followed by anything but a dot, the escape character passes through', () => {
  const f = new EscapeFilter(0x7e);
  assert.deepEqual(feed(f, 'a~.b\n'), ['a~.b\n', false]);
  assert.deepEqual(feed(f, '~~x'), ['~x', false], 'doubled: sent once');
  assert.deepEqual(feed(f, '\n~'), ['\n', false], 'held until the next byte');
  assert.deepEqual(feed(f, 'q'), ['~q', false]);
});
