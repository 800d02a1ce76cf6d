// The node simulator: thousands of simulated client nodes (sim-node.ts) in one process, speaking
// the real RPC to a real cluster over one connection pool, each with its own shuffled server
// list so that their calls spread over the servers as real clients' do.
import { RpcPool } from '../../src/rpc/index.js';
import { ServerFailoverCaller } from '../../src/client/server-caller.js';
import { ServerList } from '../../src/client/server-list.js';
import { newSimStats, SimNode, type SimStats } from './sim-node.js';

/** Nodes per connection pool: their watches, heartbeats and reports stay well under a server's per-connection bound. */
const NODES_PER_POOL = 400;

export interface NodeSimOptions {
  /** The servers' RPC addresses. */
  servers: string[];
  nodes: number;
  region?: string;
  datacenter?: string;
  cpuMhz?: number;
  memoryMB?: number;
  /** Registrations in flight at once while starting. */
  registerConcurrency?: number;
  onRunning?: (allocId: string, atMs: number) => void;
}

export class NodeSim {
  readonly stats: SimStats = newSimStats();
  readonly nodes: SimNode[] = [];
  private readonly pools: RpcPool[] = [];

  constructor(private readonly opts: NodeSimOptions) {
    // Every node keeps a blocking watch open, and a server takes a bounded number of calls in
    // flight per connection: a few hundred nodes share each pool (one connection per server).
    const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    for (let i = 0; i < Math.ceil(opts.nodes / NODES_PER_POOL); i++) this.pools.push(new RpcPool({ logger: silent }));
    for (let i = 0; i < opts.nodes; i++) {
      const servers = new ServerList(opts.servers);
      this.nodes.push(
        new SimNode({
          caller: new ServerFailoverCaller(this.pools[Math.floor(i / NODES_PER_POOL)]!, servers),
          servers,
          region: opts.region ?? 'global',
          datacenter: opts.datacenter ?? 'dc1',
          name: `sim-${i}`,
          cpuMhz: opts.cpuMhz ?? 100_000,
          memoryMB: opts.memoryMB ?? 400_000,
          stats: this.stats,
          ...(opts.onRunning ? { onRunning: opts.onRunning } : {}),
        }),
      );
    }
  }

  /** Resolves once every node has registered. */
  async start(): Promise<void> {
    const queue = [...this.nodes];
    const worker = async (): Promise<void> => {
      for (let n = queue.shift(); n; n = queue.shift()) await n.start();
    };
    await Promise.all(Array.from({ length: this.opts.registerConcurrency ?? 64 }, worker));
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) n.stop();
    await Promise.all(this.pools.map((p) => p.close()));
  }
}
