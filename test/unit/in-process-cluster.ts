// Real servers (Server, FSM, StateStore, RaftConsensus over memory stores) in one process: Raft
// over the library's MemNetwork, server-to-server calls delivered straight to the target's
// rpcHandlers(), and a scripted gossip view. For tests of cluster behaviour that need no sockets.
import { MemNetwork, memoryStores } from '../../src/raft/index.js';
import { RaftConsensus } from '../../src/server/consensus-raft.js';
import { NomadError } from '../../src/structs/errors.js';
import type { PeerRpc } from '../../src/server/forwarding.js';
import { silentLogger } from '../../src/server/logger.js';
import { Server } from '../../src/server/server.js';
import type { ServerMember, ServerMembership, ServerMemberStatus } from '../../src/server/server-members.js';
import { FSM } from '../../src/state/fsm.js';
import { StateStore } from '../../src/state/store.js';
import type { Metrics } from '../../src/structs/metrics.js';

/** The gossip pool as a test scripts it: members and their status, with change notifications. */
export class ScriptedMembership implements ServerMembership {
  private readonly list = new Map<string, ServerMember>();
  private readonly listeners = new Set<() => void>();

  members(): ServerMember[] {
    return [...this.list.values()];
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(m: ServerMember): void {
    this.list.set(m.name, m);
    for (const l of [...this.listeners]) l();
  }

  status(name: string, status: ServerMemberStatus): void {
    const m = this.list.get(name);
    if (m) this.set({ ...m, status });
  }
}

export interface TestServer {
  name: string;
  id: string;
  addr: string;
  server: Server;
  consensus: RaftConsensus;
  store: StateStore;
  up: boolean;
}

export class InProcessCluster {
  readonly network = new MemNetwork();
  readonly membership = new ScriptedMembership();
  readonly servers = new Map<string, TestServer>();

  /** Calls from one server to another: delivered to the target's handlers when it is up. */
  private peersFor(): PeerRpc {
    return {
      call: async <T>(addr: string, method: string, args: unknown): Promise<T> => {
        const target = [...this.servers.values()].find((s) => s.addr === addr && s.up);
        if (!target) throw Object.assign(new Error(`connect ${addr}: refused`), { code: 'connect' });
        const handler = target.server.rpcHandlers()[method];
        if (!handler) throw new NomadError('bad_request', `unknown method ${method}`);
        // A copy, as a wire would make: no object is shared between two servers.
        return structuredClone(await handler(structuredClone(args))) as T;
      },
    };
  }

  async add(name: string, opts: { bootstrapExpect?: number; autopilotIntervalMs?: number; metrics?: Metrics; aclEnabled?: boolean } = {}): Promise<TestServer> {
    const id = `00000000-0000-4000-8000-${String(this.servers.size + 1).padStart(12, '0')}`;
    const addr = `${name}:4647`;
    const store = new StateStore();
    const metrics = opts.metrics ? { metrics: opts.metrics } : {};
    const fsm = new FSM(store, metrics);
    const consensus = await RaftConsensus.open({ fsm, serverId: id, transport: this.network.connect(addr), stores: memoryStores(), logger: silentLogger, raftMultiplier: 1, ...metrics });
    const server = new Server({
      region: 'global',
      datacenter: 'dc1',
      nodeName: name,
      store,
      applied: fsm,
      consensus,
      rpcAddr: addr,
      numSchedulers: 1,
      peers: this.peersFor(),
      holdTimeoutMs: 3_000,
      cluster: { membership: this.membership, bootstrapExpect: opts.bootstrapExpect ?? 0, autopilotIntervalMs: opts.autopilotIntervalMs ?? 50 },
      aclEnabled: opts.aclEnabled ?? false,
      ...metrics,
    });
    const s: TestServer = { name, id, addr, server, consensus, store, up: true };
    this.servers.set(name, s);
    server.start();
    this.membership.set({ name: `${name}.global`, id, region: 'global', datacenter: 'dc1', rpcAddr: addr, status: 'alive', bootstrapExpect: opts.bootstrapExpect ?? 0, build: 'test' });
    return s;
  }

  /** Stops a server as a crash would (its peers see it unreachable; gossip still says alive). */
  async crash(name: string): Promise<void> {
    const s = this.servers.get(name)!;
    s.up = false;
    this.network.detach(s.addr);
    await s.server.shutdown();
    await s.consensus.shutdown();
  }

  leader(): TestServer | undefined {
    return [...this.servers.values()].find((s) => s.up && s.consensus.isLeader());
  }

  async shutdown(): Promise<void> {
    for (const s of this.servers.values()) if (s.up) await this.crash(s.name);
  }
}

/** Polls `check` (every few ms, bounded) until it returns something other than undefined. */
export async function eventually<T>(what: string, check: () => T | undefined, boundMs = 10_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
