// Start time per driver as a user meets it: from `nomad job run -detach` (a CLI process) to the
// allocation reported running, through one real dev agent. raw_exec is a plain child; exec adds
// cgroups, namespaces and a chroot; java adds fetching the jar artifact and launching a JVM;
// docker creates and starts a container on a private engine handed to the agent by its plugin
// config. Prints `bench drivers.FIGURE VALUE ms` (median of BENCH_RUNS), or why a driver skipped.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importBusyboxImage, startTestEngine, type TestEngine } from '../test/unit/docker-test-engine.js';
import { isolationSupport } from '../src/drivers/isolation/isolated-driver.js';
import { getJson, runNomad, startDevAgent, waitForState, type AgentProcess } from '../test/e2e/harness.js';
import { buildAndServeHelloJar, jdkMissing, type ServedJar } from '../test/e2e/hello-jar.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IMAGE = 'nomad-bench/busybox:1';
const SLEEP_ARGS = '["-c", "while true; do sleep 1; done"]';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function job(name: string, driver: string, config: string, extra = '', memoryMB = 64): string {
  return `job "${name}" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "${driver}"
${extra}
      config {
${config}
      }
      resources {
        cpu    = 100
        memory = ${memoryMB}
      }
    }
  }
}
`;
}

/** Median of RUNS timings of `job run -detach` -> the allocation running; each job is stopped after. */
async function measure(agent: AgentProcess, figure: string, text: (name: string) => string): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const name = `${figure.replace(/_start_ms$/, '').replace(/_/g, '-')}-${i}`;
    const file = join(agent.dir, `${name}.nomad`);
    writeFileSync(file, text(name));
    const t0 = performance.now();
    const run = await runNomad(['job', 'run', '-detach', file], agent.addr);
    if (run.code !== 0) throw new Error(`${figure}: job run failed: ${run.stdout}${run.stderr}`);
    await waitForState<Array<{ ClientStatus: string }>>(agent.addr, `/v1/job/${name}/allocations`, (a) => a.length === 1 && a[0]!.ClientStatus === 'running');
    times.push(performance.now() - t0);
    const stop = await runNomad(['job', 'stop', name], agent.addr);
    if (stop.code !== 0) throw new Error(`${figure}: job stop failed: ${stop.stdout}${stop.stderr}`);
  }
  console.log(`bench drivers.${figure} ${median(times).toFixed(1)} ms`);
}

async function driverHealthy(agent: AgentProcess, driver: string): Promise<void> {
  const nodes = await getJson<Array<{ ID: string }>>(agent.addr, '/v1/nodes');
  await waitForState<{ Drivers: Record<string, { Healthy: boolean }> }>(agent.addr, `/v1/node/${nodes.body[0]!.ID}`, (n) => n.Drivers[driver]?.Healthy === true, 15_000);
}

let engine: TestEngine | null = null;
let jar: ServedJar | null = null;
let agent: AgentProcess | null = null;
try {
  const started = await startTestEngine();
  const engineSkip = 'skip' in started ? started.skip : null;
  if (!('skip' in started)) {
    engine = started;
    await importBusyboxImage(engine, IMAGE);
  }
  const isolation = await isolationSupport();
  const javaSkip = !isolation.ok ? isolation.reason : jdkMissing();
  if (!javaSkip) jar = await buildAndServeHelloJar();

  const docker = engine ? `plugin "docker" {\n  config {\n    endpoint = "unix://${engine.socketPath}"\n  }\n}\n` : '';
  agent = await startDevAgent({ args: ['-log-level', 'INFO'], extraConfig: docker });
  await agent.waitForOutput(/client: node registration complete/, 30_000);
  const a = agent;

  await measure(a, 'raw_exec_start_ms', (n) => job(n, 'raw_exec', `        command = "/bin/sh"\n        args    = ${SLEEP_ARGS}`));

  if (!isolation.ok) console.log(`bench drivers.exec_start_ms skipped: ${isolation.reason}`);
  else await measure(a, 'exec_start_ms', (n) => job(n, 'exec', `        command = "/bin/sh"\n        args    = ${SLEEP_ARGS}`));

  if (javaSkip || !jar) console.log(`bench drivers.java_start_ms skipped: ${javaSkip}`);
  else {
    const url = jar.url;
    await driverHealthy(a, 'java');
    await measure(a, 'java_start_ms', (n) =>
      job(n, 'java', `        jar_path    = "local/hello.jar"\n        jvm_options = ["-Xmx32m"]\n        args        = ["hi"]`, `      artifact {\n        source = "${url}"\n      }`, 256),
    );
  }

  if (!engine) console.log(`bench drivers.docker_start_ms skipped: ${engineSkip}`);
  else {
    await driverHealthy(a, 'docker');
    await measure(a, 'docker_start_ms', (n) => job(n, 'docker', `        image   = "${IMAGE}"\n        command = "/bin/sh"\n        args    = ${SLEEP_ARGS}`));
  }
} finally {
  await agent?.stop();
  agent?.cleanup();
  jar?.close();
  await engine?.stop();
}
