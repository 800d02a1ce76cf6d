// Host volumes through a real dev agent: client host_volume blocks on the node, a raw_exec task
// writing through a writable volume, an exec task reading a read-only volume it cannot write,
// a job asking for a volume no node has failing placement with the reason, and a host_volume
// whose path does not exist stopping the agent at start.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { isolationSupport } from '../../src/drivers/isolation/isolated-driver.js';
import { getJson, runNomad, startDevAgent, waitForState, type AgentProcess } from './harness.js';

const volumes = mkdtempSync(join(tmpdir(), 'nomad-hostvol-'));
const sharedDir = join(volumes, 'shared');
const certsDir = join(volumes, 'certs');
let agent: AgentProcess;

before(async () => {
  mkdirSync(sharedDir);
  mkdirSync(certsDir);
  writeFileSync(join(certsDir, 'ca.pem'), 'CERTIFICATE\n');
  agent = await startDevAgent({
    extraConfig: `client {\n  host_volume "shared" {\n    path = "${sharedDir}"\n  }\n  host_volume "certs" {\n    path      = "${certsDir}"\n    read_only = true\n  }\n}\n`,
  });
  await agent.waitForOutput(/client: node registration complete/);
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
  rmSync(volumes, { recursive: true, force: true });
});

function batchJob(name: string, driver: string, volume: string, source: string, readOnly: boolean, destination: string, script: string): string {
  return `job "${name}" {
  datacenters = ["dc1"]
  type        = "batch"
  group "g" {
    volume "v" {
      type      = "host"
      source    = "${source}"
      read_only = ${readOnly}
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "${driver}"
      volume_mount {
        volume      = "${volume}"
        destination = "${destination}"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", ${JSON.stringify(script)}]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`;
}

async function runToEnd(name: string, text: string): Promise<{ status: string; logs: string }> {
  const file = join(agent.dir, `${name}.nomad`);
  writeFileSync(file, text);
  const run = await runNomad(['job', 'run', '-detach', file], agent.addr, { timeoutMs: 20_000 });
  assert.equal(run.code, 0, run.stderr);
  const [alloc] = await waitForState<Array<{ ID: string; ClientStatus: string }>>(agent.addr, `/v1/job/${name}/allocations`, (a) => a.length === 1 && ['complete', 'failed'].includes(a[0]!.ClientStatus));
  const logs = await runNomad(['alloc', 'logs', alloc!.ID], agent.addr, { timeoutMs: 20_000 });
  const errs = await runNomad(['alloc', 'logs', '-stderr', alloc!.ID], agent.addr, { timeoutMs: 20_000 });
  return { status: alloc!.ClientStatus, logs: logs.stdout + errs.stdout };
}

test('the node offers its host volumes', async () => {
  const nodes = await getJson<Array<{ ID: string }>>(agent.addr, '/v1/nodes');
  const node = await getJson<{ HostVolumes: Record<string, { Name: string; Path: string; ReadOnly: boolean }> }>(agent.addr, `/v1/node/${nodes.body[0]!.ID}`);
  assert.deepEqual(node.body.HostVolumes, {
    certs: { Name: 'certs', Path: certsDir, ReadOnly: true },
    shared: { Name: 'shared', Path: sharedDir, ReadOnly: false },
  });
  const status = await runNomad(['node', 'status', '-self'], agent.addr);
  assert.match(status.stdout, /Host Volumes\s+= certs,shared/);
});

test('raw_exec writes through a writable host volume', { timeout: 40_000 }, async () => {
  const res = await runToEnd('rw-volume', batchJob('rw-volume', 'raw_exec', 'v', 'shared', false, 'data', 'echo written > data/out.txt && echo ok'));
  assert.equal(res.status, 'complete', res.logs);
  assert.equal(readFileSync(join(sharedDir, 'out.txt'), 'utf8'), 'written\n');
});

test('raw_exec refuses a read-only mount it cannot enforce', { timeout: 40_000 }, async () => {
  const file = join(agent.dir, 'ro-raw.nomad');
  writeFileSync(file, batchJob('ro-raw', 'raw_exec', 'v', 'certs', true, 'certs', 'true'));
  assert.equal((await runNomad(['job', 'run', '-detach', file], agent.addr)).code, 0);
  const [alloc] = await waitForState<Array<{ ClientStatus: string; TaskStates?: Record<string, { Events: Array<{ Type: string; DisplayMessage: string }> }> }>>(
    agent.addr,
    '/v1/job/ro-raw/allocations',
    (a) => a.length === 1 && a[0]!.ClientStatus === 'failed',
  );
  const events = alloc!.TaskStates!['t']!.Events.map((e) => e.DisplayMessage).join('\n');
  assert.match(events, /raw_exec cannot mount volume "v" read-only: its tasks run without file system isolation/);
});

const isolation = await isolationSupport();
test('exec reads a read-only host volume inside its chroot and cannot write it', { timeout: 40_000, skip: isolation.ok ? false : `exec isolation unavailable: ${isolation.reason}` }, async () => {
  const script = 'cat /certs/ca.pem; if echo x > /certs/new 2>/dev/null; then echo WROTE; else echo READ-ONLY; fi';
  const res = await runToEnd('ro-exec', batchJob('ro-exec', 'exec', 'v', 'certs', true, '/certs', script));
  assert.equal(res.status, 'complete', res.logs);
  assert.match(res.logs, /^CERTIFICATE\nREAD-ONLY\n/);
  assert.equal(existsSync(join(certsDir, 'new')), false);
});

test('a volume no node offers fails placement with the reason', { timeout: 40_000 }, async () => {
  const file = join(agent.dir, 'nowhere.nomad');
  writeFileSync(file, batchJob('nowhere', 'raw_exec', 'v', 'no-such-volume', false, 'data', 'true'));
  const run = await runNomad(['job', 'run', file], agent.addr, { timeoutMs: 20_000 });
  assert.match(run.stdout, /Constraint "missing compatible host volumes": 1 nodes excluded by filter/);
  assert.equal((await runNomad(['job', 'stop', '-purge', 'nowhere'], agent.addr)).code, 0);
});

test('a host_volume whose path does not exist stops the agent at start, naming it', { timeout: 30_000 }, async () => {
  const bad = await startDevAgent({ extraConfig: `client {\n  host_volume "gone" {\n    path = "${join(volumes, 'missing')}"\n  }\n}\n` });
  try {
    await bad.waitForOutput(/client\.host_volume "gone": path ".*missing" does not exist/);
    await new Promise<void>((resolve) => (bad.child.exitCode !== null ? resolve() : bad.child.once('exit', () => resolve())));
    assert.equal(bad.child.exitCode, 1);
  } finally {
    await bad.stop();
    bad.cleanup();
  }
});
