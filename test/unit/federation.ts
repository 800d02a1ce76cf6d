// Regions in one process, each a real server (state store, FSM, the single-node log) with its
// own RPC listener on loopback and its HTTP API on a free port, all in one scripted gossip view:
// requests and calls between regions travel over real sockets exactly as between agents.
import { request } from 'node:http';
import { StateStore } from '../../src/state/store.js';
import type { TableName } from '../../src/state/reader.js';
import { FSM } from '../../src/state/fsm.js';
import { InMemoryConsensus } from '../../src/server/consensus-memory.js';
import { Server } from '../../src/server/server.js';
import { TokenResolver } from '../../src/acl/resolver.js';
import { HttpServer } from '../../src/http/http-server.js';
import { REGION_HTTP_METHOD, REGION_UPGRADE_METHOD } from '../../src/http/region-tunnel.js';
import { RpcPool, RpcServer, silentRpcLogger } from '../../src/rpc/index.js';
import type { RegionReplicatorOptions } from '../../src/server/region-replicator.js';
import { ScriptedMembership } from './in-process-cluster.js';

export interface Reply {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

type ReplicationTiming = Pick<RegionReplicatorOptions, 'backoff' | 'maxQueryTimeMs'>;

export interface RegionOptions {
  /** ACLs off: where namespaces are written (this region when absent). */
  authoritativeRegion?: string;
  replication?: ReplicationTiming;
  /** ACLs on, with where global ACLs and namespaces are written. */
  acl?: { authoritativeRegion?: string; replicationToken?: string; replication?: ReplicationTiming };
}

export interface TestRegion {
  name: string;
  server: Server;
  store: StateStore;
  rpc: RpcServer;
  rpcAddr: string;
  http: HttpServer;
  httpPort: number;
  call(method: string, path: string, opts?: { token?: string; body?: unknown }): Promise<Reply>;
  /** Closes the RPC listener (the region is unreachable) until reopenRpc(). */
  closeRpc(): Promise<void>;
  /** Listens again on the same address, with the same methods. */
  reopenRpc(): Promise<void>;
}

export class InProcessFederation {
  readonly membership = new ScriptedMembership();
  readonly regions = new Map<string, TestRegion>();
  private readonly closers: Array<() => Promise<void>> = [];

  async addRegion(name: string, opts: RegionOptions = {}): Promise<TestRegion> {
    const store = new StateStore();
    const fsm = new FSM(store);
    let rpc = new RpcServer({ bindHost: '127.0.0.1', port: 0, logger: silentRpcLogger });
    const rpcPort = (await rpc.listen()).port;
    const rpcAddr = `127.0.0.1:${rpcPort}`;
    const pool = new RpcPool({ logger: silentRpcLogger, reconnectBackoff: { baseMs: 10, maxMs: 50 } });
    const consensus = new InMemoryConsensus(fsm, { rpcAddr });
    const server = new Server({
      region: name,
      datacenter: 'dc1',
      nodeName: `${name}-s1`,
      store,
      applied: fsm,
      consensus,
      rpcAddr,
      numSchedulers: 1,
      peers: pool,
      cluster: { membership: this.membership, bootstrapExpect: 0 },
      aclEnabled: opts.acl !== undefined,
      replication: {
        authoritativeRegion: opts.acl?.authoritativeRegion ?? opts.authoritativeRegion ?? '',
        replicationToken: opts.acl?.replicationToken ?? '',
        ...((opts.acl?.replication ?? opts.replication) ? { timing: opts.acl?.replication ?? opts.replication } : {}),
      },
    });
    const register = (on: RpcServer): void => {
      for (const [method, handler] of Object.entries(server.rpcHandlers())) on.handle(method, (args, ctx) => handler(args, ctx));
    };
    register(rpc);
    const leader = new Promise<void>((r) => consensus.onLeadershipChange(() => r()));
    server.start();
    await leader;
    await server.whenSettled();
    const acl = opts.acl ? new TokenResolver({ state: () => store.snapshot(), nowMs: () => Date.now() }) : null;
    const http = new HttpServer({ server, store, client: null, agent: null, port: 0, acl });
    const httpPort = (await http.listen()).port;
    rpc.handleStream(REGION_HTTP_METHOD, http.regionRequestHandler());
    rpc.handleDuplex(REGION_UPGRADE_METHOD, http.regionUpgradeHandler());
    const closeRpc = (): Promise<void> => rpc.close();
    const reopenRpc = async (): Promise<void> => {
      rpc = new RpcServer({ bindHost: '127.0.0.1', port: rpcPort, logger: silentRpcLogger });
      register(rpc);
      rpc.handleStream(REGION_HTTP_METHOD, http.regionRequestHandler());
      rpc.handleDuplex(REGION_UPGRADE_METHOD, http.regionUpgradeHandler());
      await rpc.listen();
      region.rpc = rpc;
    };
    this.membership.set({ name: `${name}-s1.${name}`, id: name, region: name, datacenter: 'dc1', rpcAddr, status: 'alive', bootstrapExpect: 0, build: 'test' });
    const region: TestRegion = { name, server, store, rpc, rpcAddr, http, httpPort, call: (method, path, o = {}) => httpCall(httpPort, method, path, o), closeRpc, reopenRpc };
    this.regions.set(name, region);
    this.closers.push(async () => {
      await http.close();
      await server.shutdown();
      await consensus.shutdown();
      await region.rpc.close();
      await pool.close();
    });
    return region;
  }

  region(name: string): TestRegion {
    const r = this.regions.get(name);
    if (!r) throw new Error(`no region ${name}`);
    return r;
  }

  async close(): Promise<void> {
    for (const c of this.closers.reverse()) await c();
  }
}

export function httpCall(port: number, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = {};
    if (opts.token) headers['X-Nomad-Token'] = opts.token;
    if (payload) headers['Content-Type'] = 'application/json';
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Waits on the region's tables (woken by their changes, bounded) until `check` holds. */
export async function untilState(r: TestRegion, tables: TableName[], what: string, check: () => boolean, boundMs = 10_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!check()) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`${what}: not reached within ${boundMs} ms`);
    await r.store.waitForChange(tables, r.store.snapshot().latestIndex(), remaining);
  }
}
