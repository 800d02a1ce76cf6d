// An in-process server for tests of the HTTP API: the real state store, FSM, in-memory log,
// server (leading, schedulers loaded) and HTTP server on a free loopback port.
import { request, type IncomingMessage } from 'node:http';
import { StateStore } from '../../src/state/store.js';
import { FSM } from '../../src/state/fsm.js';
import { InMemoryConsensus } from '../../src/server/consensus-memory.js';
import { Server, type ServerOptions } from '../../src/server/server.js';
import { HttpServer, type HttpServerOptions } from '../../src/http/http-server.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => any;
}

export interface LiveServer {
  port: number;
  server: Server;
  store: StateStore;
  fsm: FSM;
  call(method: string, path: string, body?: unknown): Promise<Reply>;
  /** Opens a streaming GET and resolves with the response once its headers arrived. */
  open(path: string): Promise<IncomingMessage>;
  close(): Promise<void>;
}

export interface LiveServerOptions {
  server?: Partial<ServerOptions>;
  http?: Partial<HttpServerOptions>;
  eventBufferSize?: number;
}

export async function startLiveServer(opts: LiveServerOptions = {}): Promise<LiveServer> {
  const store = new StateStore();
  const fsm = new FSM(store);
  const consensus = new InMemoryConsensus(fsm, { rpcAddr: '127.0.0.1:4647' });
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
    ...opts.server,
  });
  const leader = new Promise<void>((r) => consensus.onLeadershipChange(() => r()));
  server.start();
  await leader;
  await server.whenSettled();
  const http = new HttpServer({ server, store, client: null, agent: null, port: 0, ...opts.http });
  const port = (await http.listen()).port;
  const open = (path: string): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'GET', path }, resolve);
      req.on('error', reject);
      req.end();
    });
  const call = (method: string, path: string, body?: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks as unknown as Uint8Array[]).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      });
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  return {
    port,
    server,
    store,
    fsm,
    call,
    open,
    async close() {
      await http.close();
      await server.shutdown();
      await consensus.shutdown();
    },
  };
}

/** Reads newline-delimited frames from a stream as they come; `next` waits (bounded) for the next line. */
export class LineReader {
  private buf = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  ended = false;

  constructor(readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      this.buf += c;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      this.waiter?.();
    });
    res.on('end', () => {
      this.ended = true;
      this.waiter?.();
    });
  }

  /** What came after the last newline (a closing message has none). */
  get rest(): string {
    return this.buf;
  }

  async next(timeoutMs = 10_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = null;
          resolve();
        };
      });
    }
    return this.lines.shift()!;
  }

  /** Reads frames until one satisfies `match` (bounded); returns it. */
  async until(match: (frame: any) => boolean, timeoutMs = 10_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.next(Math.max(1, deadline - Date.now()));
      if (line === null) throw new Error('stream ended before a matching frame');
      const frame = JSON.parse(line);
      if (match(frame)) return frame;
    }
  }
}
