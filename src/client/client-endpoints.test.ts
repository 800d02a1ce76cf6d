import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StreamFrame } from '../rpc/client-endpoints.js';
import { NomadError } from '../structs/errors.js';
import { Client } from './client.js';
import { streamLogs } from './logs-stream.js';
import { LogRotator } from '../drivers/log-rotator.js';
import { devClientConfig, FakeServerRpc, makeAlloc, makeJob, makeTask } from '../../test/unit/client-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'endpoints-test-'));
const rpc = new FakeServerRpc();
const client = new Client({ rpc, config: devClientConfig(root, { maxKillTimeoutMs: 2_000 }) });
const job = makeJob('service', [makeTask('redis', 'raw_exec', { command: '/bin/sh', args: ['-c', 'echo "start $NOMAD_TASK_NAME"; trap "echo usr1" USR1; while true; do echo hi; sleep 0.05; done'] })]);
const alloc = makeAlloc(job);

before(async () => {
  await client.start();
  alloc.NodeID = client.nodeId;
  rpc.upsertAlloc(alloc);
  await rpc.waitForAlloc(alloc.ID, (a) => a.ClientStatus === 'running');
});
after(async () => {
  await client.shutdown({ stopTasks: true });
  rmSync(root, { recursive: true, force: true });
});

async function collectUntil(it: AsyncIterable<StreamFrame>, pred: (text: string) => boolean, ac?: AbortController): Promise<string> {
  let text = '';
  for await (const f of it) {
    if (f.Data) text += Buffer.from(f.Data, 'base64').toString('utf8');
    if (pred(text)) {
      ac?.abort();
      break;
    }
  }
  return text;
}

describe('client endpoints with raw_exec', () => {
  const ep = () => client.endpoints();

  it('streams logs with follow until aborted', async () => {
    const ac = new AbortController();
    const it = ep().allocLogs({ allocId: alloc.ID, task: 'redis', type: 'stdout', follow: true, origin: 'start', offset: 0, signal: ac.signal });
    const text = await collectUntil(it, (t) => t.split('hi\n').length > 4, ac);
    assert.ok(text.startsWith('start redis\nhi\n'), text);
  });

  it('rejects unknown allocs and tasks as not found', () => {
    assert.throws(() => ep().allocLogs({ allocId: 'nope', task: 'redis', type: 'stdout', follow: false, origin: 'start', offset: 0 }), (e: unknown) => e instanceof NomadError && e.kind === 'not_found');
    assert.throws(() => ep().allocLogs({ allocId: alloc.ID, task: 'x', type: 'stdout', follow: false, origin: 'start', offset: 0 }), /unknown task name "x"/);
  });

  it('lists, stats and reads files, confined to the alloc dir', async () => {
    const names = (await ep().fsList(alloc.ID, '/')).map((f) => [f.Name, f.IsDir, f.FileMode]);
    assert.deepEqual(names, [
      ['alloc', true, 'drwxrwxrwx'],
      ['redis', true, 'drwxrwxrwx'],
    ]);
    const st = await ep().fsStat(alloc.ID, 'alloc/logs/redis.stdout.0');
    assert.equal(st.IsDir, false);
    assert.equal(st.ContentType, 'text/plain; charset=utf-8');
    assert.match(st.ModTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const chunks: Buffer[] = [];
    for await (const c of await ep().fsReadAt(alloc.ID, 'alloc/logs/redis.stdout.0', 0, 5)) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks as unknown as Uint8Array[]).toString(), 'start');
    await assert.rejects(ep().fsList(alloc.ID, '../..'), (e: unknown) => e instanceof NomadError && e.kind === 'bad_request');
    await assert.rejects(ep().fsCat(alloc.ID, 'alloc/../../../etc/passwd'), (e: unknown) => e instanceof NomadError && e.kind === 'bad_request');
    symlinkSync('/etc', join(client.allocRoot, alloc.ID, 'alloc', 'data', 'escape'));
    await assert.rejects(ep().fsList(alloc.ID, 'alloc/data/escape'), (e: unknown) => e instanceof NomadError && e.kind === 'bad_request');
  });

  it('reports alloc stats summed from the driver and host stats in /v1/client/stats shape', async () => {
    const s = await ep().allocStats(alloc.ID);
    assert.ok(s.Tasks['redis']);
    assert.ok(s.ResourceUsage.MemoryStats.RSS > 0);
    const h = await ep().hostStats();
    for (const k of ['AllocDirStats', 'CPU', 'CPUTicksConsumed', 'DeviceStats', 'DiskStats', 'Memory', 'Timestamp', 'Uptime']) assert.ok(k in h, k);
    assert.ok((h['CPU'] as unknown[]).length >= 1);
    const st = ep().stats();
    assert.equal(st['num_allocations'], '1');
  });

  it('signals and restarts a task', async () => {
    await ep().allocSignal(alloc.ID, 'redis', 'SIGUSR1');
    const ac = new AbortController();
    await collectUntil(ep().allocLogs({ allocId: alloc.ID, task: 'redis', type: 'stdout', follow: true, origin: 'start', offset: 0, signal: ac.signal }), (t) => t.includes('usr1'), ac);
    await ep().allocRestart(alloc.ID, 'redis');
    const a = await rpc.waitForAlloc(alloc.ID, (x) => (x.TaskStates?.['redis']?.Restarts ?? 0) >= 1 && x.TaskStates!['redis']!.State === 'running');
    const types = a.TaskStates!['redis']!.Events!.map((e) => e.Type);
    assert.deepEqual(types.slice(-6), ['Signaling', 'Restart Signaled', 'Killing', 'Terminated', 'Restarting', 'Started']);
  });
});

describe('log streaming across rotated files', () => {
  it('reads from the start across files, from the end, and follows new files', async () => {
    const dir = mkdtempSync(join(root, 'logs-'));
    const r = new LogRotator({ dir, baseName: 'web.stdout', maxFiles: 10, maxFileSizeBytes: 4 });
    r.write(Buffer.from('abcdefghij')); // abcd | efgh | ij
    const all = await collectUntil(streamLogs({ logsDir: dir, task: 'web', type: 'stdout', origin: 'start', offset: 0, follow: false }), () => false);
    assert.equal(all, 'abcdefghij');
    const fromOffset = await collectUntil(streamLogs({ logsDir: dir, task: 'web', type: 'stdout', origin: 'start', offset: 5, follow: false }), () => false);
    assert.equal(fromOffset, 'fghij');
    const tail = await collectUntil(streamLogs({ logsDir: dir, task: 'web', type: 'stdout', origin: 'end', offset: 3, follow: false }), () => false);
    assert.equal(tail, 'hij');
    const ac = new AbortController();
    // Start from byte 10 (everything written so far), so the result does not depend on when the stream opens.
    const following = collectUntil(streamLogs({ logsDir: dir, task: 'web', type: 'stdout', origin: 'start', offset: 10, follow: true, signal: ac.signal }), (t) => t === 'klmnop', ac);
    r.write(Buffer.from('klmnop'));
    assert.equal(await following, 'klmnop');
    r.close();
    writeFileSync(join(dir, 'unrelated'), 'x');
  });
});
