// HTTP requests for another region. The agent that receives one sends it whole (method, path,
// headers, body) over RPC to a live server of that region (Server.regions picks it), as the
// stream "Region.Http": that server hands it to its own HTTP server over an in-memory socket, so
// it is served exactly as if it had come from the network there (ACLs, reads that catch up with
// the leader, writes forwarded to the leader, blocking queries, log streams), and streams the
// answer back: first the status and headers, then the body as it is written. A slow reader slows
// the writer through the RPC stream's flow control; a caller that goes away cancels the stream,
// which closes the request on the far side.
import { request as httpRequest, type IncomingHttpHeaders, type Server as NodeHttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { NomadError, badRequest } from '../structs/errors.js';
import type { RpcRequestContext, RpcStreamWriter } from '../rpc/types.js';
import type { RegionForwarder } from '../server/region-forwarder.js';
import type { Logger } from '../server/logger.js';
import { HttpError, type Exchange } from './exchange.js';
import { memorySocketPair } from './memory-socket.js';
import { takeUpgrade } from './exec-websocket.js';
import { encodeUpgradeHead, parseUpgradeHead, relayToSocket, serveOverConnection, socketBytes, upgradeHeadOf, type UpgradeHead } from './upgrade-relay.js';

export const REGION_HTTP_METHOD = 'Region.Http';
/** An upgrade request (alloc exec) for another region: a duplex of raw bytes (upgrade-relay.ts). */
export const REGION_UPGRADE_METHOD = 'Region.Upgrade';

/** An upgrade request as it travels to the region that serves it. */
export interface TunnelUpgrade {
  Region: string;
  Head: UpgradeHead;
}

/**
 * Bound on a forwarded request's body: it travels as one RPC message (64 MiB at most), and no
 * API body comes near it except a snapshot restore.
 */
export const MAX_FORWARDED_BODY_BYTES = 32 * 1024 * 1024;

/** A request as it travels to the region that serves it. */
export interface TunnelRequest {
  Region: string;
  Method: string;
  /** Path and query, ?region= naming the region that serves it. */
  Path: string;
  Headers: Record<string, string>;
  Body: Uint8Array;
}

/** The first item of the answer; the body's bytes follow as further items. */
export interface TunnelHead {
  Status: number;
  Headers: Record<string, string | string[]>;
}

/** Headers of one connection, not of the request or answer: never passed on. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);
const HOP_ANSWER_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'trailer', 'upgrade']);

/** Sends the exchange's request to `region` and answers with what a server there answered. */
export async function forwardToRegion(x: Exchange, regions: Pick<RegionForwarder, 'stream' | 'duplex'>, region: string): Promise<void> {
  // A WebSocket session (alloc exec) needs both directions: its bytes travel as a duplex exchange.
  const upgrade = takeUpgrade(x.req, x.res);
  if (upgrade) {
    const abort = new AbortController();
    const args: TunnelUpgrade = { Region: region, Head: upgradeHeadOf(x.req, pathFor(x.req.url ?? '/', region)) };
    const items = regions.duplex(region, REGION_UPGRADE_METHOD, args, socketBytes(upgrade.socket, upgrade.head), { signal: abort.signal });
    return relayToSocket(upgrade.socket, items, abort);
  }
  const body = await x.rawBody(MAX_FORWARDED_BODY_BYTES);
  const tunnelled: TunnelRequest = { Region: region, Method: x.req.method ?? 'GET', Path: pathFor(x.req.url ?? '/', region), Headers: requestHeaders(x.req.headers), Body: new Uint8Array(body.buffer, body.byteOffset, body.length) };
  const items = regions.stream(region, REGION_HTTP_METHOD, tunnelled, { signal: x.signal })[Symbol.asyncIterator]();
  let done = false;
  try {
    const first = await items.next();
    if (first.done) throw new NomadError('internal', `region "${region}" sent no answer`);
    const head = parseHead(first.value);
    const res = x.res;
    res.statusCode = head.Status;
    for (const [name, value] of Object.entries(head.Headers)) if (!HOP_ANSWER_HEADERS.has(name)) res.setHeader(name, value);
    // An answer of unknown length may be a stream (logs, a blocking query's answer): the headers go now.
    if (head.Headers['content-length'] === undefined) res.flushHeaders();
    for (;;) {
      const next = await items.next();
      if (next.done) break;
      if (!(next.value instanceof Uint8Array)) throw new NomadError('internal', `region "${region}" sent a malformed answer`);
      if (!res.write(next.value)) await drained(x);
    }
    done = true;
    res.end();
  } finally {
    if (!done) await items.return?.().catch(() => undefined);
  }
}

/** The request's path and query, with ?region= naming `region` (the far side serves it as its own). */
function pathFor(url: string, region: string): string {
  const u = new URL(url, 'http://localhost');
  if (u.searchParams.get('region') === region) return url;
  u.searchParams.set('region', region);
  return u.pathname + u.search;
}

function requestHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_HEADERS.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseHead(v: unknown): TunnelHead {
  const h = v as Partial<TunnelHead> | null;
  if (!h || typeof h.Status !== 'number' || h.Headers === null || typeof h.Headers !== 'object') throw new NomadError('internal', 'malformed answer from another region');
  return h as TunnelHead;
}

function drained(x: Exchange): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      x.res.off('drain', done);
      x.res.off('close', done);
      resolve();
    };
    x.res.once('drain', done);
    x.res.once('close', done);
  });
}

