// The public HTTP API: a node:http server routing /v1/... to handlers that read the state
// store (blocking queries) and call the server's endpoints for writes.
import { createServer, type Server as NodeHttpServer } from 'node:http';
import { TlsFront, type TlsMaterial } from './tls-listener.js';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { ClientEndpoints } from '../rpc/client-endpoints.js';
import type { StateStoreView } from '../state/reader.js';
import type { Server } from '../server/server.js';
import { fullLogger, type Logger } from '../server/logger.js';
import type { AgentInfo } from './agent-info.js';
import type { ApiContext, Handler } from './api-context.js';
import { Exchange, HttpError } from './exchange.js';
import { RouteTable } from './route-table.js';
import { authorizeRequest } from './authorize.js';
import { addAclRoutes } from './routes-acl.js';
import { OPEN } from '../acl/need.js';
import type { TokenResolver } from '../acl/resolver.js';
import { allowsStale, readsReplicatedState } from './read-consistency.js';
import { addJobRoutes } from './routes-jobs.js';
import { addClusterRoutes } from './routes-cluster.js';
import { addAgentRoutes } from './routes-agent.js';
import { addClientRoutes } from './routes-client.js';
import { RequestCounters, metricsJson } from './metrics.js';
import type { Registry } from 'prom-client';

export interface HttpServerOptions {
  server: Server;
  store: StateStoreView;
  client: ClientEndpoints | null;
  agent: AgentInfo | null;
  logger?: Partial<Logger>;
  /** Address to bind (default 127.0.0.1) and port (default 4646; 0 picks a free one). */
  bind?: string;
  port?: number;
  /** Token resolution when ACLs are on; null or absent when they are off. */
  acl?: TokenResolver | null;
  /** Serve HTTPS with these certificates (plain HTTP when absent). */
  tls?: TlsMaterial | null;
}

export class HttpServer {
  private readonly api: ApiContext;
  private readonly routes = new RouteTable();
  private readonly http: NodeHttpServer;
  private readonly tlsFront: TlsFront | null;
  private readonly counters = new RequestCounters();
  private promRegistry: Registry | null = null;
  private readonly bind: string;
  private readonly port: number;

  constructor(opts: HttpServerOptions) {
    this.api = { server: opts.server, store: opts.store, client: opts.client, agent: opts.agent, logger: fullLogger(opts.logger), acl: opts.acl ?? null };
    this.bind = opts.bind ?? '127.0.0.1';
    this.port = opts.port ?? 4646;
    addJobRoutes(this.routes);
    addClusterRoutes(this.routes);
    addAgentRoutes(this.routes);
    addClientRoutes(this.routes);
    addAclRoutes(this.routes);
    this.routes.add(['GET'], '/v1/metrics', OPEN, (x, api) => this.metrics(x, api));
    const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => void this.handle(req, res);
    this.tlsFront = opts.tls ? new TlsFront(opts.tls, handler, this.api.logger) : null;
    this.http = this.tlsFront ? this.tlsFront.https : createServer(handler);
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

  close(): Promise<void> {
    if (this.tlsFront) return this.tlsFront.close();
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      // Blocking queries and log streams would otherwise hold the close for minutes.
      this.http.closeAllConnections();
    });
  }

  private async handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const match = this.routes.match(method, path);
    const x = new Exchange(req, res, match?.params ?? {});
    try {
      if (!match) throw new HttpError(404, 'Invalid URL path');
      if (!match.handler) {
        res.setHeader('Allow', match.allowed.join(', '));
        throw new HttpError(405, 'Invalid method');
      }
      this.counters.add(`nomad.http.${method}.${path.split('/')[2] ?? ''}`);
      // The barrier first: a token created on the leader a moment ago is known here too.
      if (readsReplicatedState(method, path)) await this.api.server.readBarrier(allowsStale(x.query), x.signal);
      const acl = authorizeRequest(x, this.api, match.handler);
      x.acl = acl instanceof Promise ? await acl : acl;
      await match.handler.handle(x, this.api);
    } catch (e) {
      if (!(e instanceof HttpError)) this.api.logger.debug('http request failed', { method, path, error: e instanceof Error ? e.message : String(e) });
      await x.sendError(e).catch(() => res.destroy());
    }
  }

  /** The routes with their declared needs (tests walk them). */
  routeTable(): RouteTable {
    return this.routes;
  }

  private async metrics(x: Exchange, api: ApiContext): Promise<void> {
    const host = hostname();
    if (x.query.get('format') === 'prometheus') {
      this.promRegistry ??= (await import('./metrics-prometheus.js')).prometheusRegistry(api.server, host);
      const text = await this.promRegistry.metrics();
      await x.sendText(200, this.promRegistry.contentType, text);
      return;
    }
    await x.sendJson(200, metricsJson(api.server, host, this.counters));
  }
}
