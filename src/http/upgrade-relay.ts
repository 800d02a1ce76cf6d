// An upgrade request (alloc exec's WebSocket) that another agent must serve travels as raw bytes:
// its request head, then whatever either side sends, both ways, until one side closes. The agent
// that received it relays the caller's socket; the agent that serves it writes the head into a
// connection to its own HTTP server (in memory, or a socket to its listener) and relays that
// connection. Nothing in between reads the WebSocket frames, so stdin, terminal resizes, output
// and the exit code pass as the serving agent speaks them, and the 101 answer or an error
// answer (404, 403) reaches the caller unchanged.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest } from '../structs/errors.js';
import type { RpcStreamWriter } from '../rpc/types.js';

/** An upgrade request's head as it travels to the agent that serves it. */
export interface UpgradeHead {
  Method: string;
  /** Path and query. */
  Path: string;
  Headers: Record<string, string>;
}

/** Headers that name the first hop only; the upgrade's own (Upgrade, Connection, Sec-WebSocket-*) travel. */
const FIRST_HOP_ONLY = new Set(['host', 'content-length', 'transfer-encoding', 'keep-alive', 'proxy-connection', 'te', 'trailer']);

export function upgradeHeadOf(req: IncomingMessage, path = req.url ?? '/'): UpgradeHead {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || FIRST_HOP_ONLY.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { Method: req.method ?? 'GET', Path: path, Headers: headers };
}

export function parseUpgradeHead(v: unknown): UpgradeHead {
  const h = v as Partial<UpgradeHead> | null;
  if (!h || typeof h !== 'object') throw badRequest('malformed upgrade request: want an object', 'body');
  if (typeof h.Method !== 'string' || !/^[A-Z]+$/.test(h.Method)) throw badRequest('malformed upgrade request: Method must be an HTTP method', 'Method');
  if (typeof h.Path !== 'string' || !h.Path.startsWith('/') || /[\s]/.test(h.Path)) throw badRequest('malformed upgrade request: Path must start with "/" and hold no spaces', 'Path');
  const headers = h.Headers;
  if (!headers || typeof headers !== 'object') throw badRequest('malformed upgrade request: Headers must map names to strings', 'Headers');
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (typeof v !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) || /[\r\n]/.test(v)) throw badRequest(`malformed upgrade request: header "${k}" is not a valid header`, `Headers.${k}`);
    if (!FIRST_HOP_ONLY.has(k.toLowerCase())) clean[k.toLowerCase()] = v;
  }
  return { Method: h.Method, Path: h.Path, Headers: clean };
}

/** The request head in HTTP/1.1 wire form, for `host`. */
export function encodeUpgradeHead(head: UpgradeHead, host: string): Uint8Array {
  const lines = [`${head.Method} ${head.Path} HTTP/1.1`, `host: ${host}`];
  for (const [k, v] of Object.entries(head.Headers)) lines.push(`${k}: ${v}`);
  return bytesOf(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
}

export function bytesOf(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** What the caller's socket sends: the bytes read with the head first, then the rest as it comes. */
export async function* socketBytes(socket: Duplex, first: Buffer): AsyncIterable<Uint8Array> {
  if (first.length > 0) yield bytesOf(first);
  for await (const chunk of socket) yield bytesOf(chunk as Buffer);
}

/**
 * The receiving agent's side: relays the caller's socket through `items` (which sends the
 * socket's bytes on as it reads them), writing back what comes. Ends the socket when the far
 * side ends; a failure before anything came back answers 500 with its reason.
 */
export async function relayToSocket(socket: Duplex, items: AsyncIterable<unknown>, abort: AbortController): Promise<void> {
  const onClose = (): void => abort.abort();
  socket.once('close', onClose);
  let sent = false;
  try {
    for await (const item of items) {
      if (!(item instanceof Uint8Array)) throw new Error('a relayed session sent something other than bytes');
      sent = true;
      if (socket.destroyed) break;
      if (!socket.write(item)) await new Promise<void>((r) => (socket.once('drain', r), socket.once('close', r)));
    }
    socket.end();
  } catch (e) {
    if (abort.signal.aborted || socket.destroyed) return;
    if (sent) return void socket.destroy();
    const text = (e as Error).message;
    socket.end(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  } finally {
    socket.off('close', onClose);
  }
}

/**
 * The serving agent's side: `conn` reaches an HTTP server of this agent; the head goes first,
 * then the caller's bytes as they arrive, while what the server answers goes back as items.
 */
export async function serveOverConnection(conn: Duplex, head: Uint8Array, data: AsyncIterable<Uint8Array>, out: RpcStreamWriter, signal: AbortSignal): Promise<void> {
  const onAbort = (): void => void conn.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  conn.write(head);
  const pump = (async () => {
    for await (const chunk of data) {
      if (conn.destroyed) return;
      if (!conn.write(chunk)) await new Promise<void>((r) => (conn.once('drain', r), conn.once('close', r)));
    }
    if (!conn.destroyed) conn.end();
  })().catch(() => conn.destroy());
  try {
    for await (const chunk of conn) await out.write(new Uint8Array(chunk as Buffer));
  } catch (e) {
    if (!signal.aborted) throw e;
  } finally {
    signal.removeEventListener('abort', onAbort);
    conn.destroy();
    // The pump ends when the caller's data does (the exchange's end fails it): not waited for here.
    void pump;
  }
}
