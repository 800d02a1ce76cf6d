// One seed, one run of the whole server side: 3 or 5 real servers bootstrapped through
// bootstrap_expect from the gossip pool, simulated client nodes and an operator's job writes,
// under faults drawn from the seed (faults.ts: crashes and restarts that lose unsynced writes,
// leader kills, graceful leaves, power loss, partitions, message loss, delay and duplication,
// clients that die and come back). The
// invariants are checked as the run goes; then the faults stop, everything heals, and once the
// cluster is quiet the end state is checked. Everything derives from the seed, so a failing
// seed replays exactly.
import { SeededRng } from '../../../src/raft/rng.js';
import { ClusterChecker, InvariantViolation, type CheckCounts } from './checkers.js';
import { FaultInjector, type FaultCounts } from './faults.js';
import { notQuiet } from './quiescence.js';
import { RealTimeGuard } from './real-time-guard.js';
import { SimCluster } from './sim-cluster.js';
import type { SimServer, SimServerParams } from './sim-server.js';

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
const DEFAULT_FAULT_WINDOW_MS = 10_000;
const LOG_TAIL_LINES = 60;
const QUIET_CHECK_MS = 50;
/** How long the healed cluster must stay quiet, its state unchanged, before the end checks. */
const QUIET_HOLD_MS = 500;
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
  const logTail: string[] = [];
  // Five servers cost about twice the events of three: one seed in three runs five.
  const serverCount = opts.servers ?? (rng.chance(1 / 3) ? 5 : 3);
  const params: SimServerParams = {
    bootstrapExpect: serverCount,
    snapshotThresholdEntries: 16 + rng.nextInt(100),
    trailingLogs: 2 + rng.nextInt(30),
    snapshotIntervalMs: 5_000,
    numSchedulers: 1 + rng.nextInt(2),
    disk: opts.lyingDisks ? { minFsyncMs: 200, maxFsyncMs: 3_000, liesAboutSync: true } : { minFsyncMs: 0, maxFsyncMs: 1 + rng.nextInt(8) },
  };
  const checker = new ClusterChecker(opts.digestEvery ?? 1);
  const note = (line: string): void => {
    const stamped = `${(cluster.loop.nowMs / 1000).toFixed(3)}s ${line}`;
    logTail.push(stamped);
    if (logTail.length > LOG_TAIL_LINES) logTail.shift();
    opts.trace?.(stamped);
  };
  const cluster: SimCluster = new SimCluster({ servers: serverCount, clients: 2 + rng.nextInt(3), params }, rng, checker, note, opts.debugLogs === true);
  const { loop, servers, workload } = cluster;
  const faults = new FaultInjector(cluster, rng.fork());
  const faultEndMs = FAULT_START_MS + (opts.faultWindowMs ?? DEFAULT_FAULT_WINDOW_MS);
  const quietBoundMs = opts.quietBoundMs ?? 60_000;

  for (const s of servers) loop.after(rng.nextInt(100), () => cluster.startServer(s));
  for (const c of cluster.clients) loop.after(500 + rng.nextInt(1_000), () => c.start());
  loop.after(1_500, () => workload.start());
  faults.schedule(FAULT_START_MS, faultEndMs);
  loop.after(faultEndMs, () => {
    workload.stop();
    faults.healAll();
  });

  let quietAtMs = -1;
  let nextQuietCheckMs = faultEndMs;
  let lastWhy = '';
  let quietIndex = -1;
  let quietSinceMs = 0;
  const endMs = faultEndMs + quietBoundMs;
  const lastApplied = new Map<SimServer, number>();
  let error: string | undefined;
  let finalIndex = 0;
  let finalDigest = '';
  try {
    let secondEndsMs = 1_000;
    let eventsAtSecondStart = 0;
    while (await loop.step(endMs)) {
      if (cluster.violation) throw cluster.violation;
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
      const why = notQuiet(cluster);
      if (why !== lastWhy) {
        lastWhy = why;
        if (why) note(`waiting: ${why}`);
      }
      // Quiet means nothing left to do and nothing written for a while: a leader duty's last write
      // (a duplicate blocked eval cancelled, say) may still be on its way through the log.
      const index = why ? -1 : cluster.leader()!.current!.store.latestIndex();
      if (index !== quietIndex) {
        quietIndex = index;
        quietSinceMs = loop.nowMs;
      } else if (index >= 0 && loop.nowMs - quietSinceMs >= QUIET_HOLD_MS) {
        quietAtMs = loop.nowMs;
        break;
      }
    }
    if (quietAtMs < 0) throw new InvariantViolation(`not quiet ${quietBoundMs} ms after healing: ${lastWhy}`);
    // The end state: every server at the same index with the same state, nothing acknowledged
    // missing, nothing over capacity, every evaluation processed.
    const l = cluster.leader()!;
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
    clients: cluster.clients.length,
    simulatedMs: loop.nowMs,
    events: loop.events,
    faults: faults.counts,
    leaderTerms: checker.terms,
    writes: { acked: count('acked'), unknown: count('unknown'), refused: count('refused') },
    checks: checker.counts,
    finalIndex,
    finalDigest,
  };
}
