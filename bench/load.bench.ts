// Serving under load: a dev agent (mock driver) takes 2,000 job registrations from 8 workers,
// then 8 readers of the job list; a second agent with 1,000 jobs takes registrations while 500
// blocking queries watch /v1/jobs, and 100 watchers of single jobs' allocations see writes to
// other jobs. Clients ask for gzip, as Nomad's Go client does. Figures, as `bench load.FIGURE`:
//   register_per_s, register_p99_ms             2,000 registrations, 8 workers
//   reads_per_s, read_p99_ms                    8 readers of /v1/jobs over 2,000 jobs
//   nodes_p50_ms_under_readers                  /v1/nodes read meanwhile
//   reads_per_s_with_writes, read_p99_ms_with_writes   the same while jobs are registered
//   rss_2000_jobs_mb, rss_peak_mb               the agent's resident memory
//   register_p99_ms_with_500_watchers           1,000 jobs, 500 watchers of /v1/jobs (parked:
//                                               one untimed registration first, which every
//                                               watcher has seen before the timed ones start;
//                                               timed by a registrar process while this one,
//                                               reading the answers, runs at nice 10)
//   fanout_500_max_ms                           a registration until the last watcher has it
//   spurious_wakeups                            watchers answered with nothing changed for them
//   large_list_mb, large_list_ms                /v1/evaluations over 200,000 evaluations (in process)
//   small_max_ms_during_large_list              the slowest small request answered meanwhile
// BENCH_RUNS (default 3) runs; each figure is the median of the runs. BENCH_TRACE=1 prints each
// round's figures to stderr. BENCH_LOAD_PARTS=large,registrations,watchers runs only some parts
// (their figures alone are printed). BENCH_LOAD_ROUNDS (default 30) timed registrations under
// the watchers.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { Agent, request, type ClientRequest } from 'node:http';
import { startDevAgent, waitForState, type AgentProcess } from '../test/e2e/harness.js';
import { startInProcessApi } from '../test/unit/http-harness.js';
import { mockEval } from '../test/unit/state-fixtures.js';
import { cpuCalibrationMs } from './calibrate.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const TRACE = process.env['BENCH_TRACE'] === '1';
const PARTS = new Set((process.env['BENCH_LOAD_PARTS'] ?? 'large,registrations,watchers').split(',').map((p) => p.trim()));

function trace(what: string, fields: Record<string, number>): void {
  if (TRACE) console.error(`trace ${what} ${Object.entries(fields).map(([k, v]) => `${k}=${v.toFixed(1)}`).join(' ')}`);
}
const JOBS = 2_000;
const WATCHED_JOBS = 1_000;
const WORKERS = 8;
const WATCHERS = 500;
const READERS = 8;
const READ_PHASE_MS = 8_000;
/** Registrations timed under the watchers (BENCH_LOAD_ROUNDS; fewer for a slow agent). */
const ROUNDS_WITH_WATCHERS = Number(process.env['BENCH_LOAD_ROUNDS'] ?? 30);
/** Untimed registrations before those, once all watchers are connected (see withWatchers). */
const WARMUP_REGISTRATIONS = 1;
const SINGLE_JOB_WATCHERS = 100;
/**
 * The niceness of this process while it holds the 500 watchers. Reading their answers takes a
 * core of a 2-core machine, which in a cluster would be other machines' work: at nice 10 it
 * leaves the CPU to the agent and the registrar first, so that the latency timed is the agent's
 * and not the wait of a registrar that no core was free to run.
 */
const WATCHERS_NICE = 10;
/** Evaluations behind the large list (about 120 MB of JSON, the size that once held an agent for seconds). */
const LARGE_LIST_EVALS = 200_000;

/** Room for thousands of tiny tasks on one node. */
const AGENT_CONFIG = 'client {\n  cpu_total_compute = 1000000\n  memory_total_mb   = 1000000\n}\n';

interface Answer {
  status: number;
  index: number;
  bytes: number;
  body: Buffer | null;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/**
 * Requests in flight that stop() ends. Not an AbortSignal shared by hundreds of watchers: each
 * request adding its listener to one signal walks every listener already there (node checks for
 * duplicates), which made the benchmark's own client cost as much CPU as the agent it measures
 * on a machine of two cores.
 */
class InFlight {
  private readonly requests = new Set<ClientRequest>();
  stopped = false;