export interface TunnelEndpointOptions {
  /** Where requests are served: an HTTP server of this agent's routes, not listening itself. */
  http: NodeHttpServer;
  region: string;
  /** To pass on a request that reached this server with another region's name. */
  regions: Pick<RegionForwarder, 'stream' | 'duplex'>;
  logger: Logger;
}

/** The receiving side: serves requests other regions send here, through this agent's own HTTP server. */
export class TunnelEndpoint {
  /** The in-memory connections of requests being served. */
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly opts: TunnelEndpointOptions) {}

  /** Requests from other regions being served now. */
  get inFlight(): number {
    return this.sockets.size;
  }

  /** True for a request that came from another region: it is served here, never sent on again. */
  carries(req: IncomingMessage): boolean {
    return this.sockets.has(req.socket);
  }

  /** The "Region.Http" stream handler. */
  async serve(args: unknown, ctx: Pick<RpcRequestContext, 'signal'>, out: RpcStreamWriter): Promise<void> {
    const r = parseRequest(args);
    if (r.Region !== this.opts.region) {
      // The sender's view of the pool is behind: pass it on to the region it names.
      for await (const item of this.opts.regions.stream(r.Region, REGION_HTTP_METHOD, r, { signal: ctx.signal })) await out.write(item);
      return;
    }
    const [clientEnd, serverEnd] = memorySocketPair();
    this.sockets.add(serverEnd);
    serverEnd.once('close', () => this.sockets.delete(serverEnd));
    this.opts.http.emit('connection', serverEnd);
    const headers: Record<string, string> = { ...r.Headers, host: 'region-forward' };
    if (r.Body.length > 0) headers['content-length'] = String(r.Body.length);
    await new Promise<void>((resolve, reject) => {
      // Node's HTTP client speaks over any duplex stream; the socket type is only what it names.
      const req = httpRequest({ createConnection: () => clientEnd as unknown as Socket, method: r.Method, path: r.Path, headers });
      const onAbort = (): void => {
        req.destroy();
        resolve();
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => {
        ctx.signal.removeEventListener('abort', onAbort);
        reject(e);
      });
      req.on('response', (res) => {
        relay(res, out).then(
          () => {
            ctx.signal.removeEventListener('abort', onAbort);
            resolve();
          },
          (e: unknown) => {
            ctx.signal.removeEventListener('abort', onAbort);
            req.destroy();
            reject(e);
          },
        );
      });
      req.end(r.Body.length > 0 ? r.Body : undefined);
    });
  }

  /** The "Region.Upgrade" duplex handler: an upgrade request (alloc exec) served by this agent's routes. */
  async serveUpgrade(args: unknown, data: AsyncIterable<Uint8Array>, ctx: Pick<RpcRequestContext, 'signal'>, out: RpcStreamWriter): Promise<void> {
    const a = args as Partial<TunnelUpgrade> | null;
    if (!a || typeof a.Region !== 'string' || a.Region === '') throw badRequest('malformed upgrade from another region: Region must name a region', 'Region');
    const head = parseUpgradeHead(a.Head);
    if (a.Region !== this.opts.region) {
      for await (const item of this.opts.regions.duplex(a.Region, REGION_UPGRADE_METHOD, { Region: a.Region, Head: head }, data, { signal: ctx.signal })) await out.write(item);
      return;
    }
    const [clientEnd, serverEnd] = memorySocketPair();
    this.sockets.add(serverEnd);
    serverEnd.once('close', () => this.sockets.delete(serverEnd));
    this.opts.http.emit('connection', serverEnd);
    await serveOverConnection(clientEnd, encodeUpgradeHead(head, 'region-forward'), data, out, ctx.signal);
  }

  /** Ends every request being served (the agent is shutting down). */
  closeAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}

async function relay(res: IncomingMessage, out: RpcStreamWriter): Promise<void> {
  const head: TunnelHead = { Status: res.statusCode ?? 500, Headers: {} };
  for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) head.Headers[name] = value;
  await out.write(head);
  for await (const chunk of res) await out.write(chunk as Uint8Array);
}

function parseRequest(args: unknown): TunnelRequest {
  const r = args as Partial<TunnelRequest> | null;
  if (!r || typeof r !== 'object') throw badRequest('malformed request from another region: want an object', 'body');
  if (typeof r.Region !== 'string' || r.Region === '') throw badRequest('malformed request from another region: Region must name a region', 'Region');
  if (typeof r.Method !== 'string' || !/^[A-Z]+$/.test(r.Method)) throw badRequest('malformed request from another region: Method must be an HTTP method', 'Method');
  if (typeof r.Path !== 'string' || !r.Path.startsWith('/')) throw badRequest('malformed request from another region: Path must start with "/"', 'Path');
  const headers = r.Headers;
  if (!headers || typeof headers !== 'object' || !Object.values(headers).every((v) => typeof v === 'string')) throw badRequest('malformed request from another region: Headers must map names to strings', 'Headers');
  if (!(r.Body instanceof Uint8Array)) throw badRequest('malformed request from another region: Body must be bytes', 'Body');
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_HEADERS.has(k.toLowerCase())) clean[k.toLowerCase()] = v as string;
  return { Region: r.Region, Method: r.Method, Path: r.Path, Headers: clean, Body: r.Body };
}
