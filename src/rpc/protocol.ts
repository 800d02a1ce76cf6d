// The RPC surface between a client and the servers. In dev mode the client calls an in-process
// implementation; across machines the same calls travel over the rpc transport (msgpack frames).
// Field names follow Nomad's RPC structs where they exist.
import type { AllocDeploymentStatus, Allocation, AllocClientStatus, TaskState } from '../structs/alloc.js';
import type { DrainSpec, Node, NodeEvent, NodeStatus } from '../structs/node.js';

/**
 * The client's calls as RPC methods. Every server registers them on its listener; a dev agent's
 * client reaches the same handlers through an in-process channel.
 */
export const NODE_RPC = {
  register: 'Node.Register',
  updateStatus: 'Node.UpdateStatus',
  updateFingerprint: 'Node.UpdateFingerprint',
  getClientAllocs: 'Node.GetClientAllocs',
  getAllocs: 'Alloc.GetAllocs',
  updateAlloc: 'Node.UpdateAlloc',
  updateDrain: 'Node.UpdateDrain',
  getNode: 'Node.GetNode',
  /** Answers the server's region and every server's RPC address: how a client finds the others. */
  servers: 'Status.Servers',
} as const;

/** What every call of a registered node carries: the region it belongs to and its credentials. */
export interface NodeAuth {
  Region: string;
  NodeID: string;
  /** The node's secret, given at registration; a call with another secret is refused. */
  SecretID: string;
}

export interface NodeRegisterRequest {
  Region: string;
  Node: Node;
}

export interface NodeUpdateStatusRequest extends NodeAuth {
  Status: NodeStatus;
  Event: NodeEvent | null;
}

export interface NodeUpdateFingerprintRequest extends NodeAuth {
  Node: Node;
}

export interface NodeGetClientAllocsRequest extends NodeAuth {
  MinQueryIndex: number;
  MaxQueryTimeMs: number;
  /**
   * Only the allocations whose AllocModifyIndex is past MinQueryIndex, unless the whole list is
   * needed (see NodeClientAllocsResponse.Complete). A client that has every answer since its
   * first asks for changes only: an answer is then as large as what changed, not as the node.
   */
  ChangesOnly?: boolean;
}

export interface AllocGetAllocsRequest extends NodeAuth {
  AllocIDs: string[];
  MinQueryIndex: number;
}

export interface NodeUpdateAllocRequest extends NodeAuth {
  Alloc: AllocClientUpdate[];
}

export interface NodeUpdateDrainRequest extends NodeAuth {
  DrainSpec: DrainSpec | null;
  MarkEligible: boolean;
}

export interface NodeGetNodeRequest extends NodeAuth {
  MinQueryIndex: number;
  MaxQueryTimeMs: number;
}

export interface StatusServersRequest {
  Region: string;
}

export interface StatusServersResponse {
  Region: string;
  /** Every server's RPC address (the Raft configuration's). */
  Servers: string[];
  LeaderRPCAddr: string;
}

export interface NodeDrainResponse {
  EvalIDs: string[];
  EvalCreateIndex: number;
  NodeModifyIndex: number;
  Index: number;
}

export interface NodeRegisterResponse {
  HeartbeatTTLMs: number;
  Index: number;
  LeaderRPCAddr: string;
  /** Known servers' RPC addresses, for failover. */
  Servers: string[];
}

export interface NodeHeartbeatResponse {
  HeartbeatTTLMs: number;
  Index: number;
  Servers: string[];
}

export interface NodeClientAllocsResponse {
  /** Allocation ID -> AllocModifyIndex: the client pulls those that changed. */
  Allocs: Record<string, number>;
  /** The index of the node's list as answered: the next call's MinQueryIndex. */
  Index: number;
  /**
   * True: Allocs is the node's whole list, and an allocation it lacks is gone. False (asked with
   * ChangesOnly): Allocs holds those that changed after MinQueryIndex, and nothing was removed.
   */
  Complete?: boolean;
}

/** What a client reports about one of its allocations. */
export interface AllocClientUpdate {
  ID: string;
  ClientStatus: AllocClientStatus;
  ClientDescription: string;
  TaskStates: Record<string, TaskState>;
  DeploymentStatus: AllocDeploymentStatus | null;
  NetworkStatus?: Allocation['NetworkStatus'];
}

export interface ClientServerRpc {
  /** Node.Register: creates or replaces the node, starts its heartbeat timer. */
  nodeRegister(node: Node): Promise<NodeRegisterResponse>;
  /** Node.UpdateStatus: the heartbeat (status 'ready' again) and status changes, with an optional event. */
  nodeUpdateStatus(nodeId: string, status: NodeStatus, event?: NodeEvent): Promise<NodeHeartbeatResponse>;
  /** Node.UpdateDrivers etc.: the fingerprint changed (driver health, attributes). */
  nodeUpdateFingerprint(node: Node): Promise<{ Index: number }>;
  /** Node.GetClientAllocs: a blocking query that returns once the node's allocations change past minIndex. */
  nodeGetClientAllocs(nodeId: string, minIndex: number, maxWaitMs: number, changesOnly?: boolean): Promise<NodeClientAllocsResponse>;
  /** Alloc.GetAllocs: the full allocations (with Job) the client needs to run. */
  allocGetAllocs(ids: string[], minIndex: number): Promise<{ Allocs: Allocation[]; Index: number }>;
  /** Node.UpdateAlloc: batched client status updates, written through the log. */
  nodeUpdateAllocs(updates: AllocClientUpdate[]): Promise<{ Index: number }>;
  /** Node.UpdateDrain: the node drains itself (drain_on_shutdown); null cancels. */
  updateDrain(nodeId: string, spec: DrainSpec | null, markEligible: boolean): Promise<NodeDrainResponse>;
  /** Node.GetNode: the node as the servers hold it, once its ModifyIndex passes minIndex (or the wait ends). */
  nodeGet(nodeId: string, minIndex: number, maxWaitMs: number): Promise<{ Node: Node | null; Index: number }>;
}
