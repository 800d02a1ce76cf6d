// What telemetry costs: one collection round of a dev agent (server, client and runtime gauges)
// with 1,000 running allocations, publishing node and allocation metrics, as the agent does every
// collection_interval; a Prometheus scrape of that agent (time and size); the price of one
// counter increment and one timing on the hot path; one pass over /proc for task figures.
// Costs are the process's CPU time (user + system), not wall time: on a shared machine the wall
// clock also counts the time other processes held the cores.
import { Agent } from '../src/agent/agent.js';
import { resolveAddresses } from '../src/agent/addresses.js';
import { applyDevMode, defaultConfig, mergeConfig } from '../src/agent/config.js';
import { AgentLogger } from '../src/agent/logger.js';
import { scanProcessGroups } from '../src/drivers/proc-stats.js';
import { IntervalSink } from '../src/telemetry/interval-sink.js';
import { PrometheusSink } from '../src/telemetry/prometheus-sink.js';
import { MetricsRegistry } from '../src/telemetry/registry.js';
import { freePort, waitForState } from '../test/e2e/harness.js';
import { cpuCalibrationMs } from './calibrate.js';

const ALLOCS = Number(process.env.BENCH_ALLOCS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** CPU milliseconds (user + system) this process spent in `fn`. */
async function cpuMs(fn: () => unknown): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
}

function print(figure: string, value: number, unit: string): void {
  console.log(`bench telemetry.${figure} ${Number(value.toFixed(3))} ${unit}`);
}

async function agentWithAllocs(): Promise<{ agent: Agent; addr: string }> {
  const [http, rpc, serf] = [await freePort(), await freePort(), await freePort()];
  const config = mergeConfig(applyDevMode(defaultConfig()), {
    logLevel: 'ERROR',
    ports: { http, rpc, serf },
    telemetry: { collectionIntervalMs: 3_600_000, prometheusMetrics: true, publishAllocationMetrics: true, publishNodeMetrics: true },
  });
  const resolved = resolveAddresses(config);
  if (!resolved.ok) throw new Error(resolved.error);
  const agent = await Agent.start(config, resolved.addrs, new AgentLogger('ERROR', { write: () => undefined }));
  const addr = `http://127.0.0.1:${http}`;
  await waitForState<Array<{ Status: string }>>(addr, '/v1/nodes', (n) => n.length === 1 && n[0]!.Status === 'ready', 30_000);
  const job = {
    ID: 'many',
    Datacenters: ['dc1'],
    TaskGroups: [{ Name: 'g', Count: ALLOCS, Tasks: [{ Name: 't', Driver: 'mock_driver', Config: { run_for: '1h' }, Resources: { CPU: 1, MemoryMB: 10 }, LogConfig: { MaxFiles: 1, MaxFileSizeMB: 1 } }], EphemeralDisk: { SizeMB: 10 } }],
  };
  const reg = await fetch(`${addr}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: job }) });
  if (reg.status !== 200) throw new Error(`register failed: ${reg.status} ${await reg.text()}`);
  await waitForState<Array<{ ClientStatus: string }>>(addr, '/v1/job/many/allocations', (a) => a.length === ALLOCS && a.every((x) => x.ClientStatus === 'running'), 300_000);
  return { agent, addr };
}

async function main(): Promise<void> {
  print('cpu_calibration_ms', cpuCalibrationMs(), 'ms');

  const { agent, addr } = await agentWithAllocs();
  try {
    const telemetry = agent.telemetryHandle!;
    await telemetry.collectOnce(); // first round: host stats have no previous sample yet
    const rounds: number[] = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await cpuMs(() => telemetry.collectOnce()));
    const perRoundMs = median(rounds);
    print('collect_ms_per_1000_allocs', (perRoundMs * 1000) / ALLOCS, 'ms');
    // At the default collection_interval of 1 s, the share of one core collection takes.
    print('collect_core_percent_at_1s', (perRoundMs / 1000) * 100, '%');

    const scrapes: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      // The agent's side and the fetch share this process: the CPU time is the whole scrape's.
      scrapes.push(
        await cpuMs(async () => {
          const res = await fetch(`${addr}/v1/metrics?format=prometheus`);
          bytes = (await res.arrayBuffer()).byteLength;
        }),
      );
    }
    print('scrape_ms', median(scrapes), 'ms');
    print('scrape_bytes', bytes, 'bytes');
  } finally {
    await agent.shutdown();
  }

  // The hot path: a registry with the in-memory and Prometheus sinks, as an agent scraped by Prometheus has.
  const registry = new MetricsRegistry({ serviceName: 'nomad', hostname: 'bench', hostLabel: true, hostPrefixOnGauges: false, filter: null, sinks: [new IntervalSink(10_000, 60_000), new PrometheusSink()] });
  const N = 1_000_000;
  const incrMs = await cpuMs(() => {
    for (let i = 0; i < N; i++) registry.incrCounter('nomad.rpc.request');
  });
  print('counter_incr_ns', (incrMs * 1e6) / N, 'ns');
  const sampleMs = await cpuMs(() => {
    for (let i = 0; i < N; i++) registry.addSample('nomad.fsm.register_job', i % 7);
  });
  print('sample_ns', (sampleMs * 1e6) / N, 'ns');

  const scans: number[] = [];
  let processes = 0;
  for (let i = 0; i < 5; i++) {
    scans.push(
      await cpuMs(async () => {
        const groups = await scanProcessGroups();
        processes = [...groups.values()].reduce((n, g) => n + g.length, 0);
      }),
    );
  }
  print('proc_scan_ms', median(scans), 'ms');
  print('proc_scan_processes', processes, 'processes');
}

await main();
