// /v1/event/stream: the server's events as they happen, newline-delimited JSON frames.
import type { HttpTransport } from './http.js';

export interface StreamedEvent {
  Topic: string;
  Type: string;
  Key: string;
  Namespace: string;
  FilterKeys: string[] | null;
  Index: number;
  Payload: Record<string, unknown>;
}

export interface EventFrame {
  Index: number;
  Events: StreamedEvent[];
}

export interface EventStreamOptions {
  /** "Topic" or "Topic:Key"; none means every topic. */
  topics?: string[];
  /** Start at the first buffered event at or after this index (0: the server's whole buffer). */
  index?: number;
  namespace?: string;
  signal?: AbortSignal;
}

/** Bound on one frame's size: a frame is one applied entry's events. */
export const MAX_EVENT_FRAME_CHARS = 64 * 1024 * 1024;

export class Events {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Yields event frames (heartbeats skipped) until the server ends the stream or `signal`
   * aborts. A server that drops the subscription ends the stream with its reason, thrown here.
   */
  async *stream(opts: EventStreamOptions = {}): AsyncGenerator<EventFrame> {
    const query = new URLSearchParams();
    for (const t of opts.topics ?? []) query.append('topic', t);
    if (opts.index !== undefined && opts.index > 0) query.set('index', String(opts.index));
    const path = `/v1/event/stream${query.size > 0 ? `?${query}` : ''}`;
    const res = await this.http.stream(path, opts.namespace ? { namespace: opts.namespace } : {}, opts.signal);
    res.setEncoding('utf8');
    let buf = '';
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const frame = JSON.parse(line) as Partial<EventFrame>;
          if (Array.isArray(frame.Events)) yield frame as EventFrame;
        }
        if (buf.length > MAX_EVENT_FRAME_CHARS) throw new Error(`event frame larger than ${MAX_EVENT_FRAME_CHARS} characters`);
      }
    } catch (e) {
      if ((e as Error).name === 'AbortError' || opts.signal?.aborted) return;
      throw e;
    } finally {
      res.destroy();
    }
    // What follows the last frame without a newline is the server's reason for ending the stream.
    if (buf.trim() !== '') throw new Error(buf.trim());
  }
}
