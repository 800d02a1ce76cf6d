// One seed, one run: a cluster of 3 or 5 servers (plus a spare that may join)
// under a fault schedule drawn from the seed, then a healed period in which a
// leader must emerge and a proposal must commit within a bound of ticks.
// Everything derives from the seed, so a failing seed replays exactly.
import { isVoter, voters } from '../../../src/raft/configuration.js';
import type { MembershipChange } from '../../../src/raft/configuration.js';
import { SeededRng } from '../../../src/raft/rng.js';
import type { Configuration, ServerId } from '../../../src/raft/types.js';
import { ClockedEventQueue } from '../event-queue.js';
import { checkOperations, kvModel } from './linearizability.js';
import { SafetyChecker } from './safety-checker.js';
import { RELIABLE, SimNetwork, drawFaults } from './sim-network.js';
import type { SimNodeParams } from './sim-node.js';
import { SimNode } from './sim-node.js';
import { History, SimClient } from './workload.js';

export interface SeedResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly servers: number;
  readonly simulatedMs: number;
  readonly faults: number;
  readonly crashes: number;
  readonly elections: number;
  readonly acknowledged: number;
  readonly unknown: number;
  readonly commitIndex: number;
  readonly livenessTicks: number;
  readonly messages: number;
  readonly restoresAcknowledged: number;
  readonly rollbacks: number;
}

const TICK_MS = 10;
const FAULT_START_MS = 200;
const FAULT_END_MS = 2200;
/** After healing, a leader and a committed proposal must appear within this many ticks. */
export const LIVENESS_BOUND_TICKS = 300;
const WORKLOAD_KEYS = 3;

export type TraceSink = (line: string) => void;

