// The HTTP transport: node:http(s) with keep-alive, query options, Nomad's index headers, and
// failures turned into ApiError / TransportError. Idle keep-alive sockets are unref'd by node,
// so a finished CLI command exits without closing the client.
import http from 'node:http';
import type https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { ApiConfig, ApiTlsConfig } from './config.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, TransportError, describeSocketError } from './errors.js';
import type { Answer, QueryMeta, QueryOptions, WriteMeta, WriteOptions } from './query.js';

/**
 * node:https (and with it tls and crypto) is loaded only for an https address: it is a tenth of
 * what a CLI command costs to start, and most talk plain HTTP to a local agent.
 */
let httpsModule: typeof https | null = null;
function httpsLib(): typeof https {
  return (httpsModule ??= createRequire(import.meta.url)('node:https') as typeof https);
}

/** Largest body we buffer in memory; anything bigger must be streamed. */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;

export interface RawResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

export class HttpTransport {
  readonly config: ApiConfig;
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(config: ApiConfig) {
    this.config = config;
    this.base = new URL(config.address);
    const opts = { keepAlive: true, maxSockets: 16 };
    this.agent = this.base.protocol === 'https:' ? new (httpsLib().Agent)({ ...opts, ...tlsAgentOptions(config.tls) }) : new http.Agent(opts);
  }

  close(): void {
    this.agent.destroy();
  }

  /** Builds the full URL with region/namespace defaults and the given options. */
  url(path: string, q: QueryOptions | WriteOptions = {}): URL {
    const u = new URL(path, this.base);
    const region = q.region ?? this.config.region;
    const namespace = q.namespace ?? this.config.namespace;
    if (region) u.searchParams.set('region', region);
    if (namespace) u.searchParams.set('namespace', namespace);
    const qo = q as QueryOptions;
    if (qo.index !== undefined && qo.index > 0) u.searchParams.set('index', String(qo.index));
    if (qo.waitMs !== undefined && qo.waitMs > 0) u.searchParams.set('wait', `${Math.round(qo.waitMs)}ms`);
    if (qo.prefix) u.searchParams.set('prefix', qo.prefix);
    if (qo.stale) u.searchParams.set('stale', '');
    for (const [k, v] of Object.entries(q.params ?? {})) u.searchParams.set(k, v);
    return u;
  }

  async query<T>(path: string, q: QueryOptions = {}): Promise<Answer<T>> {
    const started = Date.now();
    const res = await this.send('GET', this.url(path, q), undefined, (q.waitMs ?? 0) + this.config.requestTimeoutMs);
    return { body: parseJson<T>(res.text, path), meta: queryMeta(res, started) };
  }

  /** GET returning the body as text (for endpoints answering text/plain). */
  async queryText(path: string, q: QueryOptions = {}): Promise<Answer<string>> {
    const started = Date.now();
    const res = await this.send('GET', this.url(path, q), undefined, (q.waitMs ?? 0) + this.config.requestTimeoutMs);
    return { body: res.text, meta: queryMeta(res, started) };
  }

  async write<T>(method: Method, path: string, body: unknown, w: WriteOptions = {}): Promise<{ body: T; meta: WriteMeta }> {
    const started = Date.now();
    const res = await this.send(method, this.url(path, w), body, this.config.requestTimeoutMs);
    const parsed = res.text.trim() === '' ? (null as T) : parseJson<T>(res.text, path);
    return { body: parsed, meta: { lastIndex: headerInt(res.headers['x-nomad-index']), requestTimeMs: Date.now() - started } };
  }

  /** Opens a streaming GET; the caller reads (and may destroy) the response. */
  stream(path: string, q: QueryOptions = {}, signal?: AbortSignal): Promise<IncomingMessage> {
    const u = this.url(path, q);
    return new Promise((resolve, reject) => {
      const req = this.lib().request(u, { method: 'GET', agent: this.agent, headers: this.headers(), signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(res);
        readAll(res).then((text) => reject(new ApiError(status, text)), reject);
      });
      req.on('error', (err) => reject(this.transportError('GET', u, err as NodeJS.ErrnoException)));
      req.end();
    });
  }

  /** GET of a binary answer (a snapshot archive), with its headers. */
  async queryBytes(path: string, q: QueryOptions = {}): Promise<{ body: Uint8Array; headers: http.IncomingHttpHeaders; meta: QueryMeta }> {
    const started = Date.now();
    const res = await this.exchange('GET', this.url(path, q), undefined, this.config.requestTimeoutMs, true);
    const raw: RawResponse = { statusCode: res.statusCode, headers: res.headers, text: '' };
    return { body: res.bytes, headers: res.headers, meta: queryMeta(raw, started) };
  }

  /** A write whose body is bytes (a snapshot archive to restore). */
  async writeBytes(method: Method, path: string, bytes: Uint8Array, w: WriteOptions = {}): Promise<{ meta: WriteMeta }> {
    const started = Date.now();
    const res = await this.exchange(method, this.url(path, w), { bytes, contentType: 'application/octet-stream' }, this.config.requestTimeoutMs, false);
    return { meta: { lastIndex: headerInt(res.headers['x-nomad-index']), requestTimeMs: Date.now() - started } };
  }

