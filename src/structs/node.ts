// A client node as the servers know it, in the JSON shape of Nomad's API.
import type { NetworkResource, Resources } from './job.js';

export type NodeStatus = 'initializing' | 'ready' | 'down' | 'disconnected';
export type SchedulingEligibility = 'eligible' | 'ineligible';

export interface DriverInfo {
  Attributes: Record<string, string> | null;
  Detected: boolean;
  Healthy: boolean;
  HealthDescription: string;
  UpdateTime: string; // RFC3339 with nanoseconds
}

export interface NodeEvent {
  Message: string;
  Subsystem: string;
  Details: Record<string, string> | null;
  Timestamp: string; // RFC3339
  CreateIndex: number;
}

export interface NodeAddress {
  Family: string;
  Alias: string;
  Address: string;
  ReservedPorts: string;
  Gateway: string;
}

export interface NodeNetworkResource {
  Mode: string;
  Device: string;
  MacAddress: string;
  Speed: number;
  Addresses: NodeAddress[];
}

export interface NodeResources {
  Cpu: { CpuShares: number; TotalCpuCores: number; ReservableCpuCores: number[] | null };
  Memory: { MemoryMB: number };
  Disk: { DiskMB: number };
  Networks: NetworkResource[] | null;
  NodeNetworks: NodeNetworkResource[] | null;
  Devices: unknown[] | null;
  /** Inclusive range of ports the scheduler may hand out dynamically (not in Nomad's JSON; ours). */
  MinDynamicPort?: number;
  MaxDynamicPort?: number;
}

export interface NodeReservedResources {
  Cpu: { CpuShares: number; ReservedCpuCores: number[] | null };
  Memory: { MemoryMB: number };
  Disk: { DiskMB: number };
  Networks: { ReservedHostPorts: string };
}

/** Node.LastDrain: the node's most recent drain and how it ended. */
export interface DrainMetadata {
  StartedAt: string;
  UpdatedAt: string;
  Status: 'draining' | 'complete' | 'canceled';
  AccessorID: string;
  Meta: Record<string, string> | null;
}

/** What an operator asks for: a deadline (ns; 0 none, negative forces at once) and whether system jobs stay. */
export interface DrainSpec {
  Deadline: number;
  IgnoreSystemJobs: boolean;
}

export interface DrainStrategy {
  Deadline: number; // ns
  IgnoreSystemJobs: boolean;
  ForceDeadline: string;
  StartedAt: string;
}

export interface Node {
  ID: string;
  SecretID: string;
  Datacenter: string;
  Name: string;
  HTTPAddr: string;
  TLSEnabled: boolean;
  Attributes: Record<string, string>;
  NodeResources: NodeResources | null;
  ReservedResources: NodeReservedResources | null;
  Resources: Resources | null;
  Reserved: Resources | null;
  Links: Record<string, string> | null;
  Meta: Record<string, string> | null;
  NodeClass: string;
  ComputedClass: string;
  Drain: boolean;
  DrainStrategy: DrainStrategy | null;
  SchedulingEligibility: SchedulingEligibility;
  Status: NodeStatus;
  StatusDescription: string;
  StatusUpdatedAt: number; // seconds since epoch
  Events: NodeEvent[] | null;
  Drivers: Record<string, DriverInfo>;
  CSIControllerPlugins: unknown | null;
  CSINodePlugins: unknown | null;
  HostVolumes: Record<string, { Name?: string; Path: string; ReadOnly: boolean }> | null;
  LastDrain: DrainMetadata | null;
  CreateIndex: number;
  ModifyIndex: number;
}

export type NodeFields = Partial<Node> & Pick<Node, 'ID' | 'Datacenter' | 'Name'>;

/**
 * A node with every field present in Nomad's field order (so the JSON reads the same however it
 * was built); absent fields are blank, and a new node is initializing and eligible. The client's
 * fingerprint and the test fixtures all build nodes this way.
 */
export function newNode(f: NodeFields): Node {
  return {
    ID: f.ID,
    SecretID: f.SecretID ?? '',
    Datacenter: f.Datacenter,
    Name: f.Name,
    HTTPAddr: f.HTTPAddr ?? '',
    TLSEnabled: f.TLSEnabled ?? false,
    Attributes: f.Attributes ?? {},
    NodeResources: f.NodeResources ?? null,
    ReservedResources: f.ReservedResources ?? null,
    Resources: f.Resources ?? null,
    Reserved: f.Reserved ?? null,
    Links: f.Links ?? null,
    Meta: f.Meta ?? null,
    NodeClass: f.NodeClass ?? '',
    ComputedClass: f.ComputedClass ?? '',
    Drain: f.Drain ?? false,
    DrainStrategy: f.DrainStrategy ?? null,
    SchedulingEligibility: f.SchedulingEligibility ?? 'eligible',
    Status: f.Status ?? 'initializing',
    StatusDescription: f.StatusDescription ?? '',
    StatusUpdatedAt: f.StatusUpdatedAt ?? 0,
    Events: f.Events ?? null,
    Drivers: f.Drivers ?? {},
    CSIControllerPlugins: f.CSIControllerPlugins ?? null,
    CSINodePlugins: f.CSINodePlugins ?? null,
    HostVolumes: f.HostVolumes ?? null,
    LastDrain: f.LastDrain ?? null,
    CreateIndex: f.CreateIndex ?? 0,
    ModifyIndex: f.ModifyIndex ?? 0,
  };
}

/** The row of GET /v1/nodes. */
export interface NodeListStub {
  Address: string;
  ID: string;
  Datacenter: string;
  Name: string;
  NodeClass: string;
  Version: string;
  Drain: boolean;
  SchedulingEligibility: SchedulingEligibility;
  Status: NodeStatus;
  StatusDescription: string;
  Drivers: Record<string, DriverInfo>;
  HostVolumes: Node['HostVolumes'];
  NodeResources: NodeResources | null;
  ReservedResources: NodeReservedResources | null;
  LastDrain: DrainMetadata | null;
  CreateIndex: number;
  ModifyIndex: number;
}
