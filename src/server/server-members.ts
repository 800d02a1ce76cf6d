// The servers as the gossip pool knows them: what bootstrapping and autopilot decide from. The
// agent adapts its gossip pool to this; the simulation feeds its own.

export type ServerMemberStatus = 'alive' | 'leaving' | 'left' | 'failed';

export interface ServerMember {
  /** The gossip name, "<node name>.<region>". */
  name: string;
  /** The server's Raft ID (its UUID). */
  id: string;
  region: string;
  datacenter: string;
  /** Where its RPC listens, "ip:port". */
  rpcAddr: string;
  status: ServerMemberStatus;
  /** bootstrap_expect as it announced it (0 when not set). */
  bootstrapExpect: number;
  build: string;
}

export interface ServerMembership {
  /** Every server known to the pool, of every region. */
  members(): ServerMember[];
  /** Called after any change of membership or status; returns a function that stops it. */
  onChange(listener: () => void): () => void;
}
