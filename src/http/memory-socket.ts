// Two connected in-memory streams, as a socket and its peer: what one end writes, the other
// reads. A request that arrives from another region is handed to this agent's own HTTP server
// over such a pair, so it takes exactly the road of a request from the network.
import { Duplex } from 'node:stream';

export function memorySocketPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  /** Per end: the write waiting for its peer's reader to want more (back-pressure). */
  const blocked: Array<(() => void) | null> = [null, null];
  const peerOf = (i: number): Duplex => ends[1 - i]!;
  for (let i = 0; i < 2; i++) {
    ends.push(
      new Duplex({
        read() {
          // The reader wants more: let the peer's held-back write finish.
          const resume = blocked[1 - i];
          blocked[1 - i] = null;
          resume?.();
        },
        write(chunk: Buffer, _encoding, done) {
          if (peerOf(i).push(chunk)) done();
          else blocked[i] = () => done();
        },
        final(done) {
          peerOf(i).push(null);
          done();
        },
        destroy(err, done) {
          const peer = peerOf(i);
          if (!peer.destroyed) peer.destroy();
          blocked[i] = null;
          done(err);
        },
      }),
    );
  }
  return [ends[0]!, ends[1]!];
}
