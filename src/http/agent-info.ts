// What the HTTP API needs from the agent that hosts it (the agent implements this): its own
// description, gossip membership, the servers a client talks to, join / force-leave, health.

export interface AgentMember {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  Status: string;
  ProtocolMin: number;
  ProtocolMax: number;
  ProtocolCur: number;
  DelegateMin: number;
  DelegateMax: number;
  DelegateCur: number;
}

export interface AgentMembers {
  ServerName: string;
  ServerRegion: string;
  ServerDC: string;
  Members: AgentMember[];
}

export interface AgentHealthPart {
  ok: boolean;
  message: string;
}

export interface AgentHealth {
  client?: AgentHealthPart;
  server?: AgentHealthPart;
}

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
  /** PUT /v1/agent/force-leave?node=...: marks a failed member as left. */
  forceLeave(node: string): Promise<void>;
  /** GET /v1/agent/health: 200 when every part is ok, else 500. */
  health(): AgentHealth | Promise<AgentHealth>;
}
