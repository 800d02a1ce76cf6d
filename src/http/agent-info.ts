// What the HTTP API needs from the agent that hosts it (the agent implements this): its own
// description, gossip membership, the servers a client talks to, join / force-leave, health.
import type { AgentHealth, AgentMembers } from '../structs/agent-member.js';

export type KeyringOp = 'list' | 'install' | 'use' | 'remove';

/** Nomad's KeyringResponse: how many members hold each key, and their error messages. */
export interface KeyringResponse {
  Messages: Record<string, string>;
  Keys: Record<string, number>;
  NumNodes: number;
}

/** A `nomad monitor` reader of the agent's log. */
export interface MonitorStream {
  /** The lines logged since the last call (waiting for some); null once closed or aborted. */
  next(signal: AbortSignal): Promise<string[] | null>;
  close(): void;
}

export type MonitorLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export type ProfileKind = 'cpu' | 'heap' | 'allocs';

export interface AgentInfo {
  /** GET /v1/agent/self: {config, member, stats}. */
  self(): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** GET /v1/agent/members. */
  members(): AgentMembers | Promise<AgentMembers>;
  /** GET /v1/agent/servers: the servers' RPC addresses this agent knows. */
  servers(): string[];
  /** PUT /v1/agent/servers?address=...: replaces a client's server list. */
  setServers(addrs: string[]): void | Promise<void>;
  /** PUT /v1/agent/join?address=...: joins the gossip pool. */
  join(addrs: string[]): Promise<{ num_joined: number; error: string }>;
  /** PUT /v1/agent/force-leave?node=...[&prune=true]: marks a failed member as left (prune: forgets it). */
  forceLeave(node: string, prune: boolean): Promise<void>;
  /** /v1/agent/keyring/{list,install,use,remove}: the gossip encryption keys (servers only). */
  keyring?(op: KeyringOp, key: string): KeyringResponse;
  /** GET /v1/agent/health: 200 when every part is ok, else 500. */
  health(): AgentHealth | Promise<AgentHealth>;
  /** GET /v1/agent/monitor: the agent's log from now on, at a level and in a format of the reader's. */
  monitor?(level: MonitorLevel, json: boolean): MonitorStream;
  /** /v1/agent/pprof/*: a profile of this agent's process. */
  profile?(kind: ProfileKind, seconds: number): Promise<Buffer>;
  /** enable_debug: without ACLs, the profiling routes answer only when it is set. */
  readonly debugEnabled?: boolean;
  /** Names this agent's server answers to as a monitor or profile target (empty without a server). */
  serverNames?(): string[];
}
