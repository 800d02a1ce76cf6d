// The docker driver through a real dev agent: a private engine started for this file (its own
// data root and socket) handed to the agent by `plugin "docker" { config { endpoint } }`, an
// image imported offline from busybox-static, a published port from the group's network block,
// logs through `nomad alloc logs`. Without root or dockerd the engine tests skip and say why;
// the agent without any engine runs everywhere and must explain the failed placement.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importBusyboxImage, startTestEngine, type TestEngine } from '../unit/docker-test-engine.js';
import { getJson, runNomad, startDevAgent, waitForState, type AgentProcess } from './harness.js';
import { allocsOf, driverWalk, walkJob, type AllocStub } from './driver-walk.js';
import { dockerOutputWhileClientDown } from './docker-client-restart.js';

const IMAGE = 'nomad-walk/busybox:1';

let engine: TestEngine | null = null;
let skip: string | false = false;
let agent: AgentProcess | null = null;

before(async () => {
  const started = await startTestEngine();
  if ('skip' in started) {
    skip = started.skip;
    return;
  }
  engine = started;
  await importBusyboxImage(engine, IMAGE);
  agent = await startDevAgent({ extraConfig: `plugin "docker" {\n  config {\n    endpoint = "unix://${engine.socketPath}"\n  }\n}\n` });
  await agent.waitForOutput(/client: node registration complete/);
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
  await engine?.stop();
});

function dockerJob(count: number, word: string): string {
  const script = `mkdir -p /tmp/www && echo page-${word} > /tmp/www/index.html && echo ${word} && exec httpd -f -v -p 8080 -h /tmp/www`;
  const network = `    network {
      port "http" {
        to = 8080
      }
    }
`;
  const task = `      driver = "docker"
      config {
        image   = "${IMAGE}"
        ports   = ["http"]
        command = "/bin/sh"
        args    = ["-c", ${JSON.stringify(script)}]
      }
      resources {
        cpu    = 100
        memory = 64
      }
`;
  return walkJob('docker-walk', count, task, network);
}

interface AllocPorts {
  AllocatedResources: { Shared: { Ports: Array<{ Label: string; Value: number; To: number; HostIP: string }> | null } };
}

/** The published port answers from inside the container, and alloc status shows the mapping. */
async function checkPublishedPort(allocId: string): Promise<void> {
  const a = (await getJson<AllocPorts>(agent!.addr, `/v1/allocation/${allocId}`)).body;
  const port = a.AllocatedResources.Shared.Ports?.find((p) => p.Label === 'http');
  assert.ok(port, 'the allocation has its http port');
  assert.equal(port.To, 8080);
  const res = await fetch(`http://${port.HostIP}:${port.Value}/`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'page-one\n');
  const as = await runNomad(['alloc', 'status', allocId.slice(0, 8)], agent!.addr);
  assert.match(as.stdout, new RegExp(`\\*http\\s+yes\\s+${port.HostIP.replace(/\./g, '\\.')}:${port.Value} -> 8080`));
}

test('docker: the node reports the private engine', { timeout: 60_000 }, async (t) => {
  if (skip) return t.skip(skip);
  const nodes = await getJson<Array<{ ID: string }>>(agent!.addr, '/v1/nodes');
  const node = await waitForState<{ Attributes: Record<string, string>; Drivers: Record<string, { Healthy: boolean }> }>(
    agent!.addr,
    `/v1/node/${nodes.body[0]!.ID}`,
    (n) => n.Drivers['docker']?.Healthy === true,
  );
  assert.equal(node.Attributes['driver.docker'], '1');
  assert.match(node.Attributes['driver.docker.version'] ?? '', /^\d+\./);
  // Nomad's key for privileged containers is off unless the plugin config or client option says so.
  assert.equal(node.Attributes['driver.docker.privileged.enabled'], undefined);
});