  private async send(method: Method, u: URL, body: unknown, timeoutMs: number): Promise<RawResponse> {
    const payload = body === undefined ? undefined : { bytes: new Uint8Array(Buffer.from(JSON.stringify(body))), contentType: 'application/json' };
    const res = await this.exchange(method, u, payload, timeoutMs, false);
    return { statusCode: res.statusCode, headers: res.headers, text: res.text };
  }

  private exchange(
    method: Method,
    u: URL,
    payload: { bytes: Uint8Array; contentType: string } | undefined,
    timeoutMs: number,
    binary: boolean,
  ): Promise<{ statusCode: number; headers: http.IncomingHttpHeaders; text: string; bytes: Uint8Array }> {
    const headers = this.headers();
    if (payload) {
      headers['Content-Type'] = payload.contentType;
      headers['Content-Length'] = String(payload.bytes.length);
    }
    return new Promise((resolve, reject) => {
      const req = this.lib().request(u, { method, agent: this.agent, headers }, (res) => {
        const statusCode = res.statusCode ?? 0;
        const ok = statusCode >= 200 && statusCode < 300;
        if (binary && ok) {
          readBytes(res).then((bytes) => resolve({ statusCode, headers: res.headers, text: '', bytes }), reject);
          return;
        }
        readAll(res).then((text) => {
          if (!ok) return reject(new ApiError(statusCode, text));
          resolve({ statusCode, headers: res.headers, text, bytes: new Uint8Array(0) });
        }, reject);
      });
      req.setTimeout(timeoutMs, () => {
        req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
      });
      req.on('error', (err) => reject(this.transportError(method, u, err as NodeJS.ErrnoException)));
      req.end(payload?.bytes);
    });
  }

  /**
   * Opens a WebSocket to `path` (alloc exec), with the token and TLS settings of every other
   * request. `ws` is loaded on first use: most commands never open one.
   */
  async webSocket(path: string, q: QueryOptions = {}): Promise<import('ws').WebSocket> {
    const u = this.url(path, q);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    const { default: WebSocket } = await import('ws');
    const tls = this.base.protocol === 'https:' ? tlsAgentOptions(this.config.tls) : {};
    return new WebSocket(u, { headers: this.headers(), ...tls });
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { 'User-Agent': 'nomad-ts' };
    if (this.config.token) h['X-Nomad-Token'] = this.config.token;
    return h;
  }

  private lib(): typeof http | typeof https {
    return this.base.protocol === 'https:' ? httpsLib() : http;
  }

  private transportError(method: string, u: URL, err: NodeJS.ErrnoException): Error {
    if (err instanceof ApiError) return err;
    if (err.name === 'AbortError') return err;
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    return new TransportError(method, u.toString(), err.code ?? 'EUNKNOWN', describeSocketError(u.hostname, port, err));
  }
}

/** The https agent's TLS settings from the CLI's flags and environment; throws naming the file it could not read. */
export function tlsAgentOptions(t: ApiTlsConfig): https.AgentOptions {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`Error loading ${what}: ${(e as Error).message}`);
    }
  };
  const out: https.AgentOptions = { rejectUnauthorized: !t.insecure };
  if (t.caCert) out.ca = read('CA File', t.caCert);
  else if (t.caPath) {
    let files: string[];
    try {
      files = readdirSync(t.caPath).sort();
    } catch (e) {
      throw new Error(`Error loading CA Path: ${(e as Error).message}`);
    }
    out.ca = files.map((f) => read('CA Path file', join(t.caPath, f)));
  }
  if ((t.clientCert === '') !== (t.clientKey === '')) throw new Error('Both client cert and client key must be provided');
  if (t.clientCert) {
    out.cert = read('Client Cert', t.clientCert);
    out.key = read('Client Key', t.clientKey);
  }
  if (t.serverName) out.servername = t.serverName;
  return out;
}

/** The body as text; bytes are decoded once whole, so a character split across chunks is kept. */
async function readAll(res: IncomingMessage): Promise<string> {
  const bytes = await readBytes(res);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
}

function readBytes(res: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        res.destroy(new Error(`response body larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      parts.push(new Uint8Array(c.buffer, c.byteOffset, c.length));
    });
    res.on('end', () => {
      const all = Buffer.concat(parts);
      resolve(new Uint8Array(all.buffer, all.byteOffset, all.length));
    });
    res.on('error', reject);
  });
}

function parseJson<T>(text: string, path: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`Failed to decode the answer of ${path}: not JSON (${text.slice(0, 80)})`);
  }
}

function headerInt(v: string | string[] | undefined): number {
  const s = Array.isArray(v) ? v[0] : v;
  const n = s === undefined ? 0 : Number.parseInt(s, 10);
  return Number.isFinite(n) ? n : 0;
}

function queryMeta(res: RawResponse, startedMs: number): QueryMeta {
  return {
    lastIndex: headerInt(res.headers['x-nomad-index']),
    knownLeader: res.headers['x-nomad-knownleader'] === 'true',
    lastContactMs: headerInt(res.headers['x-nomad-lastcontact']),
    requestTimeMs: Date.now() - startedMs,
  };
}

/** Escapes one path segment (job IDs may hold any character). */
export function esc(id: string): string {
  return encodeURIComponent(id);
}
