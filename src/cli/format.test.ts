import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatG3, formatKV, formatList, humanizeBytes, prettyTimeDiff, formatTime } from './format.js';

test('formatList pads every column but the last with two spaces', () => {
  assert.equal(formatList(['ID|DC|Name', 'c9b83144|dc1|vm']), 'ID        DC   Name\nc9b83144  dc1  vm');
  assert.equal(formatList(['CPU|Memory|Disk|Addresses', '77/100 MHz|38 MiB/64 MiB|300 MiB|']), 'CPU         Memory         Disk     Addresses\n77/100 MHz  38 MiB/64 MiB  300 MiB  ');
});

test('formatKV aligns "=" and shows empty values as <none>', () => {
  assert.equal(formatKV(['ID|x', 'Desired Description|']), 'ID                  = x\nDesired Description = <none>');
});

test('humanizeBytes uses binary units like Nomad', () => {
  assert.equal(humanizeBytes(0), '0 B');
  assert.equal(humanizeBytes(9), '9 B');
  assert.equal(humanizeBytes(40 * 1024 * 1024), '40 MiB');
  assert.equal(humanizeBytes(24105 * 1024 * 1024), '24 GiB');
  assert.equal(humanizeBytes(1536 * 1024 * 1024), '1.5 GiB');
  assert.equal(humanizeBytes(270553174016), '252 GiB');
});

test('prettyTimeDiff keeps two units', () => {
  const now = Date.parse('2026-11-21T18:00:00Z');
  assert.equal(prettyTimeDiff(now - 12_000, now), '12s ago');
  assert.equal(prettyTimeDiff(now - 81_000, now), '1m21s ago');
  assert.equal(prettyTimeDiff(now - 795_000, now), '13m15s ago');
  assert.equal(prettyTimeDiff(now - 7_205_000, now), '2h0m ago');
  assert.equal(prettyTimeDiff(now - (86400 + 3600 * 4 + 60) * 1000, now), '1d4h ago');
  assert.equal(prettyTimeDiff(now, now), '0s ago');
  assert.equal(prettyTimeDiff(now + 30_000, now), '30s from now');
  assert.equal(prettyTimeDiff(0, now), '');
});

test('times and scores print as the reference does', () => {
  assert.equal(formatTime(Date.parse('2026-11-21T17:39:05.506Z')), '2026-11-21T17:39:05Z');
  assert.equal(formatG3(0.027458635733748418), '0.0275');
  assert.equal(formatG3(0), '0');
  assert.equal(formatG3(1), '1');
  assert.equal(formatG3(-0.5), '-0.5');
});
