// A small client of the Docker Engine API over its unix socket, on node:http: requests with a
// time bound, JSON in and out, and raw response streams for logs, pulls and waits.
import { request, type IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** The socket from an endpoint ("unix:///run/docker.sock"), DOCKER_HOST, or the default. */
export function dockerSocketPath(endpoint: string | undefined, env: Record<string, string | undefined> = process.env): string {
  const raw = endpoint || env['DOCKER_HOST'] || '';
  if (raw.startsWith('unix://')) return raw.slice('unix://'.length);
  if (raw.startsWith('/')) return raw;
  return DEFAULT_DOCKER_SOCKET;
}

export class DockerApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DockerApiError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON-encoded unless a Buffer or a stream. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Bound on the whole request; 0 for none (waits, followed logs). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

function buildPath(path: string, query: RequestOptions['query']): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

function isReadable(v: unknown): v is Readable {
  return typeof v === 'object' && v !== null && typeof (v as Readable).pipe === 'function';
}

export class DockerClient {
  constructor(readonly socketPath: string) {}

  /** Opens a request and resolves with the response stream (any status); the caller reads it. */
  stream(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      let payload: Buffer | null = null;
      const body = opts.body;
      if (Buffer.isBuffer(body)) payload = body;
      else if (body !== undefined && !isReadable(body)) {
        payload = Buffer.from(JSON.stringify(body));
        headers['Content-Type'] = 'application/json';
      }
      if (payload) headers['Content-Length'] = String(payload.length);
      const req = request({ socketPath: this.socketPath, path: buildPath(path, opts.query), method, headers, signal: opts.signal }, resolve);
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs && opts.timeoutMs > 0) {
        timer = setTimeout(() => req.destroy(new Error(`docker API ${method} ${path} timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
        req.once('response', (res) => res.once('close', () => clearTimeout(timer)));
      }
      req.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      if (isReadable(body)) body.pipe(req);
      else req.end(payload ?? undefined);
    });
  }

  /**
   * A request the engine answers by taking over the connection (exec start): resolves with the
   * raw socket, which then carries the command's input one way and its output the other.
   */
  hijack(path: string, body: unknown): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const payload = Buffer.from(JSON.stringify(body));
      const req = request({
        socketPath: this.socketPath,
        path,
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(payload.length), Connection: 'Upgrade', Upgrade: 'tcp' },
      });
      req.once('upgrade', (_res, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.once('response', (res) => {
        const chunks: Uint8Array[] = [];
        res.on('data', (c: Buffer) => chunks.push(new Uint8Array(c)));
        res.on('end', () => reject(new DockerApiError(res.statusCode ?? 0, errorMessage(Buffer.concat(chunks)) || `docker API POST ${path}: status ${res.statusCode}`)));
      });
      req.once('error', reject);
      req.end(payload as unknown as Uint8Array);
    });
  }

  /** A whole request: resolves with status and body; rejects with DockerApiError on 4xx/5xx. */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<{ status: number; body: Buffer }> {
    const res = await this.stream(method, path, opts);
    const chunks: Uint8Array[] = [];
    for await (const c of res) chunks.push(new Uint8Array(c as Buffer));
    const body = Buffer.concat(chunks);
    const status = res.statusCode ?? 0;
    if (status >= 400) throw new DockerApiError(status, errorMessage(body) || `docker API ${method} ${path}: status ${status}`);
    return { status, body };
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const { body } = await this.call(method, path, opts);
    return (body.length > 0 ? JSON.parse(body.toString('utf8')) : null) as T;
  }
}

/** The engine answers errors as {"message": "..."}. */
function errorMessage(body: Buffer): string {
  try {
    const v = JSON.parse(body.toString('utf8')) as { message?: string };
    return typeof v.message === 'string' ? v.message : '';
  } catch {
    return body.toString('utf8').trim();
  }
}

/**
 * Reads a progress stream of JSON lines (pull, load, import) to its end; the engine reports a
 * failure inside the stream as {"error": "..."} after answering 200.
 */
export async function drainProgress(res: IncomingMessage): Promise<string[]> {
  let text = '';
  for await (const c of res) text += (c as Buffer).toString('utf8');
  if ((res.statusCode ?? 0) >= 400) throw new DockerApiError(res.statusCode ?? 0, errorMessage(Buffer.from(text)) || text.trim());
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (const l of lines) {
    try {
      const v = JSON.parse(l) as { error?: string; errorDetail?: { message?: string } };
      if (v.error) throw new DockerApiError(500, v.errorDetail?.message ?? v.error);
    } catch (err) {
      if (err instanceof DockerApiError) throw err;
      // a line that is not JSON is plain progress text
    }
  }
  return lines;
}
