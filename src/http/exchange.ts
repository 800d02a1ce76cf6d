// One HTTP exchange: the parsed request (query, namespace, body) and the ways to answer it in
// Nomad's form: JSON with the X-Nomad-* headers, plain-text errors, gzip when asked.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NomadError, badRequest, type ErrorKind } from '../structs/errors.js';
import { parseDurationNs } from '../structs/time.js';
import { AnswerBody, sendAnswerBody } from './answer-body.js';
import type { Params } from './router.js';
import type { SliceQueue } from './slice-queue.js';
import type { Acl } from '../acl/acl.js';
import type { WaitCancel } from '../state/reader.js';
import { ClientGone } from './client-gone.js';
import { JsonBoundsScanner, MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_JSON_VALUES, parseJsonBody } from './json-body.js';

const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A query value quoted in an error, cut short when it is long. */
function clip(v: string): string {
  return v.length > 64 ? `${v.slice(0, 64)}...` : v;
}

/**
 * Why an exchange's signal aborts: the client closed its side or the connection. One instance
 * for all (named AbortError, as the default reason is, for code that tells aborts apart by name).
 */
export const CLIENT_GONE: unknown = abortReason();

function abortReason(): unknown {
  const c = new AbortController();
  c.abort();
  return c.signal.reason;
}

export const DEFAULT_BLOCKING_WAIT_MS = 5 * 60_000;
export const MAX_BLOCKING_WAIT_MS = 10 * 60_000;

export interface QueryMeta {
  index: number;
  knownLeader: boolean;
  lastContactMs: number;
}

