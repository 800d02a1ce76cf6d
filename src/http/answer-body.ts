// The bytes of one JSON answer, produced once and sent to every connection that asked for the
// same thing. A small answer is encoded whole in the request's own turn and sent with its
// length; a large one is encoded in slices from the slice queue and streamed (chunked, gzip
// through a zlib stream off the main thread), each connection taking the chunks made so far at
// its own pace.
import type { ServerResponse } from 'node:http';
import { constants as zlibConstants, createGzip, gzip } from 'node:zlib';
import { JsonSlices } from './json-slices.js';
import type { SliceQueue } from './slice-queue.js';

/** Bodies below this size go uncompressed, as Nomad's gzip handler does. */
export const GZIP_MIN_BYTES = 1400;
/**
 * The fastest compression: API answers are repetitive JSON, which level 1 shrinks nearly as well
 * as the default level 6 (about 3% larger for a job list) in a third of the time.
 */
const GZIP_OPTIONS = { level: zlibConstants.Z_BEST_SPEED };
/** Encoding done in the request's own turn; an answer that needs longer is made in slices. */
export const FIRST_SLICE_MS = 2;
/**
 * A body still being made is streamed to a connection only once this much of its JSON text is
 * made (before compression): a smaller one is sent whole when done, with its length, in one
 * write per connection. Hundreds of blocking queries woken together then cost one write each
 * instead of one per chunk of the compressor's output, while an answer of tens of megabytes
 * still starts going out early.
 */
export const STREAM_MIN_TEXT_CHARS = 2 * 1024 * 1024;

export interface EncodeOptions {
  pretty: boolean;
  /** The client accepts gzip. */
  gzip: boolean;
}

export class AnswerBody {
  private readonly chunks: Buffer[] = [];
  private bytesSoFar = 0;
  /** Characters of JSON text made so far (what the bytes are made from, before compression). */
  private textCharsSoFar = 0;
  private joined: Buffer | null = null;
  private finished = false;
  private failure: Error | null = null;
  /** Connections waiting for more chunks, called from the slice queue. */
  private waiting: Array<() => void> = [];
  /** Waiting until the body is complete or this much of its text is made (see reached()). */
  private untilPast: Array<{ textChars: number; fn: () => void }> = [];

  private constructor(
    readonly contentEncoding: 'gzip' | null,
    private readonly queue: SliceQueue,
    /** Made in one piece (not streamed): sent with its length once complete. */
    readonly whole: boolean,
  ) {}

