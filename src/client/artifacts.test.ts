import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import type { TaskArtifact } from '../structs/job.js';
import { archiveKind, fetchArtifacts, parseChecksum } from './artifacts.js';

const base = mkdtempSync(join(tmpdir(), 'artifacts-test-'));
const files = new Map<string, Uint8Array>();
let server: Server;
let origin = '';

function crc32(data: Uint8Array): number {
  let c = ~0;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** A zip with deflated entries, written by hand: the system may have no zip tool. */
function makeZip(entries: Array<{ name: string; data: string }>): Uint8Array {
  const locals: number[] = [];
  const central: number[] = [];
  const u16 = (n: number): number[] => [n & 255, (n >>> 8) & 255];
  const u32 = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
  for (const e of entries) {
    const name = [...Buffer.from(e.name)];
    const raw = new Uint8Array(Buffer.from(e.data));
    const comp = [...deflateRawSync(raw)];
    const crc = crc32(raw);
    const offset = locals.length;
    locals.push(...u32(0x04034b50), ...u16(20), ...u16(0), ...u16(8), ...u16(0), ...u16(0), ...u32(crc), ...u32(comp.length), ...u32(raw.length), ...u16(name.length), ...u16(0), ...name, ...comp);
    central.push(...u32(0x02014b50), ...u16(0x031e), ...u16(20), ...u16(0), ...u16(8), ...u16(0), ...u16(0), ...u32(crc), ...u32(comp.length), ...u32(raw.length), ...u16(name.length), ...u16(0), ...u16(0), ...u16(0), ...u16(0), ...u32((0o100644 << 16) >>> 0), ...u32(offset), ...name);
  }
  const end = [...u32(0x06054b50), ...u16(0), ...u16(0), ...u16(entries.length), ...u16(entries.length), ...u32(central.length), ...u32(locals.length), ...u16(0)];
  return new Uint8Array([...locals, ...central, ...end]);
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

before(async () => {
  files.set('/hello.txt', new Uint8Array(Buffer.from('hello artifact\n')));
  const src = join(base, 'src');
  mkdirSync(join(src, 'app', 'bin'), { recursive: true });
  writeFileSync(join(src, 'app', 'bin', 'run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  writeFileSync(join(src, 'app', 'README'), 'read me\n');
  execFileSync('ln', ['-s', 'bin/run.sh', join(src, 'app', 'start')]);
  execFileSync('tar', ['-C', src, '-czf', join(base, 'bundle.tgz'), 'app']);
  files.set('/bundle.tar.gz', new Uint8Array(readFileSync(join(base, 'bundle.tgz'))));
  files.set('/bundle.zip', makeZip([{ name: 'z/one.txt', data: 'one\n' }, { name: 'z/two.txt', data: 'two two two two\n' }]));
  mkdirSync(join(base, 'evil', 'in'), { recursive: true });
  writeFileSync(join(base, 'evil', 'outside.txt'), 'x');
  execFileSync('tar', ['-C', join(base, 'evil', 'in'), '-cPf', join(base, 'evil.tar'), '../outside.txt']);
  files.set('/evil.tar', new Uint8Array(readFileSync(join(base, 'evil.tar'))));
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/moved') {
      res.writeHead(302, { Location: '/hello.txt' });
      return res.end();
    }
    if (path === '/private.txt' && req.headers['x-token'] !== 'let-me-in') {
      res.writeHead(403);
      return res.end();
    }
    const body = path === '/private.txt' ? files.get('/hello.txt') : files.get(path);
    if (!body) {
      res.writeHead(404);
      return res.end('not found');
    }
    res.writeHead(200, { 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server.close();
  rmSync(base, { recursive: true, force: true });
});

let taskN = 0;
function taskDir(): string {
  const d = join(base, `task-${++taskN}`);
  mkdirSync(join(d, 'local'), { recursive: true });
  return d;
}

function artifact(source: string, extra: Partial<TaskArtifact> = {}): TaskArtifact {
  return { GetterSource: source, GetterOptions: null, GetterHeaders: null, GetterMode: 'any', RelativeDest: 'local/', ...extra };
}

describe('artifacts', () => {
  it('parses checksums and archive kinds', () => {
    assert.deepEqual(parseChecksum(`sha256:${'A'.repeat(64)}`), { algo: 'sha256', hex: 'a'.repeat(64) });
    assert.deepEqual(parseChecksum('d41d8cd98f00b204e9800998ecf8427e'), { algo: 'md5', hex: 'd41d8cd98f00b204e9800998ecf8427e' });
    assert.throws(() => parseChecksum('crc:abc'), /unsupported checksum type/);
    assert.equal(archiveKind('a/b.TGZ'), 'tar.gz');
    assert.equal(archiveKind('x.zip'), 'zip');
    assert.equal(archiveKind('x.txt'), null);
  });

  it('downloads a file into local/, checking its checksum, following a redirect, sending headers', async () => {
    const dir = taskDir();
    const sum = sha256(files.get('/hello.txt')!);
    await fetchArtifacts(
      [
        artifact(`${origin}/hello.txt`, { GetterOptions: { checksum: `sha256:${sum}` } }),
        artifact(`${origin}/moved`, { RelativeDest: 'local/again' }),
        artifact(`${origin}/private.txt`, { GetterHeaders: { 'X-Token': '${TOKEN}' }, GetterMode: 'file', RelativeDest: 'secret.txt' }),
      ],
      dir,
      (s) => s.replace('${TOKEN}', 'let-me-in'),
    );
    assert.equal(readFileSync(join(dir, 'local', 'hello.txt'), 'utf8'), 'hello artifact\n');
    assert.equal(readFileSync(join(dir, 'local', 'again', 'moved'), 'utf8'), 'hello artifact\n');
    assert.equal(readFileSync(join(dir, 'secret.txt'), 'utf8'), 'hello artifact\n');
  });

  it('unpacks a tar.gz with modes and links, and a zip', async () => {
    const dir = taskDir();
    await fetchArtifacts([artifact(`${origin}/bundle.tar.gz`), artifact(`${origin}/bundle.zip`, { RelativeDest: 'local/zipped' })], dir);
    assert.equal(readFileSync(join(dir, 'local', 'app', 'README'), 'utf8'), 'read me\n');
    assert.equal(statSync(join(dir, 'local', 'app', 'bin', 'run.sh')).mode & 0o777, 0o755);
    assert.equal(readlinkSync(join(dir, 'local', 'app', 'start')), 'bin/run.sh');
    assert.equal(readFileSync(join(dir, 'local', 'zipped', 'z', 'two.txt'), 'utf8'), 'two two two two\n');
  });

  it('keeps an archive whole in file mode', async () => {
    const dir = taskDir();
    await fetchArtifacts([artifact(`${origin}/bundle.zip`, { GetterMode: 'file', RelativeDest: 'local/b.zip' })], dir);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'local', 'b.zip'))), files.get('/bundle.zip'));
  });

  it('fails with Nomad-style messages: wrong checksum, 404, escaping paths', async () => {
    const dir = taskDir();
    await assert.rejects(fetchArtifacts([artifact(`${origin}/hello.txt`, { GetterOptions: { checksum: `sha256:${'0'.repeat(64)}` } })], dir), (e: Error) => {
      assert.match(e.message, new RegExp(`^failed to download artifact "${origin}/hello.txt": checksums did not match for hello.txt.\\nExpected: 0{64}\\nGot: ${sha256(files.get('/hello.txt')!)}`));
      return true;
    });
    assert.equal(existsSync(join(dir, 'local', 'hello.txt')), false, 'nothing kept after a checksum failure');
    await assert.rejects(fetchArtifacts([artifact(`${origin}/missing.tgz`)], dir), { message: `failed to download artifact "${origin}/missing.tgz": bad response code: 404` });
    await assert.rejects(fetchArtifacts([artifact(`${origin}/evil.tar`)], dir), /failed to download artifact ".*\/evil.tar": illegal file path in archive/);
    assert.equal(existsSync(join(dir, 'outside.txt')), false);
    await assert.rejects(fetchArtifacts([artifact(`${origin}/hello.txt`, { RelativeDest: '../../x' })], dir), /destination path escapes the task directory/);
    await assert.rejects(fetchArtifacts([artifact('ftp://example.invalid/x')], dir), /unsupported source scheme "ftp"/);
  });
});