  add(req: ClientRequest): void {
    if (this.stopped) req.destroy(new Error('stopped'));
    else this.requests.add(req);
  }

  delete(req: ClientRequest): void {
    this.requests.delete(req);
  }

  stop(): void {
    this.stopped = true;
    for (const req of this.requests) req.destroy(new Error('stopped'));
    this.requests.clear();
  }
}

/**
 * One HTTP exchange; the body is kept only when asked (watchers just count bytes). A request
 * sent on a kept-alive connection the agent had just closed is sent again, as Node's docs advise.
 */
async function call(port: number, method: string, path: string, body?: unknown, keep = false, inFlight?: InFlight): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await callOnce(port, method, path, body, keep, inFlight);
    } catch (e) {
      if (attempt >= 2 || !(e instanceof ReusedSocketReset)) throw e;
    }
  }
}

class ReusedSocketReset extends Error {}

function callOnce(port: number, method: string, path: string, body: unknown, keep: boolean, inFlight?: InFlight): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, agent: keepAlive, headers: { 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keep) chunks.push(c);
      });
      res.on('end', () => {
        inFlight?.delete(req);
        resolve({ status: res.statusCode ?? 0, index: Number(res.headers['x-nomad-index'] ?? 0), bytes, body: keep ? Buffer.concat(chunks as unknown as Uint8Array[]) : null });
      });
      res.on('error', reject);
    });
    inFlight?.add(req);
    req.on('error', (e: NodeJS.ErrnoException) => {
      inFlight?.delete(req);
      reject(req.reusedSocket && e.code === 'ECONNRESET' && inFlight?.stopped !== true ? new ReusedSocketReset(e.message) : e);
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

function job(id: string): Record<string, unknown> {
  return {
    Job: {
      ID: id,
      Datacenters: ['dc1'],
      Type: 'service',
      TaskGroups: [
        {
          Name: 'g',
          Count: 1,
          EphemeralDisk: { SizeMB: 2 },
          Tasks: [{ Name: 't', Driver: 'mock_driver', Config: { run_for: '1h' }, LogConfig: { MaxFiles: 1, MaxFileSizeMB: 1 }, Resources: { CPU: 1, MemoryMB: 10 } }],
        },
      ],
    },
  };
}

async function register(port: number, id: string): Promise<{ ms: number; index: number }> {
  const t0 = performance.now();
  const r = await call(port, 'PUT', '/v1/jobs', job(id), true);
  if (r.status !== 200) throw new Error(`register ${id}: ${r.status} ${r.body?.toString()}`);
  return { ms: performance.now() - t0, index: r.index };
}

/** Registers jobs `prefix-0..n-1` from `workers` concurrent workers; each registration's latency. */
async function registerMany(port: number, prefix: string, n: number, workers: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < n) {
        const i = next++;
        latencies.push((await register(port, `${prefix}-${String(i).padStart(5, '0')}`)).ms);
      }
    }),
  );
  return latencies;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

async function startAgent(): Promise<AgentProcess> {
  const agent = await startDevAgent({ args: ['-log-level', 'WARN'], extraConfig: AGENT_CONFIG });
  await agent.waitForOutput(/Nomad agent started/, 60_000);
  await waitForState<Array<{ Status: string }>>(agent.addr, '/v1/nodes', (n) => n.length === 1 && n[0]!.Status === 'ready', 60_000);
  return agent;
}

/**
 * Waits until every job's allocation is running and its deployment is over (blocking queries),
 * so that measurements start from a settled cluster rather than amid a thousand deployments.
 */
async function allSettled(agent: AgentProcess, jobs: number): Promise<void> {
  type Stub = { JobSummary: { Summary: Record<string, { Running: number }> } | null };
  await waitForState<Stub[]>(agent.addr, '/v1/jobs', (l) => l.length === jobs && l.every((j) => j.JobSummary?.Summary['g']?.Running === 1), 300_000);
  await waitForState<Array<{ Status: string }>>(agent.addr, '/v1/deployments', (d) => d.length === jobs && d.every((x) => x.Status === 'successful'), 300_000);
}

