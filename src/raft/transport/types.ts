// How the driver reaches its peers. Delivery is best effort: Raft tolerates
// loss, duplication and reordering, so a transport drops rather than blocks.
import type { Message, SnapshotRequest } from '../types.js';

export interface TransportHandler {
  /** `fromAddress` is where the sender listens (lets a new server answer a leader it has no configuration for). */
  onMessage(message: Message, fromAddress: string): void;
  /** A snapshot: its request, then its data as a stream. Resolves once the data is consumed. */
  onSnapshot(request: SnapshotRequest, data: AsyncIterable<Uint8Array>, fromAddress: string): Promise<void>;
  /**
   * The connection that carried a peer's messages here closed (a transport that can tell). A hint
   * only: the peer may be gone, or may come back on another connection.
   */
  onPeerDisconnected?(fromAddress: string): void;
}

export interface Transport {
  /** The address peers use to reach this node. */
  readonly localAddress: string;
  setHandler(handler: TransportHandler): void;
  send(address: string, message: Message): void;
  sendSnapshot(address: string, request: SnapshotRequest, data: AsyncIterable<Uint8Array>): Promise<void>;
  close(): Promise<void>;
}
