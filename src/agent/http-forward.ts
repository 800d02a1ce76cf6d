// The HTTP API of an agent that runs no server: what concerns the agent or its client
// (/v1/agent/..., /v1/client/...) is answered here; every other request travels to a server of
// the region over the RPC transport ("Agent.HttpForward", a stream) and is answered there by
// that server's own HTTP API, so tokens, regions, blocking queries and errors behave exactly as
// when the server is asked directly. The server side replays the request on its own listener.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import { RpcError } from '../rpc/errors.js';
import type { RpcCallOptions, RpcDuplexHandler, RpcLogger, RpcStreamHandler } from '../rpc/types.js';
import { encodeUpgradeHead, parseUpgradeHead, relayToSocket, serveOverConnection, socketBytes, upgradeHeadOf } from '../http/upgrade-relay.js';
import type { ServerList } from '../client/server-list.js';
import { MAX_BODY_BYTES } from '../http/json-body.js';

export const HTTP_FORWARD_METHOD = 'Agent.HttpForward';
/** An upgrade request (alloc exec) a client agent passes to a server: a duplex of raw bytes. */
export const HTTP_UPGRADE_METHOD = 'Agent.HttpUpgrade';

/** A request as it travels. */
export interface ForwardedRequest {
  Method: string;
  /** Path and query, as the client sent them. */
  Url: string;
  Headers: Record<string, string | string[]>;
  Body: Uint8Array | null;
}

/** The first item of the answer stream; the body's chunks follow as byte strings. */
export interface ForwardedHead {
  Status: number;
  Headers: Record<string, string | string[]>;
}

/** Headers that describe one connection, not the message: never copied across. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

function endToEnd(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  return out;
}

export interface LocalHttpTarget {
  host: string;
  port: number;
  /** The listener serves HTTPS: this agent presents its own certificate (a listener may require one). */
  tls: { cert: Buffer; key: Buffer } | null;
}

/** The server's side: replays a forwarded request on its own HTTP listener and streams the answer back. */
export function httpForwardHandler(target: () => LocalHttpTarget | null): RpcStreamHandler {
  return async (args, ctx, out) => {
    const req = args as Partial<ForwardedRequest> | null;
    if (!req || typeof req.Method !== 'string' || typeof req.Url !== 'string' || !req.Url.startsWith('/')) throw new RpcError('protocol', 'malformed forwarded HTTP request');
    const t = target();
    if (!t) throw new RpcError('unknown_method', 'this server has no HTTP listener yet');
    const send = t.tls ? httpsRequest : httpRequest;
    await new Promise<void>((resolve, reject) => {
      const r = send(
        {
          host: t.host,
          port: t.port,
          method: req.Method,
          path: req.Url,
          headers: { ...(req.Headers ?? {}), connection: 'close' },
          agent: false,
          // The listener is this very process: its certificate needs no checking here.
          ...(t.tls ? { cert: t.tls.cert, key: t.tls.key, rejectUnauthorized: false } : {}),
          signal: ctx.signal,
        },
        (res) => {
          void (async () => {
            await out.write({ Status: res.statusCode ?? 500, Headers: endToEnd(res.headers) } satisfies ForwardedHead);
            for await (const chunk of res) await out.write(new Uint8Array(chunk as Buffer));
          })().then(resolve, reject);
        },
      );
      r.on('error', reject);
      r.end(req.Body ? Buffer.from(req.Body) : undefined);
    });
  };
}

/**
 * The server's side of a forwarded upgrade: the request goes to its own HTTP listener, which
 * routes it as any other (to the node of the allocation, or to another region).
 */
export function httpUpgradeHandler(target: () => LocalHttpTarget | null): RpcDuplexHandler {
  return async (args, data, ctx, out) => {
    const head = parseUpgradeHead(args);
    const t = target();
    if (!t) throw new RpcError('unknown_method', 'this server has no HTTP listener yet');
    const conn: Duplex = t.tls ? tlsConnect({ host: t.host, port: t.port, cert: t.tls.cert, key: t.tls.key, rejectUnauthorized: false }) : netConnect({ host: t.host, port: t.port });
    await serveOverConnection(conn, encodeUpgradeHead(head, `${t.host}:${t.port}`), data, out, ctx.signal);
  };
}

