// What must hold in every run, checked as the run goes (after every event, or at every applied
// entry) and once the cluster has healed and gone quiet:
// - at most one leader per term;
// - every server holds the same state at the same state index (a digest of its tables);
// - no acknowledged job write is lost: a server that applied its index holds the job as that
//   write left it, or as a later write did;
// - no node is ever given more than its capacity (non-terminal allocations in the state);
// - after quiescence, every evaluation is terminal or blocked and tracked by the leader.
import { allocTerminal, type Allocation } from '../../../src/structs/alloc.js';
import { evalTerminal, type Evaluation } from '../../../src/structs/evaluation.js';
import type { Node } from '../../../src/structs/node.js';
import type { StateReader } from '../../../src/state/reader.js';
import type { StateStore } from '../../../src/state/store.js';
import type { Server } from '../../../src/server/server.js';
import { StateDigester } from './state-digest.js';
import type { JobWrite } from './workload.js';

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

export interface CheckCounts {
  leaderChecks: number;
  digestChecks: number;
  ackChecks: number;
  capacityChecks: number;
}

export class ClusterChecker {
  readonly counts: CheckCounts = { leaderChecks: 0, digestChecks: 0, ackChecks: 0, capacityChecks: 0 };
  private readonly leaderOfTerm = new Map<number, string>();
  /** State index -> the digest of the first server seen there. */
  private readonly digests = new Map<number, { digest: string; server: string }>();
  private readonly digester = new StateDigester();

  constructor(private readonly digestEvery: number) {}

  /** At most one leader per term, whoever holds it and whenever. */
  leader(serverId: string, name: string, term: number): void {
    this.counts.leaderChecks++;
    const known = this.leaderOfTerm.get(term);
    if (known === undefined) this.leaderOfTerm.set(term, name);
    else if (known !== name) throw new InvariantViolation(`two leaders in term ${term}: ${known} and ${name} (${serverId})`);
  }

  get terms(): number {
    return this.leaderOfTerm.size;
  }

  /** The state a server holds after an apply or a restore; digested when sampled (always when `force`). */
  state(name: string, store: StateStore, force: boolean): void {
    const index = store.latestIndex();
    if (!force && index % this.digestEvery !== 0) return;
    this.counts.digestChecks++;
    const digest = this.stateDigest(store);
    const seen = this.digests.get(index);
    if (!seen) this.digests.set(index, { digest, server: name });
    else if (seen.digest !== digest) throw new InvariantViolation(`state at index ${index} differs: ${seen.server} has ${seen.digest.slice(0, 12)}, ${name} has ${digest.slice(0, 12)}`);
  }

  stateDigest(store: StateStore): string {
    return this.digester.digest(store.currentTables());
  }

  /**
   * Every acknowledged write at or below `appliedIndex` is in this state: the job as that write
   * left it, or changed by a later write of the workload (a higher JobModifyIndex).
   */
  acknowledged(name: string, snap: StateReader, appliedIndex: number, writes: readonly JobWrite[], issuedGens: ReadonlyMap<string, ReadonlySet<string>>): void {
    for (const w of writes) {
      if (w.outcome !== 'acked' || w.index > appliedIndex) continue;
      this.counts.ackChecks++;
      const job = snap.jobByID('default', w.jobId);
      const where = `${name} (applied ${appliedIndex})`;
      if (!job) throw new InvariantViolation(`acknowledged ${w.kind} of ${w.jobId} at index ${w.index} is lost: ${where} has no such job`);
      const gen = job.Meta?.['gen'] ?? '';
      if (!issuedGens.get(w.jobId)?.has(gen)) throw new InvariantViolation(`${where} holds ${w.jobId} with generation "${gen}" that no write sent`);
      if (job.JobModifyIndex > w.index) continue;
      if (job.JobModifyIndex < w.index && !(w.kind === 'stop' && job.Stop)) {
        throw new InvariantViolation(`acknowledged ${w.kind} of ${w.jobId} at index ${w.index} is lost: ${where} holds it at JobModifyIndex ${job.JobModifyIndex}`);
      }
      if (w.kind === 'register' && (gen !== w.gen || job.Stop)) {
        throw new InvariantViolation(`acknowledged register of ${w.jobId} (${w.gen}) at index ${w.index}: ${where} holds ${gen}${job.Stop ? ' stopped' : ''} at that index`);
      }
      if (w.kind === 'stop' && !job.Stop) throw new InvariantViolation(`acknowledged stop of ${w.jobId} at index ${w.index}: ${where} holds it running`);
    }
  }

