import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { NomadError } from '../structs/errors.js';
import { confinePath, listDir, readFileRange } from './alloc-fs.js';

const allocDir = mkdtempSync(join(tmpdir(), 'alloc-fs-test-'));
mkdirSync(join(allocDir, 'alloc', 'logs'), { recursive: true });
mkdirSync(join(allocDir, 'web', 'local'), { recursive: true });
writeFileSync(join(allocDir, 'alloc', 'logs', 'web.stdout.0'), '0123456789');
after(() => rmSync(allocDir, { recursive: true, force: true }));

async function text(r: Readable): Promise<string> {
  let out = '';
  for await (const c of r) out += String(c);
  return out;
}

const isBadRequest = (e: unknown) => e instanceof NomadError && e.kind === 'bad_request';

describe('alloc dir paths', () => {
  it('serve a path whose `..` stays inside the alloc dir', async () => {
    assert.deepEqual((await listDir(allocDir, 'alloc/../')).map((f) => f.Name), ['alloc', 'web']);
    assert.equal(await confinePath(allocDir, 'web/../alloc/logs'), join(allocDir, 'alloc', 'logs'));
  });

  it('refuse paths and symlinks that leave it', async () => {
    await assert.rejects(confinePath(allocDir, 'alloc/../../'), isBadRequest);
    await assert.rejects(confinePath(allocDir, '/../etc/passwd'), isBadRequest);
    symlinkSync('/etc', join(allocDir, 'web', 'local', 'etc'));
    await assert.rejects(confinePath(allocDir, 'web/local/etc/passwd'), isBadRequest);
  });
});

describe('reading at an offset', () => {
  const file = 'alloc/logs/web.stdout.0';
  it('reads to the end without a limit or with one past the end, as Nomad does', async () => {
    assert.equal(await text(await readFileRange(allocDir, file, 4, null)), '456789');
    assert.equal(await text(await readFileRange(allocDir, file, 4, Number('9223372036854775807'))), '456789');
    assert.equal(await text(await readFileRange(allocDir, file, 2, 3)), '234');
    assert.equal(await text(await readFileRange(allocDir, file, 50, 3)), '');
  });

  it('refuses a negative offset', async () => {
    await assert.rejects(readFileRange(allocDir, file, -1, null), isBadRequest);
  });
});
