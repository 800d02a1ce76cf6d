// One request and one answer per TCP connection, each a u32 length then the bytes. Every
// exchange is bounded in size and time, so a slow or hostile peer only costs one socket.

import { connect, type Socket } from 'node:net';
import { concatBytes, toBytes } from './bytes.js';

const LENGTH_BYTES = 4;

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(LENGTH_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, LENGTH_BYTES);
  return out;
}

/** Reads exactly one frame from `socket`; rejects on oversize, early close or timeout. */
export function readFrame(socket: Socket, maxBytes: number, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let have = 0;
    let want = -1;
    const timer = setTimeout(() => finish(new FrameError(`no complete frame within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | null, frame?: Uint8Array): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      if (err !== null) reject(err);
      else resolve(frame!);
    };
    const onData = (data: Buffer): void => {
      const chunk = toBytes(data);
      chunks.push(chunk);
      have += chunk.length;
      if (want < 0 && have >= LENGTH_BYTES) {
        const head = concatBytes(chunks);
        want = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0);
        if (want > maxBytes) {
          finish(new FrameError(`frame of ${want} bytes over limit ${maxBytes}`));
          return;
        }
      }
      if (want >= 0 && have >= LENGTH_BYTES + want) {
        const all = concatBytes(chunks);
        finish(null, all.subarray(LENGTH_BYTES, LENGTH_BYTES + want));
      }
    };
    const onEnd = (): void => finish(new FrameError('connection closed before a complete frame'));
    const onError = (err: Error): void => finish(err);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
  });
}

/** Connects, sends one frame, returns the answer frame. */
export async function requestFrame(host: string, port: number, payload: Uint8Array, timeoutMs: number, maxBytes: number): Promise<Uint8Array> {
  const socket = connect({ host, port });
  socket.setNoDelay(true);
  // Errors surface through the promises below; this keeps a late one from being unhandled.
  socket.on('error', () => {});
  const timer = setTimeout(() => socket.destroy(new FrameError(`tcp exchange with ${host}:${port} timed out after ${timeoutMs} ms`)), timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write(encodeFrame(payload));
    return await readFrame(socket, maxBytes, timeoutMs);
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
