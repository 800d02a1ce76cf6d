import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AllocDir } from './alloc-dir.js';

const root = mkdtempSync(join(tmpdir(), 'alloc-dir-'));
after(() => rmSync(root, { recursive: true, force: true }));

const modeOf = (path: string): number => statSync(path).mode & 0o777;

test("an allocation's directories are Nomad's layout, with Nomad's modes whatever the umask", async () => {
  const previousUmask = process.umask(0o077);
  try {
    const dir = new AllocDir(join(root, 'alloc'), 'a1');
    // Two tasks set up together, as a group's tasks are, beside the shared directories.
    await dir.build();
    const [web, sidecar] = await Promise.all([dir.buildTask('web'), dir.buildTask('sidecar')]);
    for (const shared of [dir.sharedDir, dir.logsDir, dir.dataDir, dir.tmpDir]) assert.equal(modeOf(shared), 0o777, shared);
    for (const task of [web, sidecar]) {
      assert.equal(modeOf(task.dir), 0o777);
      assert.equal(modeOf(task.local), 0o777);
      assert.equal(modeOf(task.tmp), 0o777);
      assert.equal(modeOf(task.secrets), 0o700, 'secrets are the task user\'s alone');
    }
    assert.equal(web.dir, join(root, 'alloc', 'a1', 'web'));
    // A restarted client builds over what is there.
    await dir.build();
    await dir.buildTask('web');
    await dir.destroy();
    assert.throws(() => statSync(dir.allocDir), /ENOENT/);
  } finally {
    process.umask(previousUmask);
  }
});
