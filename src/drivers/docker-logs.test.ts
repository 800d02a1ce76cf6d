import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capturedEnd, StampedSink, stampMicros } from './docker-logs.js';
import type { LogSink } from './driver.js';

function collector(files?: LogSink['files']): LogSink & { text(): string } {
  let written = '';
  return { files, write: (c) => void (written += c.toString()), text: () => written };
}

test('stampMicros reads the engine times to the microsecond, and nothing else', () => {
  assert.equal(stampMicros('2026-12-07T05:59:00.123456789Z'), Date.UTC(2026, 11, 7, 5, 59, 0) * 1000 + 123456);
  assert.equal(stampMicros('2026-12-07T05:59:00Z'), Date.UTC(2026, 11, 7, 5, 59, 0) * 1000);
  assert.equal(stampMicros('2026-12-07T05:59:00.5Z'), Date.UTC(2026, 11, 7, 5, 59, 0) * 1000 + 500_000);
  assert.equal(stampMicros('hello'), null);
  assert.equal(stampMicros('2026-12-07 05:59:00Z'), null);
});

test('a resumed stream drops what the files hold, recognises the last lines past a coarse mtime, and keeps the rest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stamped-'));
  try {
    writeFileSync(join(dir, 't.stdout.0'), 'n-1\nn-2\nn-3\n');
    const mtimeS = Date.UTC(2026, 11, 7, 6, 0, 0) / 1000;
    utimesSync(join(dir, 't.stdout.0'), mtimeS, mtimeS);
    const files = { dir, baseName: 't.stdout', maxFiles: 3, maxFileSizeBytes: 1024 };
    const end = capturedEnd(collector(files));
    assert.ok(end);
    assert.equal(end.mtimeUs, mtimeS * 1e6);
    assert.equal(end.tail.toString(), 'n-1\nn-2\nn-3\n');
    const out = collector(files);
    const sink = new StampedSink(out, end);
    sink.write(Buffer.from('2026-12-07T05:59:59.900000000Z n-2\n'));
    // Stamped 3 ms after the mtime, yet the files end with it: the previous client wrote it.
    sink.write(Buffer.from('2026-12-07T06:00:00.003000000Z n-3\n'));
    sink.write(Buffer.from('2026-12-07T06:00:00.010000000Z n-4\n'));
    sink.write(Buffer.from('2026-12-07T06:00:00.200000000Z n-5\n'));
    sink.write(Buffer.from('no time at all\n'));
    assert.equal(out.text(), 'n-4\nn-5\nno time at all\n');
    assert.equal(capturedEnd(collector({ ...files, baseName: 't.stderr' })), null, 'no files: nothing captured');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
