// A Raft cluster of server agents (separate processes on 127.0.0.1-3) as an operator meets it:
// start to one leader known by all, kill -9 of the leader to a write accepted through a survivor,
// job registrations per second through a follower (durable log), a job registered to running on
// a cluster whose first server also runs a client, and a server restarted with 1,000,000
// allocations in its state (from its snapshot) to serving, with its RSS; in this process, the
// streaming snapshot encode of that state (and its longest chunk, the longest the event loop
// waits) and its restore (decode and bulk load) into a fresh store.
// Prints `bench cluster.FIGURE VALUE UNIT`; figures measured over runs are medians.
// BENCH_RUNS, BENCH_CLUSTER_CLIENTS, BENCH_CLUSTER_ALLOCS and BENCH_CLUSTER_PARTS (elect, running,
// restart) change what runs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request } from 'node:http';
import { join } from 'node:path';
import { FSM } from '../src/state/fsm.js';
import { StateStore } from '../src/state/store.js';
import { flat, mockAlloc, mockEval, mockJob, mockNode, mockPlanApply, T0_NS, taskGroup, uuidFrom } from '../test/unit/state-fixtures.js';
import { openFileStores } from '../src/raft/index.js';
import { agreedLeader, Cluster, http, jobBody, waitFor } from '../test/e2e/cluster-harness.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
/** Concurrent HTTP clients registering jobs through a follower. */
const CLIENTS = Number(process.env['BENCH_CLUSTER_CLIENTS'] ?? 32);
const ALLOCS = Number(process.env['BENCH_CLUSTER_ALLOCS'] ?? 1_000_000);
/** Which parts run (comma-separated): elect (election, registrations, failover), running, restart. */
const PARTS = new Set((process.env['BENCH_CLUSTER_PARTS'] ?? 'elect,running,restart').split(','));