  /** No node holds non-terminal allocations whose resources exceed what it offers. */
  capacity(name: string, snap: StateReader): void {
    this.counts.capacityChecks++;
    const used = new Map<string, { cpu: number; memMB: number; allocs: string[] }>();
    for (const a of snap.allocs('*')) {
      if (allocTerminal(a)) continue;
      const u = used.get(a.NodeID) ?? { cpu: 0, memMB: 0, allocs: [] };
      const r = allocResources(a);
      u.cpu += r.cpu;
      u.memMB += r.memMB;
      u.allocs.push(a.ID.slice(0, 8));
      used.set(a.NodeID, u);
    }
    for (const [nodeId, u] of used) {
      const node = snap.nodeByID(nodeId);
      if (!node) continue;
      const cap = nodeCapacity(node);
      if (u.cpu > cap.cpu || u.memMB > cap.memMB) {
        throw new InvariantViolation(`${name}: node ${node.Name} holds ${u.cpu} MHz / ${u.memMB} MB in allocations ${u.allocs.join(',')}, over its ${cap.cpu} MHz / ${cap.memMB} MB`);
      }
    }
  }

  /**
   * After quiescence: every eval is done, or blocked and waiting in the leader's blocked set, and
   * legitimately so: no ready node has room for one more allocation of its job (room that
   * appeared would have released it).
   */
  evaluationsSettled(leader: Server): void {
    const snap = leader.store.snapshot();
    const stuck: string[] = [];
    for (const ev of snap.evals('*')) {
      if (evalTerminal(ev)) continue;
      const what = `${ev.ID.slice(0, 8)} ${ev.JobID} ${ev.Status} (${ev.TriggeredBy}, modify index ${ev.ModifyIndex})`;
      if (ev.Status !== 'blocked' || !leader.blocked.has(ev.ID)) {
        stuck.push(what);
        continue;
      }
      const room = nodeWithRoom(snap, ev);
      if (room) stuck.push(`${what} although ${room}`);
    }
    if (stuck.length > 0) throw new InvariantViolation(`evaluations not processed after quiescence: ${stuck.join('; ')}`);
  }
}

/** A ready, eligible node with room for one allocation of a group the eval could not place, if any. */
function nodeWithRoom(snap: StateReader, ev: Evaluation): string | null {
  const job = snap.jobByID(ev.Namespace, ev.JobID);
  if (!job || job.Stop) return null;
  const failed = Object.keys(ev.FailedTGAllocs ?? {});
  const asks = job.TaskGroups.filter((tg) => failed.length === 0 || failed.includes(tg.Name)).map((tg) => ({
    group: tg.Name,
    cpu: tg.Tasks.reduce((n, t) => n + (t.Resources?.CPU ?? 0), 0),
    memMB: tg.Tasks.reduce((n, t) => n + (t.Resources?.MemoryMB ?? 0), 0),
  }));
  for (const node of snap.nodes()) {
    if (node.Status !== 'ready' || node.SchedulingEligibility !== 'eligible') continue;
    const cap = nodeCapacity(node);
    let freeCpu = cap.cpu;
    let freeMemMB = cap.memMB;
    for (const a of snap.allocsByNode(node.ID)) {
      if (allocTerminal(a)) continue;
      const r = allocResources(a);
      freeCpu -= r.cpu;
      freeMemMB -= r.memMB;
    }
    const fits = asks.find((a) => a.cpu <= freeCpu && a.memMB <= freeMemMB);
    if (fits) return `${node.Name} has room for group ${fits.group} (${freeCpu} MHz, ${freeMemMB} MB free for ${fits.cpu} MHz, ${fits.memMB} MB)`;
  }
  return null;
}

function allocResources(a: Allocation): { cpu: number; memMB: number } {
  let cpu = 0;
  let memMB = 0;
  for (const t of Object.values(a.AllocatedResources?.Tasks ?? {})) {
    cpu += t.Cpu.CpuShares;
    memMB += t.Memory.MemoryMB;
  }
  return { cpu, memMB };
}

function nodeCapacity(n: Node): { cpu: number; memMB: number } {
  const r = n.NodeResources;
  const reserved = n.ReservedResources;
  return {
    cpu: (r?.Cpu.CpuShares ?? 0) - (reserved?.Cpu.CpuShares ?? 0),
    memMB: (r?.Memory.MemoryMB ?? 0) - (reserved?.Memory.MemoryMB ?? 0),
  };
}