/** What the forwarder needs of the pool: a stream to one address, and a duplex for upgrades. */
export interface StreamPool {
  stream(addr: string, method: string, args: unknown, opts?: RpcCallOptions): AsyncIterable<unknown>;
  duplex(addr: string, method: string, args: unknown, data: AsyncIterable<Uint8Array>, opts?: RpcCallOptions): AsyncIterable<unknown>;
}

/** The client agent's side: sends a request to the first server that answers, and relays its answer. */
export class HttpForwarder {
  constructor(
    private readonly pool: StreamPool,
    private readonly servers: ServerList,
    private readonly logger: RpcLogger,
  ) {}

  forwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    return forwardUpgrade(this.pool, this.servers, req, socket, head);
  }

  async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (body === 'too large') return answer(res, 413, `Request body too large: the limit is ${MAX_BODY_BYTES} bytes`);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const fwd: ForwardedRequest = { Method: req.method ?? 'GET', Url: req.url ?? '/', Headers: endToEnd(req.headers), Body: body };
    const failures: string[] = [];
    for (const addr of this.servers.ordered()) {
      const it = this.pool.stream(addr, HTTP_FORWARD_METHOD, fwd, { signal: abort.signal })[Symbol.asyncIterator]();
      let first: IteratorResult<unknown>;
      try {
        first = await it.next();
      } catch (e) {
        if (abort.signal.aborted) return;
        if (!(e instanceof RpcError)) throw e;
        this.servers.failed(addr);
        // A read may be asked again anywhere; a write only when it certainly never arrived.
        if (!e.notProcessed && fwd.Method !== 'GET' && fwd.Method !== 'HEAD') return answer(res, 500, `the server ${addr} failed while handling the request: ${e.message}`);
        failures.push(`${addr}: ${e.message}`);
        continue;
      }
      if (first.done) return answer(res, 500, `server ${addr} ended the forwarded request without an answer`);
      const head = first.value as ForwardedHead;
      res.writeHead(head.Status, head.Headers);
      res.flushHeaders();
      try {
        for (let n = await it.next(); !n.done; n = await it.next()) {
          if (!res.write(n.value as Uint8Array)) await new Promise((r) => res.once('drain', r));
        }
        res.end();
      } catch (e) {
        if (!abort.signal.aborted) this.logger.warn('forwarded HTTP answer broke off', { server: addr, url: fwd.Url, error: (e as Error).message });
        res.destroy();
      }
      return;
    }
    const known = this.servers.ordered();
    const why = known.length === 0 ? 'no servers known (client.servers, -servers or client.server_join)' : failures.join('; ');
    this.logger.warn('no server could take a forwarded HTTP request', { url: fwd.Url, servers: known.join(','), error: why });
    answer(res, 500, `No path to a server: ${why}`);
  }
}

/** Fails over along the server list while a server proves unreachable, as forward() does. */
async function* firstServerItems(servers: ServerList, open: (addr: string) => AsyncIterable<unknown>, signal: AbortSignal): AsyncIterable<unknown> {
  const failures: string[] = [];
  for (const addr of servers.ordered()) {
    const it = open(addr)[Symbol.asyncIterator]();
    let next: IteratorResult<unknown>;
    try {
      next = await it.next();
    } catch (e) {
      if (signal.aborted) return;
      if (!(e instanceof RpcError) || !e.notProcessed) throw e;
      servers.failed(addr);
      failures.push(`${addr}: ${e.message}`);
      continue;
    }
    try {
      while (!next.done) {
        yield next.value;
        next = await it.next();
      }
    } finally {
      if (!next.done) await it.return?.();
    }
    return;
  }
  throw new Error(`No path to a server: ${failures.length === 0 ? 'no servers known (client.servers, -servers or client.server_join)' : failures.join('; ')}`);
}

function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** Relays an upgrade request (alloc exec) through a server, both ways, until either side closes. */
export function forwardUpgrade(pool: StreamPool, servers: ServerList, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const abort = new AbortController();
  const args = upgradeHeadOf(req);
  const data = socketBytes(socket, head);
  const items = firstServerItems(servers, (addr) => pool.duplex(addr, HTTP_UPGRADE_METHOD, args, data, { signal: abort.signal }), abort.signal);
  return relayToSocket(socket, items, abort);
}

function readBody(req: IncomingMessage): Promise<Uint8Array | null | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) over = true;
      else chunks.push(c as unknown as Uint8Array);
    });
    req.on('error', reject);
    req.on('end', () => resolve(over ? 'too large' : size === 0 ? null : new Uint8Array(Buffer.concat(chunks))));
  });
}
