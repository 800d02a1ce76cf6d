// bin/nomad run as a command (its first line starts node with the agent's flags), as a user's
// shell runs it, and the flags that line gives are the ones the harness starts agents with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { NOMAD_BIN, NOMAD_NODE_FLAGS, REPO_ROOT } from './harness.js';

test('bin/nomad runs as a command, node taking the flags of its first line', () => {
  const r = spawnSync(NOMAD_BIN, ['version'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Nomad v\d+\.\d+\.\d+/);
  // Node refuses a flag it does not know before running anything: each one is checked here.
  for (const flag of NOMAD_NODE_FLAGS) {
    const check = spawnSync(process.execPath, [flag, '-e', 'process.stdout.write(JSON.stringify(process.execArgv))'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(check.status, 0, `${flag}: ${check.stderr}`);
    assert.equal((JSON.parse(check.stdout) as string[])[0], flag);
  }
  assert.ok(NOMAD_NODE_FLAGS.some((f) => f.startsWith('--max-semi-space-size=')), 'the young generation is sized for a serving agent');
});