export function runSeed(seed: number, trace?: TraceSink): SeedResult {
  const rng = new SeededRng(seed);
  const queue = new ClockedEventQueue();
  const network = new SimNetwork(queue, rng.fork());
  const checker = new SafetyChecker();
  const serverCount = rng.chance(0.5) ? 3 : 5;
  const params: SimNodeParams = {
    tickMs: TICK_MS,
    electionTimeoutTicks: 10,
    heartbeatIntervalTicks: 1 + rng.nextInt(2),
    minDiskLatencyMs: 0,
    maxDiskLatencyMs: 1 + rng.nextInt(4),
    snapshotThresholdEntries: 5 + rng.nextInt(60),
    trailingLogs: 1 + rng.nextInt(20),
    maxEntriesPerAppend: 1 + rng.nextInt(16),
    maxInflightAppends: 1 + rng.nextInt(8),
  };
  const nodes = new Map<ServerId, SimNode>();
  const ctx = { queue, network, checker, rng, params, node: (id: ServerId) => nodes.get(id) };
  const ids: ServerId[] = [];
  for (let i = 1; i <= serverCount + 1; i++) ids.push(`n${i}`);
  for (const id of ids) nodes.set(id, new SimNode(id, ctx, seed * 31 + ids.indexOf(id)));
  const initial: Configuration = { servers: ids.slice(0, serverCount).map((id) => ({ id, address: id, suffrage: 'voter' as const })) };
  for (const id of ids) (nodes.get(id) as SimNode).start(id === ids[ids.length - 1] ? null : initial);

  const history = new History();
  history.trace = trace;
  const clients: SimClient[] = [];
  for (let c = 0; c < 3; c++) {
    clients.push(new SimClient(c, ids, (id) => nodes.get(id), queue, network, rng.fork(), { clients: 3, keys: WORKLOAD_KEYS, requestTimeoutMs: 150, thinkTimeMs: 15 }, history));
  }
  for (const c of clients) c.start();

  let faults = 0;
  let restores = 0;
  let restoresAcknowledged = 0;
  const leaderNode = (): SimNode | undefined => {
    let best: SimNode | undefined;
    for (const n of nodes.values()) {
      if (n.core?.currentRole === 'leader' && (!best || (n.core.currentTerm > (best.core?.currentTerm ?? 0)))) best = n;
    }
    return best;
  };
  const crashed = (): SimNode[] => [...nodes.values()].filter((n) => !n.up);

  const injectFault = (): void => {
    faults++;
    const kind = rng.nextInt(13);
    trace?.(`${queue.nowMs}ms fault ${kind}`);
    const live = ids.filter((id) => nodes.get(id)?.up);
    switch (kind) {
      case 0: { // symmetric partition, random split
        network.healAll();
        const shuffled = ids.slice().sort(() => rng.nextInt(3) - 1);
        const cut = 1 + rng.nextInt(ids.length - 1);
        network.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
        break;
      }
      case 1: { // isolate the leader
        const l = leaderNode();
        if (l) network.partition([[l.id], ids.filter((x) => x !== l.id)]);
        break;
      }
      case 2: { // asymmetric: one node can send but not receive (or the reverse)
        const victim = rng.pick(ids);
        const inbound = rng.chance(0.5);
        for (const other of ids) if (other !== victim) inbound ? network.block(other, victim) : network.block(victim, other);
        break;
      }
      case 3: { // bridge: two halves that only one node connects
        network.healAll();
        const bridge = rng.pick(ids);
        const rest = ids.filter((x) => x !== bridge);
        const half = Math.floor(rest.length / 2);
        network.partition([rest.slice(0, half), rest.slice(half)]);
        break;
      }
      case 4:
        network.healAll();
        break;
      case 5:
      case 6: { // crash a node, restart it later
        if (live.length === 0) break;
        const victim = rng.chance(0.4) ? (leaderNode()?.id ?? rng.pick(live)) : rng.pick(live);
        (nodes.get(victim) as SimNode).crash();
        const downMs = 20 + rng.nextInt(400);
        queue.after(downMs, () => {
          const n = nodes.get(victim) as SimNode;
          if (!n.up) n.start(null);
        });
        break;
      }
      case 7: { // message-level faults
        network.faults = drawFaults(rng, 25, 20);
        break;
      }
      case 8:
      case 9: { // membership change through the leader
        const l = leaderNode();
        if (!l?.core) break;
        const config = l.core.latestConfiguration().config;
        const vs = voters(config);
        const spare = ids.find((id) => !config.servers.some((s) => s.id === id));
        const nonvoter = config.servers.find((s) => s.suffrage === 'nonvoter');
        let change: MembershipChange | null = null;
        if (nonvoter && rng.chance(0.7)) change = { op: 'promote', id: nonvoter.id };
        else if (spare && rng.chance(0.6)) change = { op: 'add', id: spare, address: spare, suffrage: rng.chance(0.7) ? 'nonvoter' : 'voter' };
        else if (vs.length > 3) change = { op: 'remove', id: rng.pick(vs) };
        else if (nonvoter) change = { op: 'remove', id: nonvoter.id };
        if (change) l.changeMembership(change);
        break;
      }
      case 10: { // leadership transfer
        leaderNode()?.transferLeadership();
        break;
      }
      case 12: { // an operator restores a backup through the leader
        const l = leaderNode();
        if (!l?.core) break;
        restores++;
        const kv: [string, string][] = Array.from({ length: WORKLOAD_KEYS }, (_, k) => [`k${k}`, `restore${restores}-${k}`]);
        // Sometimes the backup was taken further along than this cluster's log.
        const minIndex = rng.chance(0.5) ? 0 : l.core.log.lastIndex() + rng.nextInt(40);
        const call = history.now();
        const at = history.ops.length;
        for (const [key, value] of kv) history.ops.push({ clientId: 100 + restores, input: { kind: 'put', key, value }, output: null, call, ret: Infinity });
        const started = l.restore(kv, minIndex, (outcome) => {
          if (outcome !== 'ok') return;
          const ret = history.now();
          for (let i = 0; i < kv.length; i++) history.ops[at + i] = { ...(history.ops[at + i] as (typeof history.ops)[number]), ret };
          restoresAcknowledged++;
        });
        if (!started) history.ops.length = at;
        trace?.(`${queue.nowMs}ms restore through ${l.id} at min ${minIndex}: ${started ? 'started' : 'refused'}`);
        break;
      }
      case 11: { // crash and restart at once (loses what was not synced)
        if (live.length === 0) break;
        const victim = nodes.get(rng.pick(live)) as SimNode;
        victim.crash();
        victim.start(null);
        break;
      }
    }
  };

  const scheduleFaults = (): void => {
    let t = FAULT_START_MS;
    while (true) {
      t += 30 + rng.nextInt(250);
      if (t >= FAULT_END_MS) break;
      queue.at(t, injectFault);
    }
  };
  scheduleFaults();

  const lastTrace = new Map<ServerId, string>();
  let livenessTicks = -1;
  let error: string | undefined;
  const endMs = FAULT_END_MS + LIVENESS_BOUND_TICKS * TICK_MS;
  let markerIndex = 0;
  let markerTerm = 0;
  let markerDoneMs = -1;

  queue.at(FAULT_END_MS, () => {
    network.healAll();
    network.faults = { ...RELIABLE };
    for (const n of crashed()) n.start(null);
  });

  const membersCaughtUp = (): boolean => {
    const l = leaderNode();
    if (!l?.core) return false;
    const config = l.core.committedConfiguration().config;
    for (const s of config.servers) {
      const n = nodes.get(s.id);
      if (!n?.up || n.applied < markerIndex) return false;
    }
    return true;
  };

  try {
    while (queue.runNext(endMs + 1000)) {
      for (const n of nodes.values()) if (n.core) checker.observe(n.id, n.core);
      if (trace) traceStates(trace, queue.nowMs, nodes, lastTrace);
      if (queue.nowMs < FAULT_END_MS || markerDoneMs >= 0) {
        if (markerDoneMs >= 0 && queue.nowMs > markerDoneMs + 300) break;
        continue;
      }
      if (queue.nowMs > endMs) {
        throw new Error(`liveness: no committed proposal on all members within ${LIVENESS_BOUND_TICKS} ticks of healing (marker index ${markerIndex})`);
      }
      const l = leaderNode();
      const markerTermNow = l?.core?.log.term(markerIndex);
      const markerLost = markerIndex > 0 && l?.core !== undefined && l.core !== null && l.core.commitIndex >= markerIndex &&
        markerTermNow !== undefined && markerTermNow !== markerTerm;
      if (markerIndex === 0 || markerLost) {
        if (l && l.core && l.core.log.term(l.core.commitIndex) === l.core.currentTerm) {
          const r = l.propose({ key: 'marker', value: `m${queue.nowMs}` }, () => undefined);
          if (r.ok) {
            markerIndex = r.index;
            markerTerm = r.term;
          }
        }
      } else if (membersCaughtUp()) {
        markerDoneMs = queue.nowMs;
        livenessTicks = Math.ceil((queue.nowMs - FAULT_END_MS) / TICK_MS);
        for (const c of clients) c.stop();
      }
    }
    if (markerDoneMs < 0) throw new Error('liveness: simulation ended before the marker committed');
    for (const n of nodes.values()) {
      if (n.core && isVoter(n.core.latestConfiguration().config, n.id) && n.core.currentRole === 'leader') checker.observe(n.id, n.core);
    }
    const verdict = checkOperations(kvModel, history.ops);
    if (verdict !== 'ok') {
      const keys = [...new Set(history.ops.map((o) => o.input.key))].filter((k) => checkOperations(kvModel, history.ops.filter((o) => o.input.key === k)) !== 'ok');
      throw new Error(`linearizability: history of ${history.ops.length} operations is ${verdict} (keys ${keys.join(', ')})`);
    }
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  let commitIndex = 0;
  let crashes = 0;
  let rollbacks = 0;
  for (const n of nodes.values()) {
    commitIndex = Math.max(commitIndex, n.core?.commitIndex ?? 0);
    crashes += n.crashes;
    rollbacks += n.rollbacks;
  }
  return {
    seed,
    ok: error === undefined,
    ...(error !== undefined ? { error } : {}),
    servers: serverCount,
    simulatedMs: queue.nowMs,
    faults,
    crashes,
    elections: checker.leaderElections,
    acknowledged: history.acknowledged,
    unknown: history.unknown,
    commitIndex,
    livenessTicks,
    messages: network.delivered,
    restoresAcknowledged,
    rollbacks,
  };
}

function traceStates(trace: TraceSink, nowMs: number, nodes: Map<ServerId, SimNode>, last: Map<ServerId, string>): void {
  for (const n of nodes.values()) {
    const c = n.core;
    const line = c
      ? `${c.currentRole}${c.isPreCandidate ? '(pre)' : ''} term=${c.currentTerm} leader=${c.leader} commit=${c.commitIndex} last=${c.log.lastIndex()}/${c.log.lastTerm()} stable=${c.log.stableIndex} applied=${n.applied} cfg=${c.latestConfiguration().config.servers.map((s) => s.id + (s.suffrage === 'voter' ? '' : '~')).join(',')}`
      : 'down';
    if (last.get(n.id) !== line) {
      last.set(n.id, line);
      trace(`${nowMs}ms ${n.id} ${line}`);
    }
  }
}