/** Readers of `path` in a loop for `ms`; with `writes`, jobs are registered meanwhile. */
async function readPhase(port: number, path: string, ms: number, writesPrefix: string | null): Promise<{ perS: number; p99: number; nodesP50: number }> {
  const latencies: number[] = [];
  const nodeLatencies: number[] = [];
  const end = performance.now() + ms;
  const readers = Array.from({ length: READERS }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const r = await call(port, 'GET', path);
      if (r.status !== 200) throw new Error(`read ${path}: ${r.status}`);
      latencies.push(performance.now() - t0);
    }
  });
  const probe = (async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await call(port, 'GET', '/v1/nodes');
      nodeLatencies.push(performance.now() - t0);
    }
  })();
  const writer = (async () => {
    if (writesPrefix === null) return;
    for (let i = 0; performance.now() < end; i++) await register(port, `${writesPrefix}-${i}`);
  })();
  const t0 = performance.now();
  await Promise.all([...readers, probe, writer]);
  return { perS: latencies.length / ((performance.now() - t0) / 1000), p99: quantile(latencies, 0.99), nodesP50: median(nodeLatencies) };
}

/** Watchers of one path that re-arm with the index of each answer; remembers when each saw an index. */
class Watchers {
  private readonly seen: number[];
  private readonly waiting: Array<{ index: number; resolve: () => void }> = [];
  private readonly inFlight = new InFlight();
  answers = 0;

  constructor(
    private readonly port: number,
    paths: string[],
    startIndex: number,
    private readonly waitS: number,
  ) {
    this.seen = paths.map(() => startIndex);
    paths.forEach((p, i) => void this.watch(p, i));
  }

  private async watch(path: string, i: number): Promise<void> {
    while (!this.inFlight.stopped) {
      let r: Answer;
      try {
        r = await call(this.port, 'GET', `${path}${path.includes('?') ? '&' : '?'}index=${this.seen[i]}&wait=${this.waitS}s`, undefined, false, this.inFlight);
      } catch {
        return;
      }
      this.answers++;
      this.seen[i] = Math.max(this.seen[i]!, r.index);
      this.check();
    }
  }

