// The client calls as RPC handlers: what a client sends over the network (or the in-process
// channel in dev mode) is checked here before it reaches the node endpoints. Every call names
// the region (a client of another region is refused), and every call of a registered node
// carries its secret, checked against the one it registered with. Writes then run on the leader
// through the endpoints' forwarding, on the node's behalf (the leader checks its secret again);
// the blocking reads answer from this server's own state.
import { permissionDenied } from '../acl/errors.js';
import { sameSecret } from '../acl/node-identity.js';
import { runAsCaller } from '../acl/caller.js';
import type { DrainSpec, NodeEvent, NodeStatus } from '../structs/node.js';
import { badRequest, notFound } from '../structs/errors.js';
import {
  NODE_RPC,
  type AllocClientUpdate,
  type NodeAuth,
  type StatusServersResponse,
} from '../rpc/protocol.js';
import type { RpcHandler, RpcRequestContext } from '../rpc/types.js';
import type { Node } from '../structs/node.js';
import type { StateStoreView } from '../state/reader.js';
import type { NodeEndpoints } from './node-endpoints.js';
import type { TokenResolver } from '../acl/resolver.js';

/** What the handlers need of the server. */
export interface NodeRpcServer {
  readonly region: string;
  /** Resolves tokens when ACLs are on; null when they are off. */
  readonly tokens: TokenResolver | null;
  readonly store: StateStoreView;
  readonly nodes: NodeEndpoints;
  readBarrier(stale: boolean, signal?: AbortSignal): Promise<void>;
  serverRpcAddrs(): string[];
  leaderRpcAddr(): string;
}

type Fields = Record<string, unknown>;

function object(args: unknown): Fields {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw badRequest('malformed request: want an object of fields');
  return args as Fields;
}

function str(f: Fields, name: string, required = true): string {
  const v = f[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw badRequest(`missing ${name}`, name);
    return '';
  }
  if (typeof v !== 'string') throw badRequest(`${name} must be a string`, name);
  return v;
}

function num(f: Fields, name: string): number {
  const v = f[name] ?? 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw badRequest(`${name} must be a non-negative number`, name);
  return v;
}

function nodeOf(f: Fields): Node {
  const n = f['Node'];
  if (n === null || typeof n !== 'object' || Array.isArray(n)) throw badRequest('missing node for client registration', 'Node');
  return n as Node;
}

export class NodeRpc {
  constructor(private readonly server: NodeRpcServer) {}

  /**
   * Runs `fn` on behalf of the node holding `secret`: a call forwarded to the leader carries the
   * secret, which the leader checks when ACLs are on. With ACLs off nothing reads it, and the
   * AsyncLocalStorage that would carry it turns on async hooks for every promise of the process
   * once used (a few percent of a busy agent's time).
   */
  private asNode<T>(secret: string, fn: () => T): T {
    return this.server.tokens === null ? fn() : runAsCaller(secret, fn);
  }

  /** Refuses a caller of another region, with both names. */
  private checkRegion(f: Fields): void {
    const region = str(f, 'Region');
    if (region !== this.server.region) {
      throw badRequest(`region "${region}" is not this server's region "${this.server.region}": the client must be pointed at the servers of its own region`, 'Region');
    }
  }

  /**
   * The node must exist and the secret must be its own. A node unknown here may have registered
   * on the leader a moment ago: the read barrier brings this server's state up to the leader's
   * first. Still unknown is "not found", which tells the client to register again.
   */
  private async authorize(f: Fields, signal: AbortSignal): Promise<NodeAuth> {
    this.checkRegion(f);
    const auth: NodeAuth = { Region: this.server.region, NodeID: str(f, 'NodeID'), SecretID: str(f, 'SecretID', false) };
    let node = this.server.store.snapshot().nodeByID(auth.NodeID);
    if (!node) {
      await this.server.readBarrier(false, signal);
      node = this.server.store.snapshot().nodeByID(auth.NodeID);
    }
    if (!node) throw notFound(`node not found: ${auth.NodeID}`);
    if (auth.SecretID === '' || !sameSecret(node.SecretID, auth.SecretID)) throw permissionDenied();
    return auth;
  }

