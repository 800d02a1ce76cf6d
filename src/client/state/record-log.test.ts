import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { asBytes } from '../../raft/bytes.js';
import { RecordLog } from './record-log.js';

const root = mkdtempSync(join(tmpdir(), 'record-log-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `log-${n++}.db`);

describe('client state record log', () => {
  it('keeps the last value of each key across a reopen; null deletes', async () => {
    const path = fresh();
    const log = RecordLog.open(path);
    log.put('alloc/a', { v: 1 });
    log.put('alloc/b', { v: 2 });
    log.put('alloc/a', { v: 3 });
    log.put('alloc/b', null);
    log.put('task/a/web', { state: 'running' });
    await log.close();
    const again = RecordLog.open(path);
    assert.deepEqual(again.entries('alloc/'), [['alloc/a', { v: 3 }]]);
    assert.deepEqual(again.get('task/a/web'), { state: 'running' });
    assert.equal(again.get('alloc/b'), null);
    assert.deepEqual(again.report, { records: 5, damagedBytes: 0, damagedAt: [] });
    await again.close();
  });

  it('skips a damaged record in the middle and keeps every other one', async () => {
    const path = fresh();
    const log = RecordLog.open(path);
    log.put('k1', 'first');
    await log.flush();
    const afterFirst = statSync(path).size;
    log.put('k2', 'second-value-that-gets-damaged');
    await log.flush();
    const afterSecond = statSync(path).size;
    log.put('k3', 'third');
    await log.close();
    const bytes = asBytes(readFileSync(path));
    // Flip a byte inside the second record's payload: its checksum no longer matches.
    bytes[afterFirst + 20] = (bytes[afterFirst + 20]! ^ 0xff) & 0xff;
    writeFileSync(path, bytes);
    const again = RecordLog.open(path);
    assert.equal(again.get('k1'), 'first');
    assert.equal(again.get('k2'), null);
    assert.equal(again.get('k3'), 'third');
    assert.equal(again.report.records, 2);
    assert.deepEqual(again.report.damagedAt, [afterFirst]);
    assert.equal(again.report.damagedBytes, afterSecond - afterFirst);
    await again.close();
    // The damage was dropped when the log was opened: the next open reads a clean file.
    const third = RecordLog.open(path);
    assert.equal(third.report.damagedBytes, 0);
    assert.deepEqual(third.entries(), [
      ['k1', 'first'],
      ['k3', 'third'],
    ]);
    await third.close();
  });

  it('drops a torn last record (a write cut short by a crash)', async () => {
    const path = fresh();
    const log = RecordLog.open(path);
    log.put('kept', { a: 1 });
    log.put('torn', { b: 'x'.repeat(100) });
    await log.close();
    const bytes = asBytes(readFileSync(path));
    writeFileSync(path, bytes.subarray(0, bytes.length - 30));
    const again = RecordLog.open(path);
    assert.deepEqual(again.entries(), [['kept', { a: 1 }]]);
    assert.equal(again.report.damagedAt.length, 1);
    await again.close();
  });

  it('rewrites itself once it holds mostly superseded records', async () => {
    const path = fresh();
    const log = RecordLog.open(path);
    const big = 'y'.repeat(64 * 1024);
    for (let i = 0; i < 40; i++) {
      log.put('hot', { i, big });
      await log.flush();
    }
    // 40 versions of one 64 KiB record (2.6 MB written): rewritten whenever past 1 MiB, four times what is live.
    assert.ok(log.sizeBytes <= 1024 * 1024 + 66 * 1024, `compacted to ${log.sizeBytes} bytes`);
    assert.equal(statSync(path).size, log.sizeBytes);
    await log.close();
    const again = RecordLog.open(path);
    assert.equal((again.get('hot') as { i: number }).i, 39);
    await again.close();
  });
});