  /** Resolves once every watcher has had an answer at `index` or later. */
  allSeen(index: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push({ index, resolve });
      this.check();
    });
  }

  private check(): void {
    const low = Math.min(...this.seen);
    for (const w of [...this.waiting]) {
      if (low >= w.index) {
        this.waiting.splice(this.waiting.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  stop(): void {
    this.inFlight.stop();
  }
}

/** Registrations made by a separate process (bench/load-registrar), one at a time. */
class Registrar {
  private readonly child: ChildProcess = fork(new URL('./load-registrar.js', import.meta.url).pathname);
  private pending: ((r: { ms: number; status: number; index: number; text: string }) => void) | null = null;

  constructor(private readonly port: number) {
    this.child.on('message', (r: { ms: number; status: number; index: number; text: string }) => {
      const p = this.pending;
      this.pending = null;
      p?.(r);
    });
  }

  async register(id: string): Promise<{ ms: number; index: number }> {
    const r = await new Promise<{ ms: number; status: number; index: number; text: string }>((resolve) => {
      this.pending = resolve;
      this.child.send({ port: this.port, id, body: JSON.stringify(job(id)) });
    });
    if (r.status !== 200) throw new Error(`register ${id}: ${r.status} ${r.text}`);
    return r;
  }

  stop(): void {
    this.child.disconnect();
  }
}

/** Back to the niceness the benchmark had; lowering it needs root, so a user's run says it stays. */
function restorePriority(nice: number): void {
  try {
    setPriority(nice);
  } catch (e) {
    console.error(`load: the rest of this run stays at nice ${WATCHERS_NICE} (${(e as Error).message})`);
  }
}

async function withWatchers(): Promise<Record<string, number>> {
  const agent = await startAgent();
  try {
    const port = agent.httpPort;
    await registerMany(port, 'w', WATCHED_JOBS, WORKERS);
    await allSettled(agent, WATCHED_JOBS);
    const list = await call(port, 'GET', '/v1/jobs');
    const watchers = new Watchers(port, Array.from({ length: WATCHERS }, () => '/v1/jobs'), list.index, 300);
    const registrar = new Registrar(port);
    const niceBefore = getPriority();
    setPriority(WATCHERS_NICE);
    // Untimed: the agent is still accepting the watchers' connections (and the registrar's
    // process is starting) when this is sent. Once every watcher has had its answer, all 500
    // are parked on connections already open, which is what the timed rounds measure.
    for (let i = 0; i < WARMUP_REGISTRATIONS; i++) await watchers.allSeen((await registrar.register(`extra-warmup-${i}`)).index);
    const latencies: number[] = [];
    const fanouts: number[] = [];
    for (let round = 0; round < ROUNDS_WITH_WATCHERS; round++) {
      const t0 = performance.now();
      const reg = await registrar.register(`extra-${round}`);
      latencies.push(reg.ms);
      await watchers.allSeen(reg.index);
      fanouts.push(performance.now() - t0);
      trace('round', { round, registerMs: reg.ms, fanoutMs: fanouts[fanouts.length - 1]!, answers: watchers.answers });
    }
    watchers.stop();
    registrar.stop();
    restorePriority(niceBefore);
    await allSettled(agent, WATCHED_JOBS + WARMUP_REGISTRATIONS + ROUNDS_WITH_WATCHERS);

    // Watchers of single jobs' allocations, each at the index of its last answer; then other
    // jobs are registered and placed. Every answer they get is one with nothing new for them.
    const watched = Array.from({ length: SINGLE_JOB_WATCHERS }, (_, i) => `/v1/job/w-${String(i).padStart(5, '0')}/allocations`);
    const first = await Promise.all(watched.map((p) => call(port, 'GET', p)));
    const spurious = { count: 0 };
    const inFlight = new InFlight();
    const armed = watched.map((p, i) =>
      call(port, 'GET', `${p}?index=${first[i]!.index}&wait=60s`, undefined, false, inFlight).then(
        () => spurious.count++,
        () => undefined,
      ),
    );
    for (let i = 0; i < 10; i++) await register(port, `other-${i}`);
    await allSettled(agent, WATCHED_JOBS + WARMUP_REGISTRATIONS + ROUNDS_WITH_WATCHERS + 10);
    // One more round of writes to other jobs' allocations, then everything they caused is in.
    await waitForState(agent.addr, '/v1/job/other-9/allocations', (a: Array<{ ClientStatus: string }>) => a.length === 1 && a[0]!.ClientStatus === 'running');
    inFlight.stop();
    await Promise.all(armed);
    trace('spurious', { count: spurious.count });
    return {
      registerP99WithWatchersMs: quantile(latencies, 0.99),
      fanoutMaxMs: median(fanouts),
      spuriousWakeups: spurious.count,
    };
  } finally {
    await agent.stop('SIGINT');
    agent.cleanup();
  }
}

async function registrationsAndReads(): Promise<Record<string, number>> {
  const agent = await startAgent();
  try {
    const port = agent.httpPort;
    const t0 = performance.now();
    const latencies = await registerMany(port, 'job', JOBS, WORKERS);
    const registerPerS = JOBS / ((performance.now() - t0) / 1000);
    trace('registered', { jobs: JOBS, perS: registerPerS });
    await allSettled(agent, JOBS);
    trace('running', { jobs: JOBS, ms: performance.now() - t0 });
    const quiet = await readPhase(port, '/v1/jobs', READ_PHASE_MS, null);
    trace('reads', { perS: quiet.perS, p99Ms: quiet.p99, nodesP50Ms: quiet.nodesP50 });
    const rss = rssMb(agent.child.pid!, 'VmRSS');
    const busy = await readPhase(port, '/v1/jobs', READ_PHASE_MS, 'during-reads');
    trace('reads with writes', { perS: busy.perS, p99Ms: busy.p99 });
    return {
      registerPerS,
      registerP99Ms: quantile(latencies, 0.99),
      readsPerS: quiet.perS,
      readP99Ms: quiet.p99,
      nodesP50Ms: quiet.nodesP50,
      readsPerSWithWrites: busy.perS,
      readP99MsWithWrites: busy.p99,
      rssMb: rss,
      rssPeakMb: rssMb(agent.child.pid!, 'VmHWM'),
    };
  } finally {
    await agent.stop('SIGINT');
    agent.cleanup();
  }
}

/**
 * One very large answer (every evaluation, unfiltered, uncompressed) while a small request is
 * made again and again: how long the large one takes, and the slowest small one meanwhile.
 * In process (evaluations written straight through the log), with the large body discarded as
 * it arrives.
 */
async function largeList(): Promise<Record<string, number>> {
  const api = await startInProcessApi();
  try {
    const batch = 5_000;
    for (let i = 0; i < LARGE_LIST_EVALS; i += batch) {
      const evals = Array.from({ length: batch }, (_, j) => mockEval(`bulk-${String(i + j).padStart(7, '0')}`, `bulk-${(i + j) % 500}`, { Status: 'complete' }));
      const res = await api.consensus.apply({ Type: 'EvalUpsert', Evals: evals });
      if (res.result instanceof Error) throw res.result;
    }
    const t0 = performance.now();
    const big = new Promise<{ bytes: number; ms: number }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: api.port, path: '/v1/evaluations', agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ bytes, ms: performance.now() - t0 }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    let done = false;
    void big.then(() => (done = true));
    const small: number[] = [];
    const smallStartMs: number[] = [];
    while (!done) {
      const s0 = performance.now();
      const r = await call(api.port, 'GET', '/v1/status/leader');
      if (r.status !== 200) throw new Error(`small request: ${r.status}`);
      small.push(performance.now() - s0);
      smallStartMs.push(s0 - t0);
    }
    const answer = await big;
    const slowest = small.indexOf(Math.max(...small));
    trace('large list', { mb: answer.bytes / 1e6, ms: answer.ms, smallRequests: small.length, smallMaxMs: small[slowest]!, smallMaxStartedAtMs: smallStartMs[slowest]! });
    return { largeListMb: answer.bytes / 1e6, largeListMs: answer.ms, smallMaxMs: Math.max(...small) };
  } finally {
    await api.close();
  }
}

const results: Array<Record<string, number>> = [];
const calibration: number[] = [];
for (let i = 0; i < RUNS; i++) {
  calibration.push(cpuCalibrationMs());
  results.push({
    ...(PARTS.has('large') ? await largeList() : {}),
    ...(PARTS.has('registrations') ? await registrationsAndReads() : {}),
    ...(PARTS.has('watchers') ? await withWatchers() : {}),
  });
}
keepAlive.destroy();
const fig = (k: string): number => median(results.map((r) => r[k]!));
const print = (name: string, key: string | number, unit: string, digits = 0): void => {
  const value = typeof key === 'number' ? key : results[0]![key] === undefined ? null : fig(key);
  if (value !== null) console.log(`bench load.${name} ${value.toFixed(digits)} ${unit}`);
};
print('cpu_calibration_1e7_loop', median(calibration), 'ms', 1);
print('register_per_s', 'registerPerS', 'per_s');
print('register_p99_ms', 'registerP99Ms', 'ms', 1);
print('register_p99_ms_with_500_watchers', 'registerP99WithWatchersMs', 'ms', 1);
print('fanout_500_max_ms', 'fanoutMaxMs', 'ms', 1);
print('spurious_wakeups', 'spuriousWakeups', 'count');
print('reads_per_s', 'readsPerS', 'per_s');
print('read_p99_ms', 'readP99Ms', 'ms', 1);
print('nodes_p50_ms_under_readers', 'nodesP50Ms', 'ms', 1);
print('reads_per_s_with_writes', 'readsPerSWithWrites', 'per_s');
print('read_p99_ms_with_writes', 'readP99MsWithWrites', 'ms', 1);
print('rss_2000_jobs_mb', 'rssMb', 'MB', 1);
print('rss_peak_mb', 'rssPeakMb', 'MB', 1);
print('large_list_mb', 'largeListMb', 'MB', 1);
print('large_list_ms', 'largeListMs', 'ms', 0);
print('small_max_ms_during_large_list', 'smallMaxMs', 'ms', 1);
