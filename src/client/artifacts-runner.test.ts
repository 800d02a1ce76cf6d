// The artifact step inside the task runner: its events, and a failed download failing the
// task for good (no restarts) before the driver is ever called.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MockDriver } from '../drivers/mock.js';
import { AllocDir } from './alloc-dir.js';
import { TaskRunner } from './task-runner.js';
import { makeAlloc, makeJob, makeTask } from '../../test/unit/client-fixtures.js';

const base = mkdtempSync(join(tmpdir(), 'artifacts-runner-'));
let server: Server;
let origin = '';
before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/hello.txt') return res.end('hi\n');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server.close();
  rmSync(base, { recursive: true, force: true });
});

function runner(source: string): { tr: TaskRunner; allocDir: AllocDir } {
  const task = makeTask('web', 'mock_driver', { run_for: '1ms' }, {
    Artifacts: [{ GetterSource: source, GetterOptions: null, GetterHeaders: null, GetterMode: 'any', RelativeDest: 'local/' }],
  });
  const job = makeJob('batch', [task]);
  const alloc = makeAlloc(job);
  const allocDir = new AllocDir(base, alloc.ID);
  const tr = new TaskRunner({
    alloc,
    job,
    group: job.TaskGroups[0]!,
    task,
    driver: new MockDriver({ devMode: true, options: {}, pluginConfig: {}, cpuMhzPerCore: () => 2000 }),
    allocDir,
    node: () => null,
    region: 'global',
    maxKillTimeoutMs: 1_000,
    hostEnv: {},
    onStateChange: () => undefined,
  });
  return { tr, allocDir };
}

describe('task runner artifacts step', () => {
  it('downloads before the task starts', async () => {
    const { tr, allocDir } = runner(`${origin}/hello.txt`);
    await allocDir.build();
    await tr.run();
    const types = (tr.state.Events ?? []).map((e) => e.Type);
    assert.deepEqual(types.slice(0, 4), ['Received', 'Task Setup', 'Downloading Artifacts', 'Started']);
    assert.equal(tr.state.Events![2]!.DisplayMessage, 'Client is downloading artifacts');
    assert.equal(readFileSync(join(allocDir.taskDir('web').local, 'hello.txt'), 'utf8'), 'hi\n');
    assert.equal(tr.state.Failed, false);
  });

  it('fails the task without restarts when a download fails', async () => {
    const { tr, allocDir } = runner(`${origin}/missing.bin`);
    await allocDir.build();
    await tr.run();
    const last = tr.state.Events!.at(-1)!;
    assert.equal(last.Type, 'Failed Artifact Download');
    assert.equal(last.DisplayMessage, `failed to download artifact "${origin}/missing.bin": bad response code: 404`);
    assert.equal(last.DownloadError, last.DisplayMessage);
    assert.equal(tr.state.State, 'dead');
    assert.equal(tr.state.Failed, true);
    assert.equal(tr.state.Restarts, 0);
    assert.ok(!tr.state.Events!.some((e) => e.Type === 'Started'));
  });
});
