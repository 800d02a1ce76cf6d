// C1M: three real servers, thousands of simulated client nodes (the node simulator, in this
// process, over the real RPC) and a million allocations in jobs of a thousand. Prints the
// placement rate end to end (first job registered to the last allocation reported running by
// its node), the heartbeats the servers took meanwhile with the nodes they wrongly marked down,
// and each server's peak RSS and CPU seconds.
//
// Scale with --nodes=N --jobs=N --count=N (defaults 5000, 1000, 1000); a run's bound with
// --timeout-s=N. A run that reaches its bound prints what it measured until then, with
// allocs_running (how many it placed) instead of allocs, and exits 1. Progress goes to stderr
// every 20 s. The machine may be shared: quote figures with its load.
import { NodeSim } from './nodesim/nodesim.js';
import { cpuSeconds, rssMiB, startServers, waitUntil } from './nodesim/bench-cluster.js';

function flag(name: string, def: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const v = arg ? Number(arg.slice(name.length + 3)) : def;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${arg}`);
  return v;
}

const NODES = flag('nodes', 5000);
const JOBS = flag('jobs', 1000);
const COUNT = flag('count', 1000);
const TIMEOUT_S = flag('timeout-s', 3600);
/** Job registrations in flight at once. */
const REGISTER_CONCURRENCY = 4;
const PROGRESS_EVERY_MS = 20_000;

function jobBody(i: number): unknown {
  return {
    Job: {
      ID: `c1m-${i}`,
      Name: `c1m-${i}`,
      Type: 'batch',
      Datacenters: ['dc1'],
      TaskGroups: [{ Name: 'g', Count: COUNT, Tasks: [{ Name: 'task', Driver: 'mock_driver', Config: { run_for: '1h' }, Resources: { CPU: 10, MemoryMB: 10 } }] }],
    },
  };
}

/** Registration is idempotent: one that failed on a leader change is sent again (counted). */
let registerRetries = 0;
async function put(url: string, body: unknown): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const r = await fetch(url, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    if (r.ok) return;
    const text = await r.text();
    if (r.status < 500 || attempt >= 10) throw new Error(`PUT ${url}: ${r.status} ${text}`);
    registerRetries++;
    await new Promise((res) => setTimeout(res, 1_000));
  }
}

async function main(): Promise<void> {
  const cluster = await startServers(3);
  const total = JOBS * COUNT;
  const sim = new NodeSim({ servers: cluster.servers.map((s) => s.rpc), nodes: NODES });
  const pids = cluster.servers.map((s) => s.proc.child.pid!);
  let rssMax = 0;
  const sampler = setInterval(() => {
    for (const pid of pids) rssMax = Math.max(rssMax, rssMiB(pid));
  }, 500);
  /** Waits (bounded by --timeout-s from startedMs) for `want` allocations reported running; false when the bound passed first. */
  const allRunning = async (want: number, startedMs: number): Promise<boolean> => {
    while (sim.stats.reportedRunning < want) {
      if (Date.now() >= startedMs + TIMEOUT_S * 1000) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    return true;
  };
  let progress: ReturnType<typeof setInterval> | undefined;
  try {
    await sim.start();
    const http = cluster.servers[0]!.http;
    await waitUntil(`${NODES} nodes ready`, async () => {
      const ns = (await (await fetch(`${http}/v1/nodes`)).json()) as Array<{ Status: string }>;
      return ns.filter((n) => n.Status === 'ready').length === NODES ? true : undefined;
    }, 600_000, 1_000);

    const t0 = Date.now();
    progress = setInterval(() => {
      console.error(`c1m: ${Math.round((Date.now() - t0) / 1000)} s: ${sim.stats.reportedRunning} allocations running, ${sim.stats.heartbeatFailures} heartbeat failures`);
    }, PROGRESS_EVERY_MS);
    const hb0 = sim.stats.heartbeats;
    let next = 0;
    const register = async (): Promise<void> => {
      for (let i = next++; i < JOBS; i = next++) await put(`${cluster.servers[i % cluster.servers.length]!.http}/v1/jobs`, jobBody(i));
    };
    await Promise.all(Array.from({ length: REGISTER_CONCURRENCY }, register));
    const complete = await allRunning(total, t0);
    const elapsedS = (Date.now() - t0) / 1000;
    const heartbeats = sim.stats.heartbeats - hb0;
    const placed = Math.min(total, sim.stats.reportedRunning);

    // Stale: any server answers from its own state, also while an overloaded cluster elects.
    const nodes = (await (await fetch(`${http}/v1/nodes?stale`, { signal: AbortSignal.timeout(60_000) })).json()) as Array<{ Status: string }>;
    const down = nodes.filter((n) => n.Status !== 'ready').length;
    console.log(`bench c1m.nodes ${NODES} count`);
    if (complete) console.log(`bench c1m.allocs ${total} count`);
    else console.log(`bench c1m.allocs_running ${placed} count`);
    console.log(`bench c1m.placement_s ${elapsedS.toFixed(1)} s`);
    console.log(`bench c1m.placements_per_s ${(placed / elapsedS).toFixed(0)} allocs/s`);
    console.log(`bench c1m.heartbeats_per_s ${(heartbeats / elapsedS).toFixed(1)} /s`);
    console.log(`bench c1m.heartbeat_failures ${sim.stats.heartbeatFailures} count`);
    console.log(`bench c1m.nodes_wrongly_down ${down} count`);
    console.log(`bench c1m.register_retries ${registerRetries} count`);
    for (const pid of pids) rssMax = Math.max(rssMax, rssMiB(pid));
    console.log(`bench c1m.server_rss_max_mb ${rssMax.toFixed(0)} MB`);
    cluster.servers.forEach((s, i) => console.log(`bench c1m.server${i + 1}_cpu_s ${cpuSeconds(pids[i]!).toFixed(1)} s`));
    if (!complete) {
      console.error(`c1m: incomplete: ${placed} of ${total} allocations running when the ${TIMEOUT_S} s bound passed`);
      process.exitCode = 1;
    }
  } finally {
    clearInterval(progress);
    clearInterval(sampler);
    await sim.stop();
    await cluster.stop();
  }
}

await main();