  /** A body of bytes already made, gzip-compressed (off the event loop) when asked and worth it. */
  static fromBytes(bytes: Buffer, gzipOk: boolean, queue: SliceQueue): AnswerBody {
    if (!gzipOk || bytes.length < GZIP_MIN_BYTES) {
      const body = new AnswerBody(null, queue, true);
      body.append(bytes);
      body.finish();
      return body;
    }
    const body = new AnswerBody('gzip', queue, true);
    gzip(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), GZIP_OPTIONS, (err, zipped) => {
      if (err) return body.fail(err);
      body.append(zipped);
      body.finish();
    });
    return body;
  }

  /** Starts encoding `value`; the first slice runs now, the rest from the queue. */
  static encode(value: unknown, opts: EncodeOptions, queue: SliceQueue): AnswerBody {
    const slices = new JsonSlices(value, opts.pretty);
    const first = slices.slice(queue.now() + FIRST_SLICE_MS, queue.now);
    if (slices.done) return AnswerBody.fromBytes(Buffer.from(first, 'utf8'), opts.gzip, queue);
    const body = new AnswerBody(opts.gzip ? 'gzip' : null, queue, false);
    const sink = opts.gzip ? body.gzipSink() : body.directSink();
    sink.write(first);
    const step = (): void => {
      let text: string;
      try {
        text = slices.slice(queue.deadline(), queue.now);
      } catch (e) {
        body.fail(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      sink.write(text);
      if (slices.done) sink.end();
      else queue.push(step);
    };
    queue.push(step);
    return body;
  }

  get done(): boolean {
    return this.finished;
  }

  get error(): Error | null {
    return this.failure;
  }

  /** Characters of JSON text made so far. */
  get textChars(): number {
    return this.textCharsSoFar;
  }

  /** Bytes produced so far (all of them once done). */
  get bytes(): number {
    return this.bytesSoFar;
  }

  get chunkCount(): number {
    return this.chunks.length;
  }

  chunk(i: number): Buffer {
    return this.chunks[i]!;
  }

  /** A finished body as one buffer (joined once, then shared), so each connection makes one write. */
  wholeBuffer(): Buffer {
    // Kept apart from the chunks: connections still streaming walk those by position.
    this.joined ??= this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks as unknown as Uint8Array[]);
    return this.joined;
  }

  /** Calls `fn` once (from the slice queue) when more chunks, the end or a failure arrive. */
  onMore(fn: () => void): void {
    this.waiting.push(fn);
  }

  offMore(fn: () => void): void {
    this.waiting = this.waiting.filter((f) => f !== fn);
  }

  /** Resolves once the body is complete or failed. */
  settled(): Promise<void> {
    if (this.isPast(Number.POSITIVE_INFINITY)) return Promise.resolve();
    return new Promise((resolve) => this.whenPast(Number.POSITIVE_INFINITY, resolve));
  }

  /**
   * Calls `fn` from the slice queue (so that hundreds of connections sending the finished body
   * share the queue's budget per turn) once the body is complete, failed, or has `textChars`
   * characters of its text made.
   */
  whenPast(textChars: number, fn: () => void): void {
    if (this.isPast(textChars)) this.queue.push(fn);
    // Kept apart from `waiting`: connections waiting for the end are looked at per chunk, not
    // each queued again per chunk.
    else this.untilPast.push({ textChars, fn });
  }

  isPast(textChars: number): boolean {
    return this.finished || this.failure !== null || this.textCharsSoFar >= textChars;
  }

  private directSink(): { write(text: string): void; end(): void } {
    return {
      write: (text) => {
        this.textCharsSoFar += text.length;
        if (text.length > 0) this.append(Buffer.from(text, 'utf8'));
      },
      end: () => this.finish(),
    };
  }

  private gzipSink(): { write(text: string): void; end(): void } {
    const z = createGzip(GZIP_OPTIONS);
    z.on('data', (c: Buffer) => this.append(c));
    z.on('end', () => this.finish());
    z.on('error', (e) => this.fail(e));
    return {
      write: (text) => {
        this.textCharsSoFar += text.length;
        if (text.length > 0) z.write(text);
      },
      end: () => z.end(),
    };
  }

  private append(chunk: Buffer): void {
    if (this.finished || this.failure) return;
    this.chunks.push(chunk);
    this.bytesSoFar += chunk.length;
    this.wakeWaiting();
  }

  private finish(): void {
    if (this.finished || this.failure) return;
    this.finished = true;
    this.wakeWaiting();
  }

  private fail(e: Error): void {
    if (this.finished || this.failure) return;
    this.failure = e;
    this.wakeWaiting();
  }

  private wakeWaiting(): void {
    if (this.untilPast.length > 0) {
      const still = this.untilPast.filter((w) => !this.isPast(w.textChars));
      if (still.length < this.untilPast.length) {
        const past = this.untilPast.filter((w) => this.isPast(w.textChars));
        this.untilPast = still;
        for (const w of past) this.queue.push(w.fn);
      }
    }
    if (this.waiting.length === 0) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const fn of waiting) this.queue.push(fn);
  }
}

/**
 * Sends a body on a response whose status and other headers are set: with its length when it
 * is complete, else chunk by chunk as it is made, waiting for the socket to drain. Resolves when
 * the answer is sent or the client went away; a body that fails midway resets the connection
 * (the status line is out). What can be written now is written before this returns.
 */
export function sendAnswerBody(res: ServerResponse, body: AnswerBody, headOnly: boolean): Promise<void> {
  // The client left while the body was being made: nobody to send it to.
  if (res.destroyed) return Promise.resolve();
  const waitFor = body.whole ? Number.POSITIVE_INFINITY : headOnly ? 0 : STREAM_MIN_TEXT_CHARS;
  if (!body.isPast(waitFor)) {
    return new Promise((resolve, reject) => body.whenPast(waitFor, () => void sendAnswerBody(res, body, headOnly).then(resolve, reject)));
  }
  // Nothing of this answer is out yet: a failure is still an error status, not a reset.
  if (body.error !== null && (body.whole || !res.headersSent)) return Promise.reject(body.error);
  if (body.contentEncoding !== null) res.setHeader('Content-Encoding', body.contentEncoding);
  if (body.done && body.error === null) {
    res.setHeader('Content-Length', String(body.bytes));
    if (headOnly || body.chunkCount === 0) res.end();
    else res.end(body.wholeBuffer());
    return Promise.resolve();
  }
  if (headOnly) {
    res.end();
    return Promise.resolve();
  }
  // The status line and headers go out now, not with the first chunk: a compressor may hold its
  // output back for a long stretch of the text, and the client should learn the answer's status
  // and index as soon as the answer is known to be coming.
  res.flushHeaders();
  return new Promise<void>((resolve) => {
    let next = 0;
    let over = false;
    const stop = (): void => {
      if (over) return;
      over = true;
      body.offMore(pump);
      res.off('drain', pump);
      res.off('close', stop);
      resolve();
    };
    function pump(): void {
      if (over) return;
      if (res.destroyed) return stop();
      while (next < body.chunkCount) {
        if (!res.write(body.chunk(next++))) {
          res.once('drain', pump);
          return;
        }
      }
      if (body.error !== null) {
        res.destroy(body.error);
        return stop();
      }
      if (body.done) {
        res.end();
        return stop();
      }
      body.onMore(pump);
    }
    res.on('close', stop);
    pump();
  });
}
