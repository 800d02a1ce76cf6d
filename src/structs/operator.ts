// The operator API's answers about the servers, in Nomad's JSON shape: the Raft configuration
// and autopilot's view of each server's health.

/** One server of the Raft configuration. */
export interface RaftServer {
  ID: string;
  /** The server's gossip name ("<node name>.<region>"). */
  Node: string;
  Address: string;
  Leader: boolean;
  Voter: boolean;
  RaftProtocol: string;
}

export interface RaftConfiguration {
  Servers: RaftServer[];
  /** The index of the log entry that set this configuration. */
  Index: number;
}

export interface ServerHealth {
  ID: string;
  Name: string;
  Address: string;
  SerfStatus: string;
  Version: string;
  Leader: boolean;
  /** Go duration text, e.g. "12.5ms". */
  LastContact: string;
  LastTerm: number;
  LastIndex: number;
  Healthy: boolean;
  Voter: boolean;
  /** RFC 3339 time, in seconds, since which the server has been healthy. */
  StableSince: string;
}

export interface OperatorHealthReply {
  Healthy: boolean;
  FailureTolerance: number;
  Servers: ServerHealth[];
}
