// The scheduler's caches across evaluations (the shared node table's per-node usage sums and its
// "fresh" marks synced to the store's chain of live-allocation changes) must never show a node
// emptier than it is: a deterministic run of many small service jobs on a small, tight cluster,
// against the real state store. Plans are checked as the leader's applier checks them
// (evaluatePlan against the latest snapshot) and committed through the FSM; stops, client
// updates, job updates and node changes are interleaved so that nodes fill and free between
// evaluations. A stale cache would place on a full node and the applier would reject it. The
// applier reads the same node table's per-node sums (not its fresh marks), so the run also checks
// on its own: every node's live allocations summed here from scratch, and every usage the table
// would hand out as fresh compared with the snapshot's list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePlan } from '../../src/server/plan-evaluate.js';
import { planAllocsUpdated } from '../../src/state/alloc-deltas.js';
import { newScheduler, type Planner } from '../../src/scheduler/index.js';
import { nodeTableOf } from '../../src/scheduler/node-table.js';
import { mockEval, mockNode, sequentialIds } from '../unit/scheduler/mock.js';
import { FSM } from '../../src/state/fsm.js';
import type { LogEntry } from '../../src/state/log-entries.js';
import type { StateReader } from '../../src/state/reader.js';
import { StateStore } from '../../src/state/store.js';
import { allocTerminal, type Allocation } from '../../src/structs/alloc.js';
import { canonicalizeJob } from '../../src/structs/canonicalize.js';
import type { Evaluation } from '../../src/structs/evaluation.js';
import type { Job, JobInput } from '../../src/structs/job.js';
import type { Node } from '../../src/structs/node.js';
import type { Plan, PlanResult } from '../../src/structs/plan.js';

const NOW_MS = 1_795_282_745_000;
const NOW_NS = NOW_MS * 1_000_000;

const NODE_COUNT = 30;
const NODE_CPU = 1000;
const NODE_MEM_MB = 1024;
const NODE_DISK_MB = 4000;
/** A narrow dynamic port range, so that ports are a limit too. */
const MIN_PORT = 20000;
const MAX_PORT = 20015;
const STATIC_PORT = 8080;
const JOB_COUNT = 60;

/** A 32-bit LCG (Numerical Recipes constants): the run's choices, the same on every run. */
function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) % n;
  };
}

