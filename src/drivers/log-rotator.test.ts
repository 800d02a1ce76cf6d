import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LogRotator, logFileIndexes } from './log-rotator.js';

const root = mkdtempSync(join(tmpdir(), 'logrot-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('log rotation', () => {
  it('names files <task>.<stream>.N, rotates at max size and keeps max_files', () => {
    const dir = mkdtempSync(join(root, 'a-'));
    const r = new LogRotator({ dir, baseName: 'web.stdout', maxFiles: 3, maxFileSizeBytes: 10 });
    r.write(Buffer.from('0123456789abcdef')); // fills .0, spills into .1
    assert.deepEqual(logFileIndexes(dir, 'web.stdout'), [0, 1]);
    assert.equal(readFileSync(join(dir, 'web.stdout.0'), 'utf8'), '0123456789');
    assert.equal(readFileSync(join(dir, 'web.stdout.1'), 'utf8'), 'abcdef');
    r.write(Buffer.from('x'.repeat(30))); // .1 full, .2, .3, .4 partly
    assert.deepEqual(logFileIndexes(dir, 'web.stdout'), [2, 3, 4]);
    r.close();
  });

  it('a new rotator continues the newest file, as after a task restart', () => {
    const dir = mkdtempSync(join(root, 'b-'));
    const a = new LogRotator({ dir, baseName: 't.stderr', maxFiles: 5, maxFileSizeBytes: 8 });
    a.write(Buffer.from('abcdefghij'));
    a.close();
    const b = new LogRotator({ dir, baseName: 't.stderr', maxFiles: 5, maxFileSizeBytes: 8 });
    b.write(Buffer.from('kl'));
    b.close();
    assert.equal(readFileSync(join(dir, 't.stderr.1'), 'utf8'), 'ijkl');
  });

  it('rejects nonsense limits with a message naming the field', () => {
    assert.throws(() => new LogRotator({ dir: root, baseName: 'x', maxFiles: 0, maxFileSizeBytes: 1 }), /max_files/);
  });
});
