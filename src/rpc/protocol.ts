// The RPC surface between a client and the servers. In dev mode the client calls an in-process
// implementation; across machines the same calls travel over the rpc transport (msgpack frames).
// Field names follow Nomad's RPC structs where they exist.
import type { AllocDeploymentStatus, Allocation, AllocClientStatus, TaskState } from '../structs/alloc.js';
import type { Node, NodeEvent, NodeStatus } from '../structs/node.js';

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
  /** Allocation ID -> the server's view of the client status, so the client can tell what it must not resurrect. */
  Index: number;
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
  nodeGetClientAllocs(nodeId: string, minIndex: number, maxWaitMs: number): Promise<NodeClientAllocsResponse>;
  /** Alloc.GetAllocs: the full allocations (with Job) the client needs to run. */
  allocGetAllocs(ids: string[], minIndex: number): Promise<{ Allocs: Allocation[]; Index: number }>;
  /** Node.UpdateAlloc: batched client status updates, written through the log. */
  nodeUpdateAllocs(updates: AllocClientUpdate[]): Promise<{ Index: number }>;
}