function clusterNode(i: number): Node {
  const n = mockNode({
    id: `${(Math.imul(i + 1, 2654435761) >>> 0).toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    name: `node-${i}`,
    cpuShares: NODE_CPU,
    memoryMB: NODE_MEM_MB,
    diskMB: NODE_DISK_MB,
    ip: `10.0.${i >> 8}.${i & 255}`,
  });
  return { ...n, NodeResources: { ...n.NodeResources!, MinDynamicPort: MIN_PORT, MaxDynamicPort: MAX_PORT } };
}

interface JobShape {
  count: number;
  cpu: number;
  memMB: number;
  dynamicPorts: number;
  staticPort: boolean;
}

function serviceJob(id: string, s: JobShape): Job {
  const dyn = Array.from({ length: s.dynamicPorts }, (_, i) => ({ Label: `p${i}`, Value: 0, To: 0, HostNetwork: 'default' }));
  const reserved = s.staticPort ? [{ Label: 'web', Value: STATIC_PORT, To: 0, HostNetwork: 'default' }] : [];
  return canonicalizeJob({
    ID: id,
    Name: id,
    Type: 'service',
    Datacenters: ['dc1'],
    TaskGroups: [
      {
        Name: 'app',
        Count: s.count,
        EphemeralDisk: { SizeMB: 300 },
        Networks: [{ DynamicPorts: dyn, ReservedPorts: reserved }],
        Tasks: [{ Name: 'server', Driver: 'raw_exec', Config: { command: '/bin/server' }, Resources: { CPU: s.cpu, MemoryMB: s.memMB } }],
      },
    ],
  } as JobInput);
}

/** What an allocation holds, summed here without the scheduler's or the applier's code. */
function held(a: Allocation): { cpu: number; memMB: number; diskMB: number; ports: number[] } {
  let cpu = 0;
  let memMB = 0;
  const ports = new Set<number>();
  const ar = a.AllocatedResources!;
  assert.ok(ar, `allocation ${a.ID} has AllocatedResources`);
  for (const t of Object.values(ar.Tasks)) {
    cpu += t.Cpu.CpuShares;
    memMB += t.Memory.MemoryMB;
    for (const n of t.Networks ?? []) for (const p of [...(n.ReservedPorts ?? []), ...(n.DynamicPorts ?? [])]) ports.add(p.Value);
  }
  for (const n of ar.Shared.Networks ?? []) for (const p of [...(n.ReservedPorts ?? []), ...(n.DynamicPorts ?? [])]) ports.add(p.Value);
  for (const p of ar.Shared.Ports ?? []) ports.add(p.Value);
  return { cpu, memMB, diskMB: ar.Shared.DiskMB, ports: [...ports] };
}

function liveOn(snap: StateReader, nodeId: string): Allocation[] {
  return snap.allocsByNodeNonTerminal(nodeId).filter((a) => !allocTerminal(a));
}

function sumOf(allocs: readonly Allocation[]): { cpu: number; memMB: number; diskMB: number; ports: number[] } {
  let cpu = 0;
  let memMB = 0;
  let diskMB = 0;
  const ports: number[] = [];
  for (const a of allocs) {
    const h = held(a);
    cpu += h.cpu;
    memMB += h.memMB;
    diskMB += h.diskMB;
    ports.push(...h.ports);
  }
  return { cpu, memMB, diskMB, ports };
}

/** Every node's live allocations fit it, and their ports are distinct and allowed. */
function checkCapacity(snap: StateReader, when: string): void {
  for (const node of snap.nodes()) {
    const u = sumOf(liveOn(snap, node.ID));
    assert.ok(u.cpu <= NODE_CPU, `${when}: ${node.Name} cpu ${u.cpu} > ${NODE_CPU}`);
    assert.ok(u.memMB <= NODE_MEM_MB, `${when}: ${node.Name} memory ${u.memMB} > ${NODE_MEM_MB}`);
    assert.ok(u.diskMB <= NODE_DISK_MB, `${when}: ${node.Name} disk ${u.diskMB} > ${NODE_DISK_MB}`);
    assert.equal(new Set(u.ports).size, u.ports.length, `${when}: ${node.Name} has a port twice: ${[...u.ports].sort().join(',')}`);
    for (const p of u.ports) assert.ok(p === STATIC_PORT || (p >= MIN_PORT && p <= MAX_PORT), `${when}: ${node.Name} port ${p} outside the range`);
  }
}

/**
 * The node table's fresh marks tell the truth: every node the table would hand out without a
 * lookup at this snapshot's change entry has the usage of the snapshot's own list. Returns how
 * many nodes were fresh.
 */
function checkFreshMarks(snap: StateReader, when: string): number {
  const head = snap.liveAllocChanges();
  if (head === null) return 0;
  const table = nodeTableOf(snap);
  let fresh = 0;
  for (let pos = 0; pos < table.size; pos++) {
    const u = table.freshUsageAt(pos, head);
    if (u === undefined) continue;
    fresh++;
    const node = table.nodes[pos]!;
    const want = sumOf(liveOn(snap, node.ID));
    const ports = u.ports === null ? [] : Array.from(u.ports);
    assert.deepEqual(
      { cpu: u.cpu, memMB: u.memMB, diskMB: u.diskMB, ports, portCount: u.portCount },
      { cpu: want.cpu, memMB: want.memMB, diskMB: want.diskMB, ports: [...new Set(want.ports)].sort((a, b) => a - b), portCount: new Set(want.ports).size },
      `${when}: fresh usage of ${node.Name} is stale`,
    );
  }
  return fresh;
}

/** The leader's side of a plan, without consensus: checked against the latest state, committed by the FSM. */
class CheckingPlanner implements Planner {
  plans = 0;
  placed = 0;
  stopped = 0;
  readonly rejections: Array<{ evalId: string; nodes: Record<string, string> }> = [];
  /** Blocked evaluations by job, the newest kept. */
  readonly blocked = new Map<string, Evaluation>();
  blockedCreated = 0;

  constructor(
    private readonly store: StateStore,
    private readonly fsm: FSM,
  ) {}

  apply(entry: LogEntry): number {
    const index = this.store.latestIndex() + 1;
    this.fsm.apply(index, entry);
    return index;
  }

  async submitPlan(plan: Plan): Promise<{ result: PlanResult; newState: StateReader | null }> {
    this.plans++;
    const snap = this.store.snapshot();
    const { result, entry, rejections } = evaluatePlan(snap, plan, NOW_NS);
    if (result.RejectedNodes.length > 0) this.rejections.push({ evalId: plan.EvalID, nodes: rejections });
    if (entry) {
      this.placed += planAllocsUpdated(entry).filter((a) => snap.allocByID(a.ID) === null).length;
      result.AllocIndex = this.apply(entry);
      this.stopped += entry.AllocsStopped.length;
    }
    return { result, newState: result.RejectedNodes.length > 0 ? this.store.snapshot() : null };
  }

  async updateEval(ev: Evaluation): Promise<void> {
    this.apply({ Type: 'EvalUpsert', Evals: [ev] });
  }

  async createEval(ev: Evaluation): Promise<void> {
    if (ev.Status === 'blocked') {
      this.blocked.set(ev.JobID, ev);
      this.blockedCreated++;
    }
    this.apply({ Type: 'EvalUpsert', Evals: [ev] });
  }

  async reblockEval(ev: Evaluation): Promise<void> {
    this.blocked.set(ev.JobID, ev);
    this.apply({ Type: 'EvalUpsert', Evals: [ev] });
  }
}

test('scheduler caches never let evaluations overcommit a tight cluster (store, applier, FSM)', async () => {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  const planner = new CheckingPlanner(store, fsm);
  const ids = sequentialIds(0x5eed);
  const rnd = lcg(0xc0ffee);

  const nodes: Node[] = [];
  for (let i = 0; i < NODE_COUNT; i++) nodes.push(clusterNode(i));
  for (const n of nodes) planner.apply({ Type: 'NodeRegister', Node: n, TimestampNs: NOW_NS });

  let freshSeen = 0;
  let evalsRun = 0;
  const shapes = new Map<string, JobShape>();
  const live: string[] = [];

  const run = async (ev: Evaluation, what: string): Promise<void> => {
    const snap = store.snapshot();
    // Sync the shared table to this snapshot as the eval will, and check what it would trust.
    nodeTableOf(snap).syncTo(snap.liveAllocChanges());
    freshSeen += checkFreshMarks(snap, `before ${what}`);
    await newScheduler('service', snap, planner, { nowMs: () => NOW_MS, generateId: ids }).process(ev);
    evalsRun++;
    // The marks this eval set, for the snapshot it planned on.
    freshSeen += checkFreshMarks(snap, `after ${what}`);
    checkCapacity(store.snapshot(), `after ${what}`);
    assert.deepEqual(planner.rejections, [], `after ${what}: the applier rejected nodes`);
  };

  const register = async (id: string, shape: JobShape, what: string): Promise<void> => {
    shapes.set(id, shape);
    const evalId = ids();
    planner.apply({ Type: 'JobRegister', Job: serviceJob(id, shape), Eval: mockEval(serviceJob(id, shape), 'job-register', { ID: evalId }), SubmitTimeNs: NOW_NS });
    await run(store.snapshot().evalByID(evalId)!, what);
  };

  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;

  for (let step = 0; step < JOB_COUNT; step++) {
    const id = `job-${String(step).padStart(3, '0')}`;
    await register(
      id,
      { count: 1 + rnd(5), cpu: 150 + 50 * rnd(6), memMB: 64 * (1 + rnd(4)), dynamicPorts: 1 + rnd(2), staticPort: step % 8 === 5 },
      `register ${id}`,
    );
    live.push(id);

    if (step % 4 === 3 && live.length > 3) {
      const victim = pick(live.slice(0, -1));
      switch ((step >> 2) % 3) {
        case 0: {
          // The job is stopped: its eval stops every allocation.
          live.splice(live.indexOf(victim), 1);
          const evalId = ids();
          planner.apply({
            Type: 'JobDeregister',
            Namespace: 'default',
            JobID: victim,
            Purge: false,
            Eval: mockEval(serviceJob(victim, shapes.get(victim)!), 'job-deregister', { ID: evalId }),
            SubmitTimeNs: NOW_NS,
          });
          await run(store.snapshot().evalByID(evalId)!, `deregister ${victim}`);
          assert.equal(store.snapshot().allocsByJob('default', victim, true).filter((a) => !allocTerminal(a)).length, 0, `${victim} stopped`);
          break;
        }
        case 1: {
          // Clients report some allocations finished: their nodes free room with no eval.
          // (Failed allocations and their delayed reschedules are the test below.)
          const allocs = store.snapshot().allocsByJob('default', victim, false).filter((a) => !allocTerminal(a));
          const done = allocs.filter((_, i) => i % 2 === 0);
          if (done.length > 0) {
            planner.apply({
              Type: 'AllocClientUpdate',
              Updates: done.map((a) => ({ ID: a.ID, ClientStatus: 'complete', ClientDescription: '', TaskStates: {}, DeploymentStatus: null })),
              Evals: [],
              TimestampNs: NOW_NS,
            });
          }
          // The others start running (a write naming their nodes that changes no usage).
          const running = allocs.filter((_, i) => i % 2 === 1);
          if (running.length > 0) {
            planner.apply({
              Type: 'AllocClientUpdate',
              Updates: running.map((a) => ({ ID: a.ID, ClientStatus: 'running', ClientDescription: '', TaskStates: {}, DeploymentStatus: null })),
              Evals: [],
              TimestampNs: NOW_NS,
            });
          }
          break;
        }
        case 2: {
          // A new version: other size and count (a destructive update, stops and placements in one plan).
          const old = shapes.get(victim)!;
          const count = Math.max(1, old.count + pick([-2, -1, 1, 2]));
          await register(victim, { ...old, count, cpu: 100 + 50 * rnd(5), memMB: 64 * (1 + rnd(4)) }, `update ${victim}`);
          break;
        }
      }
    }

    // Capacity freed: the blocked evaluations of live jobs run again.
    if (step % 6 === 5) {
      for (const [jobId, ev] of [...planner.blocked]) {
        planner.blocked.delete(jobId);
        if (live.includes(jobId)) await run(ev, `blocked eval of ${jobId}`);
      }
    }

    // Node changes: the node table is rebuilt and starts without marks.
    if (step === 20) planner.apply({ Type: 'NodeRegister', Node: clusterNode(NODE_COUNT), TimestampNs: NOW_NS });
    if (step === 35) planner.apply({ Type: 'NodeUpdateEligibility', NodeID: nodes[5]!.ID, Eligibility: 'ineligible', Event: null, Evals: [] });
    if (step === 45) planner.apply({ Type: 'NodeUpdateEligibility', NodeID: nodes[5]!.ID, Eligibility: 'eligible', Event: null, Evals: [] });
  }

  const snap = store.snapshot();
  assert.deepEqual(planner.rejections, [], 'evaluatePlan never rejected a node');
  checkCapacity(snap, 'at the end');

  // The run did what it is meant to test: many plans, a cluster filled up and freed, and the
  // cross-eval marks in use.
  assert.ok(evalsRun >= JOB_COUNT, `evals run: ${evalsRun}`);
  assert.ok(planner.plans >= JOB_COUNT * 0.8, `plans: ${planner.plans}`);
  assert.ok(planner.placed > 100, `placed: ${planner.placed}`);
  assert.ok(planner.stopped > 10, `stopped: ${planner.stopped}`);
  assert.ok(planner.blockedCreated > 0, 'the cluster was full at some point (blocked evaluations)');
  assert.ok(freshSeen > 0, 'the node table handed out fresh usages');
  const usedCpu = snap.nodes().map((n) => sumOf(liveOn(snap, n.ID)).cpu);
  assert.ok(usedCpu.filter((c) => c >= NODE_CPU * 0.7).length >= 5, `nodes at 70% cpu or more: ${usedCpu.join(',')}`);
  const portsUsed = snap.nodes().map((n) => sumOf(liveOn(snap, n.ID)).ports.length);
  assert.ok(Math.max(...portsUsed) >= 8, `the port range was exercised: ${portsUsed.join(',')}`);
  // The static port went to distinct nodes per job (and never twice on a node, checked above).
  assert.ok(snap.allocs().some((a) => !allocTerminal(a) && held(a).ports.includes(STATIC_PORT)), 'static ports were placed');
});

// A failed allocation whose reschedule is delayed is written again with its FollowupEvalID (an
// update in the plan's NodeAllocation). It holds nothing any more, so once another allocation
// took its ports the applier must not count them against the node (as Nomad's AllocsFit skips
// client-terminal allocations); counting them rejected the node on every attempt.
test(
  'a delayed reschedule of a failed allocation whose ports were reused is not rejected',
  async () => {
    const store = new StateStore({ freezeObjects: true });
    const fsm = new FSM(store);
    const planner = new CheckingPlanner(store, fsm);
    const ids = sequentialIds(0xfa11);
    const node = clusterNode(0);
    // One dynamic port on the node: the second job can only get the first one's port.
    planner.apply({ Type: 'NodeRegister', Node: { ...node, NodeResources: { ...node.NodeResources!, MinDynamicPort: MIN_PORT, MaxDynamicPort: MIN_PORT } }, TimestampNs: NOW_NS });
    const shape: JobShape = { count: 1, cpu: 100, memMB: 64, dynamicPorts: 1, staticPort: false };
    const schedule = async (jobId: string, trigger: string): Promise<void> => {
      const evalId = ids();
      const job = store.snapshot().jobByID('default', jobId) ?? serviceJob(jobId, shape);
      planner.apply({ Type: 'EvalUpsert', Evals: [mockEval(job, trigger, { ID: evalId })] });
      await newScheduler('service', store.snapshot(), planner, { nowMs: () => NOW_MS, generateId: ids, maxPlanAttempts: 2 }).process(store.snapshot().evalByID(evalId)!);
    };

    planner.apply({ Type: 'JobRegister', Job: serviceJob('first', shape), Eval: null, SubmitTimeNs: NOW_NS });
    await schedule('first', 'job-register');
    const [failed] = store.snapshot().allocsByJob('default', 'first', true);
    assert.ok(failed, 'first placed');
    assert.deepEqual(held(failed).ports, [MIN_PORT]);
    planner.apply({
      Type: 'AllocClientUpdate',
      Updates: [{ ID: failed.ID, ClientStatus: 'failed', ClientDescription: '', TaskStates: {}, DeploymentStatus: null }],
      Evals: [],
      TimestampNs: NOW_NS,
    });
    // The deployment is over, so the failure is the scheduler's to reschedule (not the watcher's).
    const deployment = store.snapshot().latestDeploymentByJob('default', 'first');
    assert.ok(deployment, 'first has a deployment');
    planner.apply({ Type: 'DeploymentStatus', DeploymentID: deployment.ID, Status: 'failed', StatusDescription: 'failed by test', Job: null, Eval: null, TimestampNs: NOW_NS });

    planner.apply({ Type: 'JobRegister', Job: serviceJob('second', shape), Eval: null, SubmitTimeNs: NOW_NS });
    await schedule('second', 'job-register');
    const [second] = store.snapshot().allocsByJob('default', 'second', true);
    assert.ok(second, 'second placed on the port the failed allocation freed');
    assert.deepEqual(held(second).ports, [MIN_PORT]);
    assert.deepEqual(planner.rejections, []);

    await schedule('first', 'alloc-failure');
    assert.deepEqual(planner.rejections, [], 'the applier rejected the node');
    assert.notEqual(store.snapshot().allocByID(failed.ID)!.FollowupEvalID, '', 'the delayed reschedule was recorded');
    checkCapacity(store.snapshot(), 'at the end');
  },
);