test('docker: an agent finds the engine through DOCKER_HOST too', { timeout: 60_000 }, async (t) => {
  if (skip) return t.skip(skip);
  // The agent process inherits this environment at spawn; nothing else in this file reads it.
  const saved = process.env['DOCKER_HOST'];
  process.env['DOCKER_HOST'] = `unix://${engine!.socketPath}`;
  let viaEnv: AgentProcess;
  try {
    viaEnv = await startDevAgent();
  } finally {
    if (saved === undefined) delete process.env['DOCKER_HOST'];
    else process.env['DOCKER_HOST'] = saved;
  }
  try {
    await viaEnv.waitForOutput(/client: node registration complete/);
    const nodes = await getJson<Array<{ ID: string }>>(viaEnv.addr, '/v1/nodes');
    await waitForState<{ Drivers: Record<string, { Healthy: boolean }> }>(viaEnv.addr, `/v1/node/${nodes.body[0]!.ID}`, (n) => n.Drivers['docker']?.Healthy === true, 10_000);
  } finally {
    await viaEnv.stop();
    viaEnv.cleanup();
  }
});

test('docker: run, status, stats, logs, published port, scale, update, stop', { timeout: 60_000 }, async (t) => {
  if (skip) return t.skip(skip);
  await driverWalk({ agent: agent!, job: 'docker-walk', group: 'g', task: 't', jobText: dockerJob, checkRunning: checkPublishedPort });
});

test('docker: a privileged container is refused unless the agent allows it', { timeout: 30_000 }, async (t) => {
  if (skip) return t.skip(skip);
  const file = join(agent!.dir, 'privileged.nomad');
  writeFileSync(
    file,
    `job "privileged" {
  datacenters = ["dc1"]
  type        = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "docker"
      config {
        image      = "${IMAGE}"
        command    = "/bin/true"
        privileged = true
      }
    }
  }
}
`,
  );
  const run = await runNomad(['job', 'run', '-detach', file], agent!.addr);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const spec = { agent: agent!, job: 'privileged', group: 'g', task: 't', jobText: () => '' };
  const [alloc] = await allocsOf(spec, (a: AllocStub[]) => a.length === 1 && a[0]!.ClientStatus === 'failed');
  const as = await runNomad(['alloc', 'status', alloc!.ID.slice(0, 8)], agent!.addr);
  assert.match(as.stdout, /Driver Failure\s+config\.privileged: Docker privileged mode is disabled on this Nomad agent/);
});

test('docker: without an engine, job init + run explains the missing driver and exits 2', { timeout: 30_000 }, async () => {
  // An endpoint where nothing listens: the same as a host without Docker, on any machine.
  const bare = await startDevAgent({ extraConfig: 'plugin "docker" {\n  config {\n    endpoint = "unix:///nonexistent/docker.sock"\n  }\n}\n' });
  try {
    await bare.waitForOutput(/client: node registration complete/);
    const init = await runNomad(['job', 'init'], bare.addr, { cwd: bare.dir });
    assert.equal(init.code, 0, init.stderr);
    const run = await runNomad(['job', 'run', 'example.nomad'], bare.addr, { cwd: bare.dir });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stdout, /Evaluation "[0-9a-f]{8}" finished with status "complete" but failed to place all allocations:/);
    assert.match(run.stdout, /Task Group "cache" \(failed to place 1 allocation\):/);
    assert.match(run.stdout, /^\s+\* Constraint "missing drivers": 1 nodes excluded by filter \(the group's tasks use driver "docker"\)$/m);
    assert.match(run.stdout, /Evaluation "[0-9a-f]{8}" waiting for additional capacity to place remainder/);
  } finally {
    await bare.stop();
    bare.cleanup();
  }
});

test('docker: output written while a client agent is down is in alloc logs after it restarts', { timeout: 240_000 }, async (t) => {
  if (skip) return t.skip(skip);
  await dockerOutputWhileClientDown(engine!);
});
