// One seed, one run of the whole server side: 3 or 5 real servers bootstrapped through
// bootstrap_expect from the gossip pool, simulated client nodes and an operator's job writes,
// under faults drawn from the seed (crashes and restarts that lose unsynced writes, leader kills,
// partitions, message loss, delay and duplication, clients that die and come back). The
// invariants are checked as the run goes; then the faults stop, everything heals, and once the
// cluster is quiet the end state is checked. Everything derives from the seed, so a failing
// seed replays exactly.
import { SeededRng } from '../../../src/raft/rng.js';
import { newScheduler } from '../../../src/scheduler/index.js';
import type { LogEntry } from '../../../src/state/log-entries.js';
import { ClusterChecker, InvariantViolation, type CheckCounts } from './checkers.js';
import { RealTimeGuard } from './real-time-guard.js';
import { SimClient } from './sim-client.js';
import { SimLoop, SimRandom } from './sim-loop.js';
import { SimGossipPool, type PoolMember } from './sim-membership.js';
import { drawFaults, RELIABLE } from '../raft/sim-network.js';
import { SimNetwork } from './sim-net.js';
import { SimServer, type SimServerParams, type SimWorld } from './sim-server.js';
import { JobWorkload, OPS_HOST } from './workload.js';

export interface SeedOptions {
  /** Prints what happens (faults, leadership, server logs). */
  trace?: (line: string) => void;
  /** Keeps the servers' debug lines too. */
  debugLogs?: boolean;
  /** Forces the cluster size (3 or 5); drawn from the seed otherwise. */
  servers?: number;
  /** Simulated time during which faults are injected. */
  faultWindowMs?: number;
  /** Bound on the time from healing to a quiet, converged cluster. */
  quietBoundMs?: number;
  /** Digest the state at every Nth state index (1: every one). */
  digestEvery?: number;
  /** Servers on disks that report writes synced before they are (the checkers must catch it). */
  lyingDisks?: boolean;
}

export interface FaultCounts {
  serverCrashes: number;
  leaderKills: number;
  leaves: number;
  powerLosses: number;
  partitions: number;
  lossProfiles: number;
  clientCrashes: number;
}

export interface SeedResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly servers: number;
  readonly clients: number;
  readonly simulatedMs: number;
  readonly events: number;
  readonly faults: FaultCounts;
  readonly leaderTerms: number;
  readonly writes: { acked: number; unknown: number; refused: number };
  readonly checks: CheckCounts;
  readonly finalIndex: number;
  /** Digest of the final state (equal on every server): two runs of a seed must agree on it. */
  readonly finalDigest: string;
  /** The last lines logged before a failure. */
  readonly logTail?: readonly string[];
}

const FAULT_START_MS = 3_000;
const DEFAULT_FAULT_WINDOW_MS = 12_000;
const LOG_TAIL_LINES = 60;
const QUIET_CHECK_MS = 50;
/** A healthy cluster of 5 runs about a thousand events per simulated second: far more is a storm. */
const MAX_EVENTS_PER_SIMULATED_S = 20_000;

export async function runSeed(seed: number, opts: SeedOptions = {}): Promise<SeedResult> {
  const guard = new RealTimeGuard();
  guard.install();
  try {
    return await simulate(seed, opts, guard);
  } finally {
    guard.uninstall();
  }
}

