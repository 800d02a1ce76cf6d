// What `nomad job run` sends is what Nomad's own job-file parser sends: `-output` prints it.
// A real Nomad agent refuses a constraint without an operand ("Missing constraint operand").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNomad } from './harness.js';

test('job run -output fills in the defaults Nomad\'s parser fills in before sending', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-output-'));
  try {
    const file = join(dir, 'j.nomad');
    writeFileSync(
      file,
      `job "j" {
  datacenters = ["dc1"]
  constraint {
    attribute = "\${attr.kernel.name}"
    value     = "linux"
  }
  affinity {
    attribute = "\${node.datacenter}"
    value     = "dc1"
    weight    = 50
  }
  vault {
    policies = ["p"]
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
      template {
        data        = "x"
        destination = "local/x"
      }
    }
  }
}
`,
    );
    // No agent is reached: -output only parses and prints.
    const r = await runNomad(['job', 'run', '-output', file], 'http://127.0.0.1:1');
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout).Job;
    assert.deepEqual(job.Constraints, [{ LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' }]);
    assert.equal(job.Affinities[0].Operand, '=');
    const task = job.TaskGroups[0].Tasks[0];
    assert.deepEqual(task.Vault, { Policies: ['p'], Env: true, DisableFile: false, ChangeMode: 'restart' });
    assert.deepEqual(
      { ChangeMode: task.Templates[0].ChangeMode, Perms: task.Templates[0].Perms, Splay: task.Templates[0].Splay, ErrMissingKey: task.Templates[0].ErrMissingKey },
      { ChangeMode: 'restart', Perms: '0644', Splay: 5e9, ErrMissingKey: false },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
