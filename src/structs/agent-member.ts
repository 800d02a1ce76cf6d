// The JSON shapes of an agent's gossip membership and health as /v1/agent/members,
// /v1/agent/self and /v1/agent/health answer them. They sit in the data model because both the
// HTTP layer that serves them and the API client that reads them need them, and neither may
// import the other.

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
