// The agent outside dev mode, started as Nomad's own API test harness starts one: a JSON config
// file with its ports, a data dir, a single server (bootstrap_expect = 1) with its client. And
// the agent's refusals: configuration errors name the key and where, and nothing starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runNomad, spawnAgent, waitForState, NOMAD_BIN } from './harness.js';
import { spawnSync } from 'node:child_process';

interface AllocStub {
  ClientStatus: string;
}

test('a single server with its client from a JSON config file runs a job', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-agent-cfg-'));
  const [http, rpc, serf] = [await freePort(), await freePort(), await freePort()];
  const cfg = join(dir, 'agent.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      name: 'single',
      bind_addr: '127.0.0.1',
      data_dir: join(dir, 'data'),
      log_level: 'DEBUG',
      ports: { http, rpc, serf },
      server: { enabled: true, bootstrap_expect: 1 },
      client: { enabled: true, options: { 'driver.raw_exec.enable': '1' } },
      vault: { enabled: false },
    }),
  );
  const agent = spawnAgent(dir, http, ['agent', '-config', cfg]);
  try {
    await agent.waitForOutput(/client: node registration complete/);
    assert.match(agent.output(), /==> Loaded configuration from .*agent\.json/);
    assert.match(agent.output(), /configuration key "vault" is accepted but not supported yet/);
    assert.match(agent.output(), /^\s+Server: true$/m);
    assert.doesNotMatch(agent.output(), /DevMode/);
    const self = await fetch(`${agent.addr}/v1/agent/self`).then((r) => r.json() as Promise<{ config: { DevMode: boolean; Server: { BootstrapExpect: number } } }>);
    assert.equal(self.config.DevMode, false);
    assert.equal(self.config.Server.BootstrapExpect, 1);

    const job = join(dir, 'job.nomad');
    writeFileSync(
      job,
      `job "one" {
  datacenters = ["dc1"]
  type        = "batch"
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo from-single"]
      }
      resources {
        cpu    = 20
        memory = 10
      }
    }
  }
}
`,
    );
    const run = await runNomad(['job', 'run', '-detach', job], agent.addr);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const allocs = await waitForState<Array<AllocStub & { ID: string }>>(agent.addr, '/v1/job/one/allocations', (a) => a.length === 1 && a[0]!.ClientStatus === 'complete');
    const logs = await runNomad(['alloc', 'logs', allocs[0]!.ID], agent.addr);
    assert.equal(logs.stdout, 'from-single\n');
    const res = await agent.stop('SIGTERM');
    assert.equal(res.code, 0, agent.output().slice(-2000));
    assert.match(agent.output(), /==> Caught signal: terminated/);
  } finally {
    agent.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

function agentRun(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [NOMAD_BIN, 'agent', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

test('the agent refuses bad configuration with a clear error and exit code 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-agent-bad-'));
  try {
    const bad = join(dir, 'bad.hcl');
    writeFileSync(bad, 'server {\n  enabled = true\n  bootstrap_expect = 1\n}\nwhat_is_this = 1\n');
    const r1 = agentRun(['-config', bad, '-data-dir', dir]);
    assert.equal(r1.code, 1, r1.out);
    assert.match(r1.out, /bad\.hcl:5:1: unknown configuration key "what_is_this"/);

    const r2 = agentRun(['-server', '-bootstrap-expect', '1']);
    assert.equal(r2.code, 1, r2.out);
    assert.match(r2.out, /Must specify "data_dir"/);

    const r3 = agentRun([]);
    assert.equal(r3.code, 1, r3.out);
    assert.match(r3.out, /Must specify either server, client or dev mode for the agent/);

    const r4 = agentRun(['-dev', '-log-level', 'LOUD']);
    assert.equal(r4.code, 1, r4.out);
    assert.match(r4.out, /Invalid log level/);

    const r5 = agentRun(['-dev', '-nope']);
    assert.equal(r5.code, 1, r5.out);
    assert.match(r5.out, /flag provided but not defined: -nope/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
