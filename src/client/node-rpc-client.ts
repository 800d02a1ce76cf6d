// The client's side of the node calls: ClientServerRpc over any RPC caller (the servers over
// the network with failover, or the in-process channel of a dev agent). It remembers the node's
// ID and secret from registration and sends them, with the region, on every later call; the
// server list learns every server of the region from the answers.
import {
  NODE_RPC,
  type AllocClientUpdate,
  type AllocGetAllocsRequest,
  type ClientServerRpc,
  type NodeAuth,
  type NodeClientAllocsResponse,
  type NodeDrainResponse,
  type NodeGetClientAllocsRequest,
  type NodeGetNodeRequest,
  type NodeHeartbeatResponse,
  type NodeRegisterRequest,
  type NodeRegisterResponse,
  type NodeUpdateAllocRequest,
  type NodeUpdateDrainRequest,
  type NodeUpdateFingerprintRequest,
  type NodeUpdateStatusRequest,
} from '../rpc/protocol.js';
import type { RpcCaller } from '../rpc/types.js';
import type { Allocation } from '../structs/alloc.js';
import type { DrainSpec, Node, NodeEvent, NodeStatus } from '../structs/node.js';
import type { ServerList } from './server-list.js';

/** Bound of a call that does not block on purpose: long enough for a leader election in between. */
const CALL_TIMEOUT_MS = 30_000;
/** A blocking query gets this long beyond its own wait for the answer to travel. */
const BLOCKING_SLACK_MS = 15_000;

export interface NodeRpcClientOptions {
  caller: RpcCaller;
  region: string;
  /** Updated from every answer that names the region's servers. */
  servers?: ServerList;
}

export class NodeRpcClient implements ClientServerRpc {
  private identity: { NodeID: string; SecretID: string } | null = null;

  constructor(private readonly opts: NodeRpcClientOptions) {}

  private auth(nodeId: string): NodeAuth {
    const id = this.identity;
    if (!id || id.NodeID !== nodeId) throw new Error(`node ${nodeId} has not registered through this client`);
    return { Region: this.opts.region, NodeID: id.NodeID, SecretID: id.SecretID };
  }

  private learn(servers: string[] | undefined): void {
    if (servers && servers.length > 0) this.opts.servers?.replace(servers);
  }

  async nodeRegister(node: Node): Promise<NodeRegisterResponse> {
    this.identity = { NodeID: node.ID, SecretID: node.SecretID };
    const req: NodeRegisterRequest = { Region: this.opts.region, Node: node };
    const resp = await this.opts.caller.call<NodeRegisterResponse>(NODE_RPC.register, req, { timeoutMs: CALL_TIMEOUT_MS });
    this.learn(resp.Servers);
    return resp;
  }

  async nodeUpdateStatus(nodeId: string, status: NodeStatus, event?: NodeEvent): Promise<NodeHeartbeatResponse> {
    const req: NodeUpdateStatusRequest = { ...this.auth(nodeId), Status: status, Event: event ?? null };
    const resp = await this.opts.caller.call<NodeHeartbeatResponse>(NODE_RPC.updateStatus, req, { timeoutMs: CALL_TIMEOUT_MS });
    this.learn(resp.Servers);
    return resp;
  }

  async nodeUpdateFingerprint(node: Node): Promise<{ Index: number }> {
    const req: NodeUpdateFingerprintRequest = { ...this.auth(node.ID), Node: node };
    return this.opts.caller.call(NODE_RPC.updateFingerprint, req, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async nodeGetClientAllocs(nodeId: string, minIndex: number, maxWaitMs: number, changesOnly = false): Promise<NodeClientAllocsResponse> {
    const req: NodeGetClientAllocsRequest = { ...this.auth(nodeId), MinQueryIndex: minIndex, MaxQueryTimeMs: maxWaitMs, ...(changesOnly ? { ChangesOnly: true } : {}) };
    return this.opts.caller.call(NODE_RPC.getClientAllocs, req, { timeoutMs: maxWaitMs + BLOCKING_SLACK_MS });
  }

  async allocGetAllocs(ids: string[], minIndex: number): Promise<{ Allocs: Allocation[]; Index: number }> {
    const id = this.identity;
    if (!id) throw new Error('the node has not registered yet');
    const req: AllocGetAllocsRequest = { ...this.auth(id.NodeID), AllocIDs: ids, MinQueryIndex: minIndex };
    return this.opts.caller.call(NODE_RPC.getAllocs, req, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async nodeUpdateAllocs(updates: AllocClientUpdate[]): Promise<{ Index: number }> {
    const id = this.identity;
    if (!id) throw new Error('the node has not registered yet');
    const req: NodeUpdateAllocRequest = { ...this.auth(id.NodeID), Alloc: updates };
    return this.opts.caller.call(NODE_RPC.updateAlloc, req, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async updateDrain(nodeId: string, spec: DrainSpec | null, markEligible: boolean): Promise<NodeDrainResponse> {
    const req: NodeUpdateDrainRequest = { ...this.auth(nodeId), DrainSpec: spec, MarkEligible: markEligible };
    return this.opts.caller.call(NODE_RPC.updateDrain, req, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async nodeGet(nodeId: string, minIndex: number, maxWaitMs: number): Promise<{ Node: Node | null; Index: number }> {
    const req: NodeGetNodeRequest = { ...this.auth(nodeId), MinQueryIndex: minIndex, MaxQueryTimeMs: maxWaitMs };
    return this.opts.caller.call(NODE_RPC.getNode, req, { timeoutMs: maxWaitMs + BLOCKING_SLACK_MS });
  }
}
