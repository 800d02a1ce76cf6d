// An in-process transport for dev mode and tests: transports registered on
// the same MemNetwork deliver to each other asynchronously and in order; links
// can be cut to test partitions.
import type { Message, SnapshotRequest } from '../types.js';
import type { Transport, TransportHandler } from './types.js';

export class MemNetwork {
  private readonly nodes = new Map<string, MemTransport>();
  private readonly cut = new Set<string>();

  connect(address: string): MemTransport {
    const t = new MemTransport(address, this);
    this.nodes.set(address, t);
    return t;
  }

  detach(address: string): void {
    this.nodes.delete(address);
  }

  /** Cuts both directions between a and b. */
  disconnect(a: string, b: string): void {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
  }

  isolate(a: string): void {
    for (const b of this.nodes.keys()) if (b !== a) this.disconnect(a, b);
  }

  heal(): void {
    this.cut.clear();
  }

  route(from: string, to: string): MemTransport | undefined {
    if (this.cut.has(`${from}>${to}`)) return undefined;
    return this.nodes.get(to);
  }
}

export class MemTransport implements Transport {
  private handler: TransportHandler | null = null;
  private closed = false;

  constructor(readonly localAddress: string, private readonly network: MemNetwork) {}

  setHandler(handler: TransportHandler): void {
    this.handler = handler;
  }

  send(address: string, message: Message): void {
    if (this.closed) return;
    const to = this.network.route(this.localAddress, address);
    if (!to) return;
    setImmediate(() => to.deliver(message, this.localAddress));
  }

  async sendSnapshot(address: string, request: SnapshotRequest, data: AsyncIterable<Uint8Array>): Promise<void> {
    const to = this.network.route(this.localAddress, address);
    if (this.closed || !to || !to.handler) throw new Error(`no route to ${address}`);
    const chunks: Uint8Array[] = [];
    for await (const c of data) chunks.push(c);
    await to.handler.onSnapshot(request, (async function* () {
      yield* chunks;
    })(), this.localAddress);
  }

  private deliver(message: Message, from: string): void {
    if (!this.closed) this.handler?.onMessage(message, from);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.network.detach(this.localAddress);
  }
}