export class Exchange {
  readonly query: URLSearchParams;
  /** The request's path as sent, without its query. */
  readonly path: string;
  private parsedUrl: URL | null = null;
  readonly method: string;
  /**
   * Made when something first asks for the signal: most requests are answered without anyone
   * listening for the client leaving, and a controller per request is a cost hundreds of woken
   * blocking queries pay at once.
   */
  private abortController: AbortController | null = null;
  /** The lighter signal of a blocking wait (see clientGoneSignal), made on first use. */
  private goneSignal: ClientGone | null = null;
  private gone = false;
  private bodyCache: Promise<unknown> | null = null;
  /** The body's bytes as read by body() or rawBody(). */
  private rawCache: Promise<Buffer> | null = null;
  /** The caller's ACL once the request is authorized; null when ACLs are off or the route is open. */
  acl: Acl | null = null;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly params: Params,
    /** Where the later slices of large answers are made. */
    readonly slices: SliceQueue,
  ) {
    // The query alone, not a whole URL: a blocking query re-armed after every write pays for this.
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const end = target.indexOf('#', q + 1);
    this.path = q < 0 ? target : target.slice(0, q);
    this.query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1, end < 0 ? undefined : end));
    this.method = req.method ?? 'GET';
    // A client that goes away ends its blocking query or stream early. The server keeps
    // half-open connections (a client that only shut down its sending side still gets its
    // answer), so the client's FIN is where a client that left shows: the wait ends there and
    // the answer as of now goes out, as Go's server cancels a request at the client's EOF.
    const abort = (): void => {
      if (this.gone) return;
      this.gone = true;
      // A shared reason: the default one (a DOMException with its stack) costs more than the answer.
      this.abortController?.abort(CLIENT_GONE);
      this.goneSignal?.fire();
    };
    res.on('close', abort);
    const socket = req.socket as IncomingMessage['socket'] | undefined;
    if (socket !== undefined && socket !== null) {
      if (socket.readableEnded) abort();
      else {
        socket.once('end', abort);
        // Keep-alive sockets serve many requests: no listener outlives its request.
        res.on('close', () => socket.off('end', abort));
      }
    }
  }

  /** The request's URL, parsed on first use. */
  get url(): URL {
    this.parsedUrl ??= new URL(this.req.url ?? '/', 'http://localhost');
    return this.parsedUrl;
  }

  /** Aborted when the client goes away (made on first use). */
  get signal(): AbortSignal {
    if (this.abortController === null) {
      this.abortController = new AbortController();
      if (this.gone) this.abortController.abort(CLIENT_GONE);
    }
    return this.abortController.signal;
  }

  /** Aborted when the client goes away, for a blocking wait: the signal without an AbortController. */
  get clientGoneSignal(): WaitCancel {
    if (this.goneSignal === null) {
      this.goneSignal = new ClientGone();
      if (this.gone) this.goneSignal.fire();
    }
    return this.goneSignal;
  }

  /** The client went away (the same as signal.aborted, without making the signal). */
  get clientGone(): boolean {
    return this.gone;
  }

  /** ?namespace=, default "default"; "*" means all namespaces. */
  get namespace(): string {
    return this.query.get('namespace') || (this.req.headers['x-nomad-namespace'] as string | undefined) || 'default';
  }

  flag(name: string): boolean {
    const v = this.query.get(name);
    if (v === null) return false;
    if (v === '' || v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw badRequest(`Failed to parse value of "${name}" (${v}) as bool`, `?${name}`);
  }

  /**
   * ?name= as a whole number in Go's int64 range (as Nomad's strconv.ParseInt reads it); values
   * past 2^53 come back rounded, which no offset or count here can tell apart.
   */
  intParam(name: string, fallback: number): number {
    const v = this.query.get(name);
    if (v === null || v === '') return fallback;
    const n = /^[+-]?\d+$/.test(v) ? BigInt(v) : null;
    if (n === null || n > INT64_MAX || n < -INT64_MAX - 1n) throw badRequest(`Failed to parse value of "${name}" (${clip(v)}) as integer`, `?${name}`);
    return Number(n);
  }

  /** The blocking-query parameters: ?index= and ?wait= (default 5m, at most 10m, plus jitter). */
  blocking(): { minIndex: number; waitMs: number } {
    const rawIndex = this.query.get('index');
    let minIndex = 0;
    if (rawIndex !== null && rawIndex !== '') {
      // Go's strconv.ParseUint: digits only, at most 2^64-1 (an index past that is no index).
      if (!/^\d+$/.test(rawIndex) || BigInt(rawIndex) > UINT64_MAX) throw badRequest('Invalid index', '?index');
      minIndex = Number(rawIndex);
    }
    let waitMs = DEFAULT_BLOCKING_WAIT_MS;
    const rawWait = this.query.get('wait');
    if (rawWait !== null && rawWait !== '') {
      // Go's time.ParseDuration: a unit is required ("10" is no duration, "0" is); a wait of zero
      // or less means the default, and no wait exceeds ten minutes (before jitter).
      const ns = parseDurationNs(rawWait);
      if (ns === null || rawWait !== rawWait.trim()) throw badRequest('Invalid wait time', '?wait');
      waitMs = ns <= 0 ? DEFAULT_BLOCKING_WAIT_MS : Math.min(ns / 1e6, MAX_BLOCKING_WAIT_MS);
    }
    // Jitter spreads the wake-ups of many watchers that started together.
    if (minIndex > 0) waitMs += Math.random() * (waitMs / 16);
    return { minIndex, waitMs };
  }

  /**
   * The parsed JSON body; 400 naming the problem when it is not JSON. Size and nesting are
   * bounded while the body arrives, before anything parses it.
   */
  body(): Promise<unknown> {
    this.bodyCache ??= new Promise((resolve, reject) => {
      const chunks: Uint8Array[] = [];
      const bounds = new JsonBoundsScanner();
      let size = 0;
      let refused = false;
      const refuse = (err: Error): void => {
        refused = true;
        chunks.length = 0;
        // The answer goes out now and the connection closes after it; the rest of the body is
        // read and dropped meanwhile (so that the client sees the answer, not a reset), up to a bound.
        this.res.setHeader('Connection', 'close');
        reject(err);
      };
      this.req.on('data', (c: Buffer) => {
        size += c.length;
        if (refused) {
          if (size > 2 * MAX_BODY_BYTES) this.req.destroy();
          return;
        }
        if (size > MAX_BODY_BYTES) return refuse(new HttpError(413, `Request body too large: the limit is ${MAX_BODY_BYTES} bytes`));
        if (!bounds.push(c as unknown as Uint8Array)) {
          const p = bounds.problem!;
          return refuse(
            p.kind === 'depth'
              ? badRequest(`Failed to parse JSON body: invalid character '${p.opener}' exceeded max depth (${MAX_JSON_DEPTH})`, 'body')
              : new HttpError(413, `Request body too large: more than ${MAX_JSON_VALUES} JSON values`),
          );
        }
        chunks.push(c as unknown as Uint8Array);
      });
      this.req.on('error', reject);
      this.req.on('end', () => {
        if (refused) return;
        const raw = Buffer.concat(chunks);
        this.rawCache = Promise.resolve(raw);
        const text = raw.toString('utf8');
        if (text.trim() === '') return resolve(null);
        try {
          resolve(parseJsonBody(text));
        } catch (e) {
          reject(badRequest(`Failed to parse JSON body: ${e instanceof Error ? e.message : String(e)}`, 'body'));
        }
      });
    });
    return this.bodyCache;
  }

  /**
   * The body's bytes, unparsed (to pass a request on as it came); 413 past `maxBytes`. After
   * body(), the bytes it read.
   */
  async rawBody(maxBytes: number): Promise<Buffer> {
    if (this.bodyCache) {
      await this.bodyCache;
      return (await this.rawCache) ?? Buffer.alloc(0);
    }
    this.rawCache ??= new Promise((resolve, reject) => {
      const chunks: Uint8Array[] = [];
      let size = 0;
      let refused = false;
      this.req.on('data', (c: Buffer) => {
        size += c.length;
        if (refused) {
          if (size > 2 * maxBytes) this.req.destroy();
          return;
        }
        if (size > maxBytes) {
          refused = true;
          chunks.length = 0;
          this.res.setHeader('Connection', 'close');
          reject(new HttpError(413, `Request body too large: the limit is ${maxBytes} bytes`));
          return;
        }
        chunks.push(c as unknown as Uint8Array);
      });
      this.req.on('error', reject);
      this.req.on('end', () => {
        if (!refused) resolve(Buffer.concat(chunks));
      });
    });
    return this.rawCache;
  }

  /** The body as an object (null/empty allowed when `optional`). */
  async objectBody(optional = false): Promise<Record<string, unknown>> {
    const b = await this.body();
    if (b === null && optional) return {};
    if (b === null || typeof b !== 'object' || Array.isArray(b)) throw badRequest('Request body must be a JSON object', 'body');
    return b as Record<string, unknown>;
  }

  setMeta(meta: QueryMeta): void {
    // The index of the last write to what was read: 0 for a table never written, as Nomad
    // answers (clients then see that nothing has happened yet rather than a made-up 1).
    this.res.setHeader('X-Nomad-Index', String(meta.index));
    this.res.setHeader('X-Nomad-Knownleader', String(meta.knownLeader));
    this.res.setHeader('X-Nomad-Lastcontact', String(meta.lastContactMs));
  }

  /** ?pretty asks for indented JSON. */
  get pretty(): boolean {
    return this.query.has('pretty') && this.query.get('pretty') !== 'false';
  }

  /** The client takes gzip-encoded answers. */
  get acceptsGzip(): boolean {
    return /\bgzip\b/.test(String(this.req.headers['accept-encoding'] ?? ''));
  }

  /** Sends `value` as JSON; a large value is encoded in slices and streamed. */
  async sendJson(status: number, value: unknown): Promise<void> {
    await this.sendAnswer(status, AnswerBody.encode(value, { pretty: this.pretty, gzip: this.acceptsGzip }, this.slices));
  }

  /**
   * Sends a JSON body made for this request or shared with others that asked the same. The first
   * write happens before this returns; the promise is the rest of the sending.
   */
  sendAnswer(status: number, body: AnswerBody): Promise<void> {
    this.res.setHeader('Vary', 'Accept-Encoding');
    this.res.setHeader('Content-Type', 'application/json');
    this.res.statusCode = status;
    return sendAnswerBody(this.res, body, this.method === 'HEAD');
  }

  async sendText(status: number, contentType: string, text: string | Buffer): Promise<void> {
    await this.sendBody(status, contentType, typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  }

  async sendError(err: unknown): Promise<void> {
    const { status, message } = errorResponse(err);
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    await this.sendBody(status, 'text/plain; charset=utf-8', Buffer.from(message, 'utf8'));
  }

  private async sendBody(status: number, contentType: string, body: Buffer): Promise<void> {
    const res = this.res;
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Content-Type', contentType);
    res.statusCode = status;
    await sendAnswerBody(res, AnswerBody.fromBytes(body, this.acceptsGzip, this.slices), this.method === 'HEAD');
  }
}

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  bad_request: 400,
  not_found: 404,
  forbidden: 403,
  // Nomad answers check-index and similar RPC refusals with a 500 and the error text.
  conflict: 500,
  no_leader: 500,
  unavailable: 503,
  internal: 500,
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function errorResponse(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  if (err instanceof NomadError) return { status: STATUS_BY_KIND[err.kind] ?? 500, message: err.message };
  if (err instanceof Error) return { status: 500, message: err.message };
  return { status: 500, message: String(err) };
}