function report(figure: string, value: number, unit: string): void {
  console.log(`bench cluster.${figure} ${Number(value.toFixed(1))} ${unit}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

/**
 * PUT of a JSON body on kept-alive connections. The registrations use it rather than fetch: on a
 * machine of two cores shared by the benchmark and three servers, fetch's own cost per call (about
 * as much CPU as a server spends on the job) would be taken from the servers it measures.
 */
function putJson(agent: HttpAgent, addr: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const url = new URL(addr);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: 'PUT', path, agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`PUT ${path}: no answer within 15 s`)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function electAndFailover(): Promise<{ electMs: number; failoverMs: number; registerPerS: number }> {
  const cluster = await Cluster.create(3, { extraConfig: 'log_level = "INFO"\n' });
  try {
    // From every agent started (process start-up is not the cluster's) to one leader known by all.
    await cluster.startAll();
    const t0 = performance.now();
    const leader = await agreedLeader(cluster.specs, 30_000);
    const electMs = performance.now() - t0;

    // Registrations through a follower: 2,000 jobs, CLIENTS at a time.
    const follower = cluster.specs.find((s) => s !== leader)!;
    const total = 2_000;
    let next = 0;
    const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: CLIENTS });
    const tReg = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < total) {
          const id = `reg-${next++}`;
          const r = await putJson(keepAlive, follower.addr, '/v1/jobs', jobBody(id));
          if (r.status !== 200) throw new Error(`register ${id}: ${r.status} ${r.text}`);
        }
      }),
    );
    const registerPerS = total / ((performance.now() - tReg) / 1000);
    keepAlive.destroy();

    const survivor = cluster.specs.find((s) => s !== leader)!;
    const tKill = performance.now();
    await cluster.kill(leader.name);
    let n = 0;
    await waitFor(
      'a write accepted after the failover',
      async () => {
        const r = await http(survivor.addr, 'PUT', '/v1/jobs', jobBody(`after-${n++}`), 10_000);
        return r.status === 200 ? true : undefined;
      },
      30_000,
      10,
    );
    return { electMs, failoverMs: performance.now() - tKill, registerPerS };
  } finally {
    await cluster.shutdown();
  }
}

async function registerToRunning(): Promise<number> {
  const cluster = await Cluster.create(3, { base: 4, extraConfig: 'log_level = "INFO"\n' });
  // The first server also runs a client with raw_exec.
  writeFileSync(cluster.specs[0]!.config, readFileSync(cluster.specs[0]!.config, 'utf8') + '\nclient {\n  enabled = true\n}\nplugin "raw_exec" {\n  config {\n    enabled = true\n  }\n}\n');
  try {
    await cluster.startAll();
    const s1 = cluster.specs[0]!;
    await agreedLeader(cluster.specs, 30_000);
    await waitFor('the client node ready', async () => {
      const r = await http<Array<{ Status: string }>>(s1.addr, 'GET', '/v1/nodes');
      return r.body.length === 1 && r.body[0]!.Status === 'ready' ? true : undefined;
    }, 30_000);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const id = `svc-${i}`;
      const t0 = performance.now();
      const job = { Job: { ID: id, Name: id, Type: 'service', Datacenters: ['dc1'], TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/sleep', args: ['1000'] }, Resources: { CPU: 20, MemoryMB: 16 } }] }] } };
      const reg = await http(cluster.specs[1]!.addr, 'PUT', '/v1/jobs', job);
      if (reg.status !== 200) throw new Error(`register: ${reg.status} ${reg.text}`);
      await waitFor(`${id} running`, async () => {
        const r = await http<Array<{ ClientStatus: string }>>(s1.addr, 'GET', `/v1/job/${id}/allocations`);
        return r.body.length === 1 && r.body[0]!.ClientStatus === 'running' ? true : undefined;
      }, 30_000, 2);
      times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    await cluster.shutdown();
  }
}

interface SnapshotFigures {
  /** The streaming encode: all chunks, and the longest single chunk (the event loop's longest stall). */
  encodeS: number;
  encodeStallMs: number;
  /** FSM restore (decode and bulk load) of the bytes into a fresh store, in this process. */
  restoreS: number;
  sizeMb: number;
}

/** Encodes the state chunk by chunk as a server does, then restores the bytes into a fresh store. */
function measureSnapshot(store: StateStore): { bytes: Uint8Array; figures: Omit<SnapshotFigures, 'restoreS'> } {
  const parts: Uint8Array[] = [];
  let stallMs = 0;
  const t0 = performance.now();
  const chunks = new FSM(store).captureSnapshot().chunks()[Symbol.iterator]();
  for (;;) {
    const t = performance.now();
    const next = chunks.next();
    stallMs = Math.max(stallMs, performance.now() - t);
    if (next.done) break;
    parts.push(next.value);
  }
  const encodeS = (performance.now() - t0) / 1000;
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  return { bytes, figures: { encodeS, encodeStallMs: stallMs, sizeMb: bytes.byteLength / 1e6 } };
}

function measureRestore(bytes: Uint8Array): number {
  const t0 = performance.now();
  const restored = new StateStore();
  new FSM(restored).restore(bytes);
  const s = (performance.now() - t0) / 1000;
  if (restored.snapshot().allocsByJob('default', 'job-0', false).length !== 1_000) throw new Error('restore lost allocations');
  return s;
}

/** Writes a server's data_dir whose Raft snapshot holds ALLOCS allocations on 5,000 nodes. */
async function seedLargeState(dataDir: string, serverId: string, rpcAddr: string): Promise<SnapshotFigures> {
  const store = new StateStore();
  const fsm = new FSM(store);
  let index = 0;
  const nodes = Array.from({ length: 5_000 }, (_, i) => uuidFrom(i, 7));
  for (const id of nodes) fsm.apply(++index, { Type: 'NodeRegister', Node: mockNode(id), TimestampNs: T0_NS });
  const perJob = 1_000;
  for (let j = 0; j < ALLOCS / perJob; j++) {
    const job = mockJob(`job-${j}`, { TaskGroups: [taskGroup('cache', perJob)] });
    fsm.apply(++index, { Type: 'JobRegister', Job: job, Eval: mockEval(`eval-${j}`, `job-${j}`), SubmitTimeNs: T0_NS });
    const registered = store.snapshot().jobByID('default', job.ID)!;
    const allocs = Array.from({ length: perJob }, (_, i) => {
      const n = j * perJob + i;
      return mockAlloc(uuidFrom(n, 1), nodes[n % nodes.length]!, { JobID: job.ID, EvalID: flat(`eval-${j}`), Name: flat(`${job.ID}.cache[${i}]`) });
    });
    fsm.apply(++index, mockPlanApply(registered, { EvalID: `eval-${j}`, AllocsUpdated: allocs, TimestampNs: T0_NS + j }));
  }
  const { bytes, figures } = measureSnapshot(store);
  const server = join(dataDir, 'server');
  mkdirSync(join(server, 'raft'), { recursive: true });
  writeFileSync(join(server, 'node-id'), serverId + '\n');
  writeFileSync(join(server, 'region'), 'global\n');
  const stores = await openFileStores(join(server, 'raft'));
  const meta = { index, term: 1, configuration: { servers: [{ id: serverId, address: rpcAddr, suffrage: 'voter' as const }] }, configurationIndex: 1 };
  const sink = await stores.snapshotStore.create(meta);
  for (let at = 0; at < bytes.length; at += 4 << 20) await sink.write(bytes.subarray(at, at + (4 << 20)));
  await sink.commit();
  await stores.logStore.reset(index);
  await stores.stableStore.save({ term: 1, vote: serverId });
  await stores.logStore.close();
  await stores.stableStore.close();
  await stores.snapshotStore.close();
  return { ...figures, restoreS: measureRestore(bytes) };
}

async function restartLarge(): Promise<{ restartS: number; rssMb: number; snapshot: SnapshotFigures }> {
  const cluster = await Cluster.create(1, { base: 7, extraConfig: 'log_level = "INFO"\n' });
  try {
    const s = cluster.specs[0]!;
    const snapshot = await seedLargeState(s.dataDir, '2b7c1a86-1c1e-4d42-9d2b-7c1a861c1e4d', `${s.ip}:${s.rpc}`);
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    const p = cluster.start(s.name);
    await p.waitForOutput(/Nomad agent started!/, 300_000);
    await waitFor('the restarted server serving', async () => {
      const leader = await http<string>(s.addr, 'GET', '/v1/status/leader', undefined, 5_000);
      if (!leader.body) return undefined;
      const r = await http<unknown[]>(s.addr, 'GET', '/v1/job/job-0/allocations', undefined, 30_000);
      return r.status === 200 && r.body.length === 1_000 ? true : undefined;
    }, 300_000, 100);
    const restartS = (performance.now() - t0) / 1000;
    return { restartS, rssMb: rssMb(p.child.pid!), snapshot };
  } finally {
    await cluster.shutdown();
  }
}

async function main(): Promise<void> {
  const elect: number[] = [];
  const failover: number[] = [];
  const reg: number[] = [];
  for (let i = 0; PARTS.has('elect') && i < RUNS; i++) {
    const r = await electAndFailover();
    elect.push(r.electMs);
    failover.push(r.failoverMs);
    reg.push(r.registerPerS);
  }
  if (PARTS.has('elect')) {
    report('elect_ms', median(elect), 'ms');
    report('failover_ms', median(failover), 'ms');
    report('job_register_per_s', median(reg), 'jobs/s');
  }
  if (PARTS.has('running')) report('register_to_running_ms', await registerToRunning(), 'ms');
  if (PARTS.has('restart') && ALLOCS > 0) {
    const big = await restartLarge();
    const at = ALLOCS >= 1_000_000 ? `${ALLOCS / 1_000_000}m` : `${ALLOCS / 1000}k`;
    report(`restart_${at}_allocs_s`, big.restartS, 's');
    report(`server_rss_${at}_allocs_mb`, big.rssMb, 'MB');
    report(`snapshot_encode_${at}_allocs_s`, big.snapshot.encodeS, 's');
    report(`snapshot_encode_${at}_allocs_longest_chunk_ms`, big.snapshot.encodeStallMs, 'ms');
    report(`snapshot_${at}_allocs_mb`, big.snapshot.sizeMb, 'MB');
    report(`restore_${at}_allocs_s`, big.snapshot.restoreS, 's');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
