// The faults a seed draws, one at a time at random moments of the fault window: server crashes
// (restarted later, or at once, losing unsynced writes), leader kills, graceful leaves, power
// loss of every server, partitions (random splits, an isolated leader, a client cut from some
// servers), lossy network profiles, and client crashes.
import type { SeededRng } from '../../../src/raft/rng.js';
import { drawFaults, RELIABLE } from '../raft/sim-network.js';
import type { SimCluster } from './sim-cluster.js';
import type { SimServer } from './sim-server.js';
import { OPS_HOST } from './workload.js';

export interface FaultCounts {
  serverCrashes: number;
  leaderKills: number;
  leaves: number;
  powerLosses: number;
  partitions: number;
  lossProfiles: number;
  clientCrashes: number;
}

const FAULT_KINDS = 13;

export class FaultInjector {
  readonly counts: FaultCounts = { serverCrashes: 0, leaderKills: 0, leaves: 0, powerLosses: 0, partitions: 0, lossProfiles: 0, clientCrashes: 0 };

  constructor(
    private readonly cluster: SimCluster,
    private readonly rng: SeededRng,
  ) {}

  /** Faults at random moments in [startMs, endMs). */
  schedule(startMs: number, endMs: number): void {
    for (let t = startMs + this.rng.nextInt(2_000); t < endMs; t += 500 + this.rng.nextInt(2_500)) this.cluster.loop.after(t, () => this.inject());
  }

  /** The end of the faults: the network heals and every host runs again. */
  healAll(): void {
    const { net, note } = this.cluster;
    note('faults end: heal, restart everything');
    net.heal();
    net.faults = { ...RELIABLE };
    for (const s of this.cluster.servers) this.cluster.startServer(s);
    for (const c of this.cluster.clients) c.start();
  }

  private anyUp(): SimServer | undefined {
    const up = this.cluster.servers.filter((s) => s.up);
    return up.length > 0 ? this.rng.pick(up) : undefined;
  }

  private crashThenRestart(victim: SimServer | undefined, why: string, restartAfterMs: number): void {
    if (!victim) return;
    this.cluster.crashServer(victim, why);
    this.counts.serverCrashes++;
    this.cluster.loop.after(restartAfterMs, () => this.cluster.startServer(victim));
  }

  private inject(): void {
    const { cluster, rng, counts } = this;
    const { net, note, loop } = cluster;
    const all = [...cluster.addresses, ...cluster.clients.map((c) => c.host), OPS_HOST];
    switch (rng.nextInt(FAULT_KINDS)) {
      case 0:
      case 1:
        this.crashThenRestart(this.anyUp(), 'crash', 300 + rng.nextInt(8_000));
        break;
      case 2: {
        const l = cluster.leader();
        if (l) counts.leaderKills++;
        this.crashThenRestart(l, 'leader kill', 500 + rng.nextInt(6_000));
        break;
      }
      case 3:
        this.crashThenRestart(this.anyUp(), 'crash and restart', 1 + rng.nextInt(50));
        break;
      case 4: {
        net.heal();
        const shuffled = shuffle(all, rng);
        const cut = 1 + rng.nextInt(shuffled.length - 1);
        net.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
        note(`partition ${shuffled.slice(0, cut).join(',')} | ${shuffled.slice(cut).join(',')}`);
        counts.partitions++;
        break;
      }
      case 5: {
        const l = cluster.leader();
        if (!l) break;
        net.partition([[l.address], all.filter((a) => a !== l.address)]);
        note(`isolate leader ${l.name}`);
        counts.partitions++;
        break;
      }
      case 6:
        net.heal();
        note('heal');
        break;
      case 7:
        net.faults = drawFaults(rng, 20, 30);
        note(`network ${JSON.stringify(net.faults)}`);
        counts.lossProfiles++;
        break;
      case 8:
        net.faults = { ...RELIABLE };
        note('network reliable');
        break;
      case 9: {
        const up = cluster.clients.filter((c) => c.up);
        if (up.length === 0) break;
        const victim = rng.pick(up);
        note(`crash ${victim.host}`);
        victim.crash();
        counts.clientCrashes++;
        loop.after(1_000 + rng.nextInt(15_000), () => victim.start());
        break;
      }
      case 10: {
        const c = rng.pick(cluster.clients);
        for (const a of cluster.addresses) if (rng.chance(0.7)) net.partition([[c.host], [a]]);
        note(`cut ${c.host} from some servers`);
        counts.partitions++;
        break;
      }
      case 11: {
        const up = cluster.servers.filter((s) => s.up && !cluster.hasLeft(s));
        if (up.length <= 1) break;
        const victim = rng.pick(up);
        cluster.leave(victim);
        counts.leaves++;
        loop.after(500, () => cluster.crashServer(victim, 'exit after leaving'));
        loop.after(2_000 + rng.nextInt(6_000), () => cluster.startServer(victim));
        break;
      }
      case 12:
        // Power loss: every server dies at once and comes back from what its disk kept.
        note('all servers crash');
        counts.powerLosses++;
        for (const s of cluster.servers) this.crashThenRestart(s.up ? s : undefined, 'power loss', 100 + rng.nextInt(3_000));
        break;
    }
  }
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
