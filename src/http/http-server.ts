// The public HTTP API: a node:http server routing /v1/... to handlers that read the state
// store (blocking queries) and call the server's endpoints for writes.
import { createServer, type Server as NodeHttpServer } from 'node:http';
import { TlsFront, type TlsMaterial } from './tls-listener.js';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ClientEndpoints } from '../rpc/client-endpoints.js';
import type { StateStoreView } from '../state/reader.js';
import type { Server } from '../server/server.js';
import { fullLogger, type Logger } from '../server/logger.js';
import type { AgentInfo } from './agent-info.js';
import type { ApiContext, Handler } from './api-context.js';
import { AnswerCache } from './answer-cache.js';
import { SliceQueue } from './slice-queue.js';
import { RouteTable } from './route-table.js';
import { authorizeRequest, requestToken } from './authorize.js';
import { runAsCaller } from '../acl/caller.js';
import { addAclRoutes } from './routes-acl.js';
import { OPEN } from '../acl/need.js';
import type { Authorizer } from '../acl/authorizer.js';
import { Exchange, HttpError } from './exchange.js';
import { requestRegion } from './request-region.js';
import { TunnelEndpoint, forwardToRegion } from './region-tunnel.js';
import type { RpcDuplexHandler, RpcStreamHandler } from '../rpc/types.js';
import { allowsStale, readsReplicatedState } from './read-consistency.js';
import { addJobRoutes } from './routes-jobs.js';
import { addClusterRoutes } from './routes-cluster.js';
import { addAgentRoutes } from './routes-agent.js';
import { addOperatorRoutes } from './routes-operator.js';
import { addClientRoutes } from './routes-client.js';
import { addEventRoutes } from './routes-events.js';
import { addScalingRoutes } from './routes-scaling.js';
import { addSearchRoutes, type SearchLimits } from './routes-search.js';
import { addMonitorRoutes } from './routes-monitor.js';
import { formatDurationNs } from '../structs/time.js';
import { meterRoute, serveMetrics, type MetricsSource } from './metrics.js';
import { noMetrics, type Metrics } from '../structs/metrics.js';
import { addNamespaceRoutes } from './routes-namespaces.js';
import { addPeriodicRoutes } from './routes-periodic.js';
import { addVolumeRoutes } from './routes-volumes.js';
import { takeUpgrade, upgradeResponse } from './exec-websocket.js';
import { clientRequestGoesToServers } from './client-route-owner.js';

const MAX_HEADER_BYTES = 1024 * 1024;

/**
 * What an agent without a server answers itself: its own agent routes (but the members, which
 * are the servers' gossip pool), its client's routes, and its metrics.
 */
function answeredWithoutServer(path: string): boolean {
  const [, , section, what] = path.split('/');
  if (section === 'agent') return what !== 'members';
  return section === 'client' || section === 'metrics';
}

/** Stands in for the server or store an agent does not run: any use is a bug, and says so. */
function absent<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_t, key) => {
      throw new Error(`this agent runs no server: the ${what} is not here (reading ${String(key)})`);
    },
  });
}

/** Chunked is the one transfer coding understood (as in Go's server): a body in any other is refused. */
function transferEncodingSupported(te: string | undefined): boolean {
  if (te === undefined) return true;
  return te.split(',').every((coding) => coding.trim().toLowerCase() === 'chunked');
}

/**
 * A request that could not be parsed gets an answer that says why (as Go's server gives one),
 * not a silent reset: 431 when the request line and headers pass the bound, 400 otherwise.
 */