async function simulate(seed: number, opts: SeedOptions, guard: RealTimeGuard): Promise<SeedResult> {
  const rng = new SeededRng(seed);
  const loop = new SimLoop();
  const net = new SimNetwork(loop, rng.fork());
  const pool = new SimGossipPool(loop, net);
  const trace = opts.trace;
  const logTail: string[] = [];
  const note = (line: string): void => {
    const stamped = `${(loop.nowMs / 1000).toFixed(3)}s ${line}`;
    logTail.push(stamped);
    if (logTail.length > LOG_TAIL_LINES) logTail.shift();
    trace?.(stamped);
  };
  const world: SimWorld = {
    loop,
    net,
    pool,
    newScheduler,
    log: (host, level, msg, fields) => {
      if (level === 'debug' && !opts.debugLogs) return;
      note(`${host} ${level} ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}`);
    },
  };

  const serverCount = opts.servers ?? (rng.chance(0.5) ? 3 : 5);
  const params: SimServerParams = {
    bootstrapExpect: serverCount,
    snapshotThresholdEntries: 16 + rng.nextInt(100),
    trailingLogs: 2 + rng.nextInt(30),
    snapshotIntervalMs: 5_000,
    numSchedulers: 1 + rng.nextInt(2),
    disk: opts.lyingDisks ? { minFsyncMs: 200, maxFsyncMs: 3_000, liesAboutSync: true } : { minFsyncMs: 0, maxFsyncMs: 1 + rng.nextInt(8) },
  };
  const ids = new SimRandom(rng.fork());
  const servers: SimServer[] = [];
  const members = new Map<SimServer, PoolMember>();
  for (let i = 1; i <= serverCount; i++) {
    const s = new SimServer(world, `10.0.0.${i}:4647`, `server-${i}`, ids.uuid(), params, rng.next32());
    servers.push(s);
    const m: PoolMember = { address: s.address, name: `${s.name}.global`, id: s.id, bootstrapExpect: serverCount, isUp: () => s.up, left: false };
    members.set(s, m);
    pool.add(m);
  }
  const addresses = servers.map((s) => s.address);
  const clientCount = 2 + rng.nextInt(3);
  const clients: SimClient[] = [];
  for (let i = 1; i <= clientCount; i++) {
    const capacity = { cpuShares: 1_000 + 500 * rng.nextInt(3), memoryMB: 1_024 + 512 * rng.nextInt(3) };
    clients.push(new SimClient(`client-${i}`, ids.uuid(), ids.uuid(), capacity, addresses, loop, net, rng.fork()));
  }
  const workload = new JobWorkload(loop, net, addresses, rng.fork(), { maxJobs: 3 + rng.nextInt(5), meanGapMs: 300 + rng.nextInt(700) });
  const checker = new ClusterChecker(opts.digestEvery ?? 1);
  const faultEndMs = FAULT_START_MS + (opts.faultWindowMs ?? DEFAULT_FAULT_WINDOW_MS);
  const quietBoundMs = opts.quietBoundMs ?? 60_000;
  const faults: FaultCounts = { serverCrashes: 0, leaderKills: 0, leaves: 0, powerLosses: 0, partitions: 0, lossProfiles: 0, clientCrashes: 0 };

  // A violation found inside a callback of the code under test (which may catch what it calls)
  // is kept here and raised by the main loop.
  let violation: Error | null = null;
  const checked = (fn: () => void): void => {
    if (violation) return;
    try {
      fn();
    } catch (e) {
      violation = e instanceof Error ? e : new Error(String(e));
    }
  };

  const startServer = (s: SimServer): void => {
    if (s.up) return;
    note(`start ${s.name}`);
    // A server that left rejoins the pool when it starts again (its retry_join).
    members.get(s)!.left = false;
    s.start().then(
      () => {
        const c = s.current;
        if (!c) return;
        c.fsm.onApplied({
          applied: (_index: number, entry: LogEntry) =>
            checked(() => {
              checker.state(s.name, c.store, false);
              if (entry.Type === 'PlanApply') checker.capacity(s.name, c.store.snapshot());
            }),
          restored: () =>
            checked(() => {
              checker.state(s.name, c.store, true);
              checker.capacity(s.name, c.store.snapshot());
            }),
        });
      },
      (e: unknown) => checked(() => {
        throw e;
      }),
    );
  };
  const crashServer = (s: SimServer, why: string): void => {
    if (!s.up) return;
    note(`crash ${s.name} (${why})`);
    s.crash();
  };
  const leader = (): SimServer | undefined => servers.find((s) => s.current?.consensus.isLeader());

  for (const s of servers) loop.after(rng.nextInt(100), () => startServer(s));
  for (const c of clients) loop.after(500 + rng.nextInt(1_000), () => c.start());
  loop.after(1_500, () => workload.start());

  const anyUp = (): SimServer | undefined => {
    const up = servers.filter((s) => s.up);
    return up.length > 0 ? rng.pick(up) : undefined;
  };
  const crashThenRestart = (victim: SimServer | undefined, why: string, restartAfterMs: number): void => {
    if (!victim) return;
    crashServer(victim, why);
    faults.serverCrashes++;
    loop.after(restartAfterMs, () => startServer(victim));
  };

  const injectFault = (): void => {
    const kind = rng.nextInt(13);
    const all = [...addresses, ...clients.map((c) => c.host), OPS_HOST];
    switch (kind) {
      case 0:
      case 1:
        crashThenRestart(anyUp(), 'crash', 300 + rng.nextInt(8_000));
        break;
      case 2: {
        const l = leader();
        if (l) faults.leaderKills++;
        crashThenRestart(l, 'leader kill', 500 + rng.nextInt(6_000));
        break;
      }
      case 3:
        crashThenRestart(anyUp(), 'crash and restart', 1 + rng.nextInt(50));
        break;
      case 4: {
        net.heal();
        const shuffled = shuffle(all, rng);
        const cut = 1 + rng.nextInt(shuffled.length - 1);
        net.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
        note(`partition ${shuffled.slice(0, cut).join(',')} | ${shuffled.slice(cut).join(',')}`);
        faults.partitions++;
        break;
      }
      case 5: {
        const l = leader();
        if (!l) break;
        net.partition([[l.address], all.filter((a) => a !== l.address)]);
        note(`isolate leader ${l.name}`);
        faults.partitions++;
        break;
      }
      case 6:
        net.heal();
        note('heal');
        break;
      case 7:
        net.faults = drawFaults(rng, 20, 30);
        note(`network ${JSON.stringify(net.faults)}`);
        faults.lossProfiles++;
        break;
      case 8:
        net.faults = { ...RELIABLE };
        note('network reliable');
        break;
      case 9: {
        const up = clients.filter((c) => c.up);
        if (up.length === 0) break;
        const victim = rng.pick(up);
        note(`crash ${victim.host}`);
        victim.crash();
        faults.clientCrashes++;
        loop.after(1_000 + rng.nextInt(15_000), () => victim.start());
        break;
      }
      case 11: {
        // Graceful leave (leave_on_terminate): the pool hears "left", then the process exits.
        const up = servers.filter((s) => s.up && !members.get(s)!.left);
        if (up.length <= 1) break;
        const victim = rng.pick(up);
        members.get(victim)!.left = true;
        note(`${victim.name} leaves`);
        faults.leaves++;
        loop.after(500, () => crashServer(victim, 'exit after leaving'));
        loop.after(2_000 + rng.nextInt(6_000), () => startServer(victim));
        break;
      }
      case 12:
        // Power loss: every server dies at once and comes back from what its disk kept.
        note('all servers crash');
        faults.powerLosses++;
        for (const s of servers) crashThenRestart(s.up ? s : undefined, 'power loss', 100 + rng.nextInt(3_000));
        break;
      case 10: {
        const c = rng.pick(clients);
        for (const a of addresses) if (rng.chance(0.7)) net.partition([[c.host], [a]]);
        note(`cut ${c.host} from some servers`);
        faults.partitions++;
        break;
      }
    }
  };
  for (let t = FAULT_START_MS + rng.nextInt(2_000); t < faultEndMs; t += 500 + rng.nextInt(2_500)) loop.after(t, injectFault);

  loop.after(faultEndMs, () => {
    note('faults end: heal, restart everything');
    net.heal();
    net.faults = { ...RELIABLE };
    workload.stop();
    for (const s of servers) startServer(s);
    for (const c of clients) c.start();
  });

  let quietAtMs = -1;
  let nextQuietCheckMs = faultEndMs;
  let lastWhy = '';
  const endMs = faultEndMs + quietBoundMs;
  const lastApplied = new Map<SimServer, number>();
  let error: string | undefined;
  let finalIndex = 0;
  let finalDigest = '';
  try {
    let secondEndsMs = 1_000;
    let eventsAtSecondStart = 0;
    while (await loop.step(endMs)) {
      if (violation) throw violation;
      if (loop.events - eventsAtSecondStart > MAX_EVENTS_PER_SIMULATED_S) {
        throw new InvariantViolation(`event storm: over ${MAX_EVENTS_PER_SIMULATED_S} events within the simulated second before ${secondEndsMs} ms (a retry or message loop that never backs off)`);
      }
      if (loop.nowMs >= secondEndsMs) {
        secondEndsMs = Math.floor(loop.nowMs / 1_000) * 1_000 + 1_000;
        eventsAtSecondStart = loop.events;
      }
      if (guard.violations.length > 0) throw new InvariantViolation(`real time or randomness read during the run: ${guard.violations[0]!.source}\n${guard.violations[0]!.stack}`);
      for (const s of servers) {
        const c = s.current;
        if (!c) continue;
        const raft = c.consensus.raft;
        if (raft.isLeader()) checker.leader(s.id, s.name, raft.leader().term);
        const applied = raft.appliedIndexNow;
        if (lastApplied.get(s) !== applied) {
          lastApplied.set(s, applied);
          checker.acknowledged(s.name, c.store.snapshot(), applied, workload.writes, workload.issuedGens);
        }
      }
      // Quiescence is looked at every QUIET_CHECK_MS of simulated time (it reads every server's stats).
      if (loop.nowMs < nextQuietCheckMs) continue;
      nextQuietCheckMs = loop.nowMs + QUIET_CHECK_MS;
      const why = notQuiet(servers, clients, workload);
      if (why !== lastWhy) {
        lastWhy = why;
        if (why) note(`waiting: ${why}`);
      }
      if (!why) {
        quietAtMs = loop.nowMs;
        break;
      }
    }
    if (quietAtMs < 0) throw new InvariantViolation(`not quiet ${quietBoundMs} ms after healing: ${lastWhy}`);
    // The end state: every server at the same index with the same state, nothing acknowledged
    // missing, nothing over capacity, every evaluation processed.
    const l = leader()!;
    finalIndex = l.current!.store.latestIndex();
    finalDigest = checker.stateDigest(l.current!.store);
    for (const s of servers) {
      const c = s.current!;
      checker.state(s.name, c.store, true);
      const d = checker.stateDigest(c.store);
      if (d !== finalDigest) throw new InvariantViolation(`after quiescence ${s.name} holds another state than the leader ${l.name} at index ${c.store.latestIndex()}`);
      checker.acknowledged(s.name, c.store.snapshot(), c.consensus.raft.appliedIndexNow, workload.writes, workload.issuedGens);
      checker.capacity(s.name, c.store.snapshot());
    }
    checker.evaluationsSettled(l.current!.server);
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  const count = (o: string): number => workload.writes.filter((w) => w.outcome === o).length;
  return {
    seed,
    ok: error === undefined,
    ...(error !== undefined ? { error, logTail } : {}),
    servers: serverCount,
    clients: clientCount,
    simulatedMs: loop.nowMs,
    events: loop.events,
    faults,
    leaderTerms: checker.terms,
    writes: { acked: count('acked'), unknown: count('unknown'), refused: count('refused') },
    checks: checker.counts,
    finalIndex,
    finalDigest,
  };
}

/** Why the healed cluster is not quiet yet ('' once it is). */
function notQuiet(servers: readonly SimServer[], clients: readonly SimClient[], workload: JobWorkload): string {
  const down = servers.filter((s) => !s.current);
  if (down.length > 0) return `${down.map((s) => s.name).join(',')} not serving`;
  const leaders = servers.filter((s) => s.current!.consensus.isLeader());
  if (leaders.length !== 1) return `${leaders.length} leaders`;
  const l = leaders[0]!.current!;
  if (!l.server.isLeader()) return 'leader duties not running';
  const commit = l.consensus.raft.stats();
  const commitIndex = Number(commit['commit_index']);
  for (const s of servers) {
    const applied = s.current!.consensus.raft.appliedIndexNow;
    if (applied !== commitIndex) return `${s.name} applied ${applied} of ${commitIndex}`;
  }
  if (workload.inFlight > 0) return `${workload.inFlight} job writes in flight`;
  const snap = l.store.snapshot();
  for (const c of clients) {
    if (!c.settled) return `${c.host} has reports not yet acknowledged`;
    const status = snap.nodeByID(c.node.ID)?.Status;
    if (status !== 'ready') return `${c.host} is ${status ?? 'not registered'}`;
  }
  const b = l.server.broker.stats();
  if (b.totalReady + b.totalUnacked + b.totalPending + b.totalWaiting > 0) return `broker busy ${JSON.stringify(b)}`;
  if (l.server.planQueue.size > 0) return 'plans queued';
  const pending = snap.evals('*').filter((e) => e.Status === 'pending');
  if (pending.length > 0) return `${pending.length} evaluations pending`;
  return '';
}

/** The items in a random order (Fisher-Yates). */
function shuffle<T>(items: readonly T[], rng: SeededRng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