  handlers(): Record<string, RpcHandler> {
    const s = this.server;
    return {
      [NODE_RPC.register]: async (args) => {
        const f = object(args);
        this.checkRegion(f);
        const node = nodeOf(f);
        return this.asNode(node.SecretID, () => s.nodes.nodeRegister(node));
      },
      [NODE_RPC.updateStatus]: async (args, ctx) => {
        const f = object(args);
        const auth = await this.authorize(f, ctx.signal);
        const event = (f['Event'] ?? undefined) as NodeEvent | undefined;
        return this.asNode(auth.SecretID, () => s.nodes.nodeUpdateStatus(auth.NodeID, str(f, 'Status') as NodeStatus, event ?? undefined));
      },
      [NODE_RPC.updateFingerprint]: async (args, ctx) => {
        const f = object(args);
        const auth = await this.authorize(f, ctx.signal);
        const node = nodeOf(f);
        if (node.ID !== auth.NodeID) throw badRequest(`Node.ID "${node.ID}" is not the caller's node "${auth.NodeID}"`, 'Node.ID');
        return this.asNode(auth.SecretID, () => s.nodes.nodeUpdateFingerprint({ ...node, SecretID: auth.SecretID }));
      },
      [NODE_RPC.getClientAllocs]: async (args, ctx) => {
        const f = object(args);
        const auth = await this.authorize(f, ctx.signal);
        return this.asNode(auth.SecretID, () => s.nodes.nodeGetClientAllocs(auth.NodeID, num(f, 'MinQueryIndex'), waitBound(f, ctx), f['ChangesOnly'] === true, ctx.signal));
      },
      [NODE_RPC.getAllocs]: async (args, ctx) => {
        const f = object(args);
        const auth = await this.authorize(f, ctx.signal);
        const ids = f['AllocIDs'];
        if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) throw badRequest('AllocIDs must be a list of allocation IDs', 'AllocIDs');
        const resp = await s.nodes.allocGetAllocs(ids as string[], num(f, 'MinQueryIndex'));
        // A node reads its own allocations only.
        return { ...resp, Allocs: resp.Allocs.filter((a) => a.NodeID === auth.NodeID) };
      },
      [NODE_RPC.updateAlloc]: async (args, ctx) => {
        const f = object(args);
        const auth = await this.authorize(f, ctx.signal);
        const updates = f['Alloc'];
        if (!Array.isArray(updates)) throw badRequest('Alloc must be a list of allocation updates', 'Alloc');
        const snap = s.store.snapshot();
        for (const [i, u] of (updates as AllocClientUpdate[]).entries()) {
          const id = u && typeof u === 'object' ? u.ID : undefined;
          const alloc = typeof id === 'string' ? snap.allocByID(id) : null;
          // An update for an allocation of another node is refused; one the servers no longer
          // have (garbage collected) is dropped by the FSM as before.
          if (alloc && alloc.NodeID !== auth.NodeID) throw badRequest(`allocation ${alloc.ID} is not on node ${auth.NodeID}`, `Alloc[${i}].ID`);
        }
        return this.asNode(auth.SecretID, () => s.nodes.nodeUpdateAllocs(updates as AllocClientUpdate[]));
      },
      [NODE_RPC.updateDrain]: async (args, ctx) => {
        const f = object(args);
        const auth = await this.authorize(f, ctx.signal);
        return this.asNode(auth.SecretID, () => s.nodes.updateDrain(auth.NodeID, drainSpec(f['DrainSpec']), f['MarkEligible'] === true));
      },
      [NODE_RPC.getNode]: async (args, ctx) => {
        const f = object(args);
        const auth = await this.authorize(f, ctx.signal);
        return this.asNode(auth.SecretID, () => s.nodes.nodeGet(auth.NodeID, num(f, 'MinQueryIndex'), waitBound(f, ctx), ctx.signal));
      },
      [NODE_RPC.servers]: async (args): Promise<StatusServersResponse> => {
        const f = object(args);
        this.checkRegion(f);
        return { Region: s.region, Servers: s.serverRpcAddrs(), LeaderRPCAddr: s.leaderRpcAddr() };
      },
    };
  }
}

function drainSpec(v: unknown): DrainSpec | null {
  if (v === null || v === undefined) return null;
  const o = v as Partial<DrainSpec>;
  if (typeof v !== 'object' || typeof o.Deadline !== 'number') throw badRequest('DrainSpec must have a Deadline in nanoseconds', 'DrainSpec');
  return { Deadline: o.Deadline, IgnoreSystemJobs: o.IgnoreSystemJobs === true };
}

/** A blocking call waits no longer than it asked, nor past the caller's own deadline. */
function waitBound(f: Fields, ctx: RpcRequestContext): number {
  const asked = num(f, 'MaxQueryTimeMs');
  return ctx.deadlineMs === null ? asked : Math.max(0, Math.min(asked, ctx.deadlineMs - 1_000));
}