function answerMalformedRequest(err: Error & { code?: string; reason?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  const body = tooLarge ? status : `${status}: ${err.reason ?? err.message}`;
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export interface HttpServerOptions {
  /** The agent's server; null on an agent that runs only a client, which forwards (below). */
  server: Server | null;
  store: StateStoreView | null;
  /**
   * An agent without a server answers what concerns itself (its agent and client routes) and
   * sends every other request here, to be answered by a server of the region.
   */
  forward?: ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>) | null;
  /** How such an agent passes an upgrade request (alloc exec) on: its socket, relayed both ways. */
  forwardUpgrade?: ((req: import('node:http').IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>) | null;
  /** The agent's region: a client route asked for another is answered there (agents without a server). */
  region?: string;
  client: ClientEndpoints | null;
  agent: AgentInfo | null;
  logger?: Partial<Logger>;
  /** Where the API's own measurements go, and what /v1/metrics shows (the agent's telemetry). */
  metrics?: Metrics;
  metricsSource?: MetricsSource | null;
  /** Address to bind (default 127.0.0.1) and port (default 4646; 0 picks a free one). */
  bind?: string;
  port?: number;
  /** Token resolution when ACLs are on; null or absent when they are off. */
  acl?: Authorizer | null;
  /** Serve HTTPS with these certificates (plain HTTP when absent). */
  tls?: TlsMaterial | null;
  /** Time between the event stream's heartbeat frames (Nomad's 10 s unless a test shortens it). */
  eventHeartbeatMs?: number;
  /** Read work per turn of the event loop (DEFAULT_SLICE_BUDGET_MS unless a test shortens it). */
  sliceBudgetMs?: number;
  /** The server's `search` block (Nomad's defaults when absent). */
  search?: SearchLimits;
}

export class HttpServer {
  private readonly api: ApiContext;
  private readonly routes = new RouteTable();
  private readonly http: NodeHttpServer;
  private readonly tlsFront: TlsFront | null;
  /** Requests other regions send here: served by these routes over in-memory connections. */
  /** Serves requests from other regions; none on an agent without a server (it forwards instead). */
  private readonly tunnel: TunnelEndpoint | null;
  private readonly metrics: Metrics;
  private readonly metricsSource: MetricsSource | null;
  private readonly upgraded = new Set<Duplex>();
  /** Later slices of large answers, shared by all requests of this server. */
  private readonly slices: SliceQueue;
  private readonly bind: string;
  private readonly port: number;
  private readonly forward: HttpServerOptions['forward'] | null;
  private readonly forwardUpgrade: HttpServerOptions['forwardUpgrade'] | null;
  private readonly region: string;

  constructor(opts: HttpServerOptions) {
    if ((opts.server === null || opts.store === null) && !opts.forward) throw new Error('an HTTP API without a server must forward to one');
    this.slices = new SliceQueue(opts.sliceBudgetMs);
    this.forward = opts.server === null || opts.store === null ? (opts.forward ?? null) : null;
    this.forwardUpgrade = this.forward ? (opts.forwardUpgrade ?? null) : null;
    this.region = opts.region ?? opts.server?.region ?? '';
    this.api = {
      hasServer: this.forward === null,
      server: opts.server ?? absent<Server>('server'),
      store: opts.store ?? absent<StateStoreView>('state store'),
      client: opts.client,
      agent: opts.agent,
      logger: fullLogger(opts.logger),
      acl: opts.acl ?? null,
      nodeTls: opts.tls ?? null,
      answers: new AnswerCache(),
    };
    this.metrics = opts.metrics ?? noMetrics;
    this.metricsSource = opts.metricsSource ?? null;
    this.bind = opts.bind ?? '127.0.0.1';
    this.port = opts.port ?? 4646;
    addJobRoutes(this.routes);
    addClusterRoutes(this.routes);
    addAgentRoutes(this.routes);
    addOperatorRoutes(this.routes);
    addClientRoutes(this.routes);
    addAclRoutes(this.routes);
    addNamespaceRoutes(this.routes);
    addPeriodicRoutes(this.routes);
    addVolumeRoutes(this.routes);
    addEventRoutes(this.routes, { heartbeatMs: opts.eventHeartbeatMs });
    addScalingRoutes(this.routes);
    addSearchRoutes(this.routes, opts.search);
    addMonitorRoutes(this.routes);
    this.routes.add(['GET'], '/v1/metrics', OPEN, (x) => serveMetrics(x, this.metricsSource));
    const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => void this.handle(req, res);
    // Go's default bound on the request line and headers together, which Nomad keeps: a long
    // token or job ID in the URL must fit.
    this.tlsFront = opts.tls ? new TlsFront(opts.tls, handler, this.api.logger, MAX_HEADER_BYTES) : null;
    this.http = this.tlsFront ? this.tlsFront.https : createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler);
    this.http.on('clientError', answerMalformedRequest);
    // A client that half-closes its side after the request (shutdown for writing, as some
    // scripts do) still gets its answer, then the connection closes, as Go's server does. Node's
    // default ends the socket at the client's FIN, dropping an answer that comes a turn later
    // (reads are answered from the slice queue). The property is Node's own, left undocumented.
    (this.http as { httpAllowHalfOpen?: boolean }).httpAllowHalfOpen = true;
    // WebSocket upgrades (alloc exec) go through the same routing and authorization; a route
    // that does not take over the socket answers on it as on any request.
    const onUpgrade = (req: import('node:http').IncomingMessage, socket: Duplex, head: Buffer): void => {
      // Upgraded sockets leave the server's bookkeeping: close() ends them itself.
      this.upgraded.add(socket);
      socket.once('close', () => this.upgraded.delete(socket));
      void this.handle(req, upgradeResponse(req, socket, head));
    };
    if (opts.server) {
      const tunnelHttp = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler);
      tunnelHttp.on('upgrade', onUpgrade);
      tunnelHttp.requestTimeout = 0;
      this.tunnel = new TunnelEndpoint({ http: tunnelHttp, region: opts.server.region, regions: opts.server.regions, logger: this.api.logger });
    } else this.tunnel = null;
    this.http.on('upgrade', onUpgrade);
    // Blocking queries hold a request up to 10m (plus jitter): keep Node's own timeouts out of the way.
    this.http.requestTimeout = 0;
    this.http.headersTimeout = 60_000;
    this.http.keepAliveTimeout = 30_000;
  }

  listen(): Promise<{ port: number }> {
    if (this.tlsFront) return this.tlsFront.listen(this.port, this.bind).then((a) => ({ port: a.port }));
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.port, this.bind, () => {
        this.http.off('error', reject);
        resolve({ port: (this.http.address() as AddressInfo).port });
      });
    });
  }

  /** Replaces the HTTPS certificates for new connections (SIGHUP). */
  reloadTls(material: TlsMaterial): void {
    if (!this.tlsFront) throw new Error('the HTTP API does not serve TLS');
    this.tlsFront.reload(material);
  }

  /** The RPC stream handler that serves requests from other regions ("Region.Http"). */
  regionRequestHandler(): RpcStreamHandler {
    const tunnel = this.tunnel;
    if (!tunnel) throw new Error('this agent runs no server: requests from other regions go to the servers');
    return (args, ctx, out) => tunnel.serve(args, ctx, out);
  }

  /** The RPC duplex handler that serves upgrade requests (alloc exec) from other regions ("Region.Upgrade"). */
  regionUpgradeHandler(): RpcDuplexHandler {
    const tunnel = this.tunnel;
    if (!tunnel) throw new Error('this agent runs no server: requests from other regions go to the servers');
    return (args, data, ctx, out) => tunnel.serveUpgrade(args, data, ctx, out);
  }

  /** Requests from other regions being served now. */
  regionRequestsInFlight(): number {
    return this.tunnel?.inFlight ?? 0;
  }

  close(): Promise<void> {
    this.tunnel?.closeAll();
    for (const s of this.upgraded) s.destroy();
    if (this.tlsFront) return this.tlsFront.close();
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      // Blocking queries and log streams would otherwise hold the close for minutes.
      this.http.closeAllConnections();
    });
  }

  private async handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    if (!transferEncodingSupported(req.headers['transfer-encoding'])) {
      // The body is in an encoding not understood: answer before anything reads it.
      const text = 'Unsupported transfer encoding';
      res.writeHead(501, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(text.length), Connection: 'close' });
      res.end(text);
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    if (this.forward && (!answeredWithoutServer(path) || (path.startsWith('/v1/client/') && clientRequestGoesToServers(req, this.api.client, this.region)))) {
      const upgrade = this.forwardUpgrade ? takeUpgrade(req, res) : null;
      if (upgrade) {
        await this.forwardUpgrade!(req, upgrade.socket, upgrade.head).catch((e: Error) => {
          this.api.logger.warn('forwarding an upgrade request failed', { path, error: e.message });
          upgrade.socket.destroy();
        });
        return;
      }
      await this.forward(req, res).catch((e: Error) => {
        this.api.logger.warn('forwarding an HTTP request failed', { path, error: e.message });
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(e.message);
      });
      return;
    }
    const match = this.routes.match(method, path);
    // A write is applied ahead of the reads already queued (see SliceQueue.giveWay).
    if (method !== 'GET') this.slices.giveWay();
    const startedMs = performance.now();
    const x = new Exchange(req, res, match?.params ?? {}, this.slices);
    try {
      if (!match) throw new HttpError(404, 'Invalid URL path');
      if (!match.handler) {
        res.setHeader('Allow', match.allowed.join(', '));
        throw new HttpError(405, 'Invalid method');
      }
      // A request for another region is served there; one that came from another region is ours.
      // (An agent without a server answers only its own routes: the others went to a server.)
      if (this.tunnel && !this.tunnel.carries(req)) {
        const region = await requestRegion(x, this.api, match.handler.regionFrom);
        if (region !== this.api.server.region) {
          await forwardToRegion(x, this.api.server.regions, region);
          return;
        }
      }
      const done = meterRoute(this.metrics, method, match.pattern);
      try {
        // The barrier first: a token created on the leader a moment ago is known here too.
        // (On the leader the barrier is passed at once: no signal is made for it.)
        if (readsReplicatedState(method, path) && !this.api.server.isLeader()) await this.api.server.readBarrier(allowsStale(x.query), x.signal);
        const acl = authorizeRequest(x, this.api, match.handler);
        x.acl = acl instanceof Promise ? await acl : acl;
        // With ACLs on, the caller's secret goes along: a call this server forwards to the leader carries it.
        if (this.api.acl) await runAsCaller(requestToken(x), () => match.handler!.handle(x, this.api));
        else await match.handler.handle(x, this.api);
      } finally {
        done?.();
      }
    } catch (e) {
      if (!(e instanceof HttpError)) this.api.logger.debug('http request failed', { method, path, error: e instanceof Error ? e.message : String(e) });
      await x.sendError(e).catch(() => res.destroy());
    }
    // As Nomad's agent logs every request at debug level (what `nomad monitor` shows).
    this.api.logger.debug('request complete', { method, path: req.url ?? path, duration: formatDurationNs(Math.round((performance.now() - startedMs) * 1e6)) });
  }

  /** The routes with their declared needs (tests walk them). */
  routeTable(): RouteTable {
    return this.routes;
  }
}
