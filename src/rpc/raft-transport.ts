// Raft over the RPC port: messages travel as one-way notifies ('Raft.Message'), dropped rather
// than queued without bound when a peer is slow or down (Raft retries on its own); a snapshot
// travels as an upload ('Raft.Snapshot') paced by the receiver, beside heartbeats on the same
// connection.
import type { Message, SnapshotRequest } from '../raft/types.js';
import type { Transport, TransportHandler } from '../raft/transport/types.js';
import { NomadError } from '../structs/errors.js';
import type { RpcPool } from './pool.js';
import type { RpcServer } from './server.js';

export const RAFT_MESSAGE_METHOD = 'Raft.Message';
export const RAFT_SNAPSHOT_METHOD = 'Raft.Snapshot';

export interface RpcRaftTransportOptions {
  readonly server: RpcServer;
  readonly pool: RpcPool;
  /** The RPC address peers reach this server at (the advertised one). */
  readonly localAddress: string;
  /** A snapshot install that takes longer than this is abandoned (the leader tries again). Default 10 min. */
  readonly snapshotTimeoutMs?: number;
}

export class RpcRaftTransport implements Transport {
  readonly localAddress: string;
  private handler: TransportHandler | null = null;
  private closed = false;
  /** Messages not sent because the peer's queue was full or it was unreachable. */
  dropped = 0;

  constructor(private readonly opts: RpcRaftTransportOptions) {
    this.localAddress = opts.localAddress;
    opts.server.handleNotify(RAFT_MESSAGE_METHOD, (args, ctx) => {
      if (this.closed || !this.handler) return;
      const [from, message] = args as [string, Message];
      this.watchConnection(ctx.signal, from);
      this.handler.onMessage(message, from);
    });
    opts.server.handleUpload(RAFT_SNAPSHOT_METHOD, async (args, data) => {
      if (this.closed || !this.handler) throw new NomadError('unavailable', 'raft is not running on this server');
      const [from, request] = args as [string, SnapshotRequest];
      await this.handler.onSnapshot(request, data, from);
      return null;
    });
  }

  /**
   * Tells Raft when the connection a peer's messages came on closes: a leader killed outright is
   * then known gone at once, not only after an election timeout. (A one-way message's signal is
   * its connection's, aborted when the connection closes.)
   */
  private watchConnection(connection: AbortSignal, from: string): void {
    let senders = this.senders.get(connection);
    if (senders === undefined) {
      senders = new Set();
      this.senders.set(connection, senders);
      const seen = senders;
      connection.addEventListener(
        'abort',
        () => {
          if (this.closed) return;
          for (const addr of seen) this.handler?.onPeerDisconnected?.(addr);
        },
        { once: true },
      );
    }
    senders.add(from);
  }

  private readonly senders = new WeakMap<AbortSignal, Set<string>>();

  setHandler(handler: TransportHandler): void {
    this.handler = handler;
  }

  send(address: string, message: Message): void {
    if (this.closed) return;
    if (!this.opts.pool.notify(address, RAFT_MESSAGE_METHOD, [this.localAddress, message])) this.dropped++;
  }

  async sendSnapshot(address: string, request: SnapshotRequest, data: AsyncIterable<Uint8Array>): Promise<void> {
    if (this.closed) throw new Error('raft transport closed');
    await this.opts.pool.upload(address, RAFT_SNAPSHOT_METHOD, [this.localAddress, request], data, {
      timeoutMs: this.opts.snapshotTimeoutMs ?? 10 * 60_000,
    });
  }

  /** Stops delivering to Raft; the server and pool belong to the agent and stay open. */
  async close(): Promise<void> {
    this.closed = true;
    this.handler = null;
    this.opts.server.unhandle(RAFT_MESSAGE_METHOD);
    this.opts.server.unhandle(RAFT_SNAPSHOT_METHOD);
  }
}
