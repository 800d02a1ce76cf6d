// An in-process API for HTTP-layer tests: StateStore + FSM + InMemoryConsensus + Server +
// HttpServer on a free port, and a raw node:http client that shows exactly what was answered.
import { request, type IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { StateStore } from '../../src/state/store.js';
import { FSM } from '../../src/state/fsm.js';
import { InMemoryConsensus } from '../../src/server/consensus-memory.js';
import { Server, type ServerOptions } from '../../src/server/server.js';
import { HttpServer, type HttpServerOptions } from '../../src/http/http-server.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => any;
}

export interface InProcessApi {
  port: number;
  server: Server;
  http: HttpServer;
  consensus: InMemoryConsensus;
  store: StateStore;
  fsm: FSM;
  /** The API's metrics, Prometheus on; collectOnce() publishes the server's gauges. */
  telemetry: Telemetry;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** Opens a streaming GET and resolves with the response once its headers arrived. */
  open(path: string): Promise<IncomingMessage>;
  close(): Promise<void>;
}

export interface InProcessApiOptions {
  server?: Partial<ServerOptions>;
  http?: Partial<HttpServerOptions>;
  /** Batches of events the server keeps for the event stream. */
  eventBufferSize?: number;
}

export async function startInProcessApi(opts: InProcessApiOptions = {}): Promise<InProcessApi> {
  const startedMs = Date.now();
  const telemetry = new Telemetry({
    config: {
      collectionIntervalMs: 1_000,
      inMemoryCollectionIntervalMs: 10_000,
      inMemoryRetentionPeriodMs: 60_000,
      prometheusMetrics: true,
      disableHostname: false,
      useNodeName: false,
      filterDefault: true,
      prefixFilter: [],
      statsdAddress: '',
      statsiteAddress: '',
      datadogAddress: '',
      datadogTags: [],
    },
    hostname: 'test-host',
    nodeName: 'test',
    // One in-memory interval for the whole test: what a test records is what /v1/metrics shows,
    // whichever wall-clock interval boundary the test happens to cross.
    intervalNowMs: () => startedMs,
    onSinkError: (m) => {
      throw new Error(m);
    },
    onCollectorError: (name, e) => {
      throw new Error(`collector ${name}: ${String(e)}`);
    },
  });
  const metrics = telemetry.metrics;
  const store = new StateStore();
  const fsm = new FSM(store, { metrics });
  const consensus = new InMemoryConsensus(fsm, { rpcAddr: '127.0.0.1:4647', metrics });
  const server = new Server({
    region: 'global',
    datacenter: 'dc1',
    nodeName: 'test',
    store,
    applied: fsm,
    events: { feed: fsm, bufferSize: opts.eventBufferSize ?? 100 },
    consensus,
    rpcAddr: '127.0.0.1:4647',
    numSchedulers: 1,
    heartbeat: { minHeartbeatTtlMs: 60_000, heartbeatGraceMs: 10_000, random: () => 0 },
    metrics,
    ...opts.server,
  });
  telemetry.addCollector('server', () => server.emitMetrics());
  const leader = new Promise<void>((r) => consensus.onLeadershipChange(() => r()));
  server.start();
  await leader;
  await server.whenSettled();
  const http = new HttpServer({ server, store, client: null, agent: null, port: 0, metrics, metricsSource: telemetry, ...opts.http });
  const port = (await http.listen()).port;
  return {
    port,
    server,
    http,
    consensus,
    store,
    fsm,
    telemetry,
    call: (method, path, body, headers = {}) => call(port, method, path, body, headers),
    open: (path) =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method: 'GET', path }, resolve);
        req.on('error', reject);
        req.end();
      }),
    async close() {
      await http.close();
      await server.shutdown();
      await consensus.shutdown();
      await telemetry.close();
    },
  };
}

function call(port: number, method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let buf = Buffer.concat(chunks as unknown as Uint8Array[]);
        if (res.headers['content-encoding'] === 'gzip') buf = gunzipSync(buf as unknown as Uint8Array);
        const text = buf.toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A small valid service job in the API's JSON shape. */
export function jobInput(id = 'example', count = 1): Record<string, unknown> {
  return {
    ID: id,
    Name: id,
    Type: 'service',
    Datacenters: ['dc1'],
    TaskGroups: [{ Name: 'cache', Count: count, Tasks: [{ Name: 'redis', Driver: 'raw_exec', Config: { command: '/bin/sh' }, Resources: { CPU: 100, MemoryMB: 64 } }] }],
  };
}
