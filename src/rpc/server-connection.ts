// The server's side of one connection: runs the handler of each request with its deadline and
// cancellation, answers in any order, feeds uploads and paces streams by the caller's credit.
import { NomadError } from '../structs/errors.js';
import { Channel } from './channel.js';
import type { ChannelLimits } from './channel.js';
import { decodePayload, encodePayload } from './codec.js';
import { errorToWire, RpcError, rpcErrorToWire } from './errors.js';
import type { RpcErrorCode } from './errors.js';
import type { ExchangeKind, HandlerRegistry } from './handler-registry.js';
import { InboundQueue } from './inbound-queue.js';
import { LazyAbort } from './lazy-abort.js';
import { ReceiveWindow } from './receive-window.js';
import { SendCredit } from './send-credit.js';
import type { Socket } from 'node:net';
import type { RpcLogger, RpcRequestContext, RpcStreamWriter } from './types.js';
import { creditCost, decodeU32, encodeU32, FrameType, frameTypeName } from './wire.js';

export interface ServerConnectionLimits extends ChannelLimits {
  readonly maxInflight: number;
}

interface Inbound {
  readonly id: number;
  readonly abort: LazyAbort;
  timer: NodeJS.Timeout | null;
  /** Upload: the data on its way to the handler. */
  upload: InboundQueue<Uint8Array> | null;
  uploadWindow: ReceiveWindow | null;
  /** Stream: what the caller lets us send. */
  credit: SendCredit | null;
}

const KIND_OF: Partial<Record<FrameType, ExchangeKind>> = {
  [FrameType.Call]: 'call',
  [FrameType.Stream]: 'stream',
  [FrameType.Upload]: 'upload',
  [FrameType.Duplex]: 'duplex',
};

export class ServerConnection {
  readonly channel: Channel;
  private readonly inflight = new Map<number, Inbound>();
  /** Aborted when the connection closes: the signal of one-way messages' contexts. */
  private readonly connectionAbort = new AbortController();

  constructor(
    socket: Socket,
    private readonly registry: HandlerRegistry,
    private readonly limits: ServerConnectionLimits,
    private readonly logger: RpcLogger,
    private readonly tlsInfo: RpcRequestContext['tls'],
    nowMs: () => number,
    onClose: (conn: ServerConnection) => void,
    onViolation: () => void,
  ) {
    this.channel = new Channel(
      socket,
      limits,
      {
        onMessage: (type, id, bytes) => this.message(type, id, bytes),
        onFrame: (type, id, payload) => this.frame(type, id, payload),
        onData: (id, parts, bytes) => this.uploadData(id, parts, bytes),
        onViolation,
        onClose: (error) => {
          this.connectionAbort.abort(error);
          for (const req of this.inflight.values()) this.abortRequest(req, error);
          onClose(this);
        },
      },
      logger,
      'client',
      nowMs,
    );
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  private message(type: FrameType, id: number, bytes: Uint8Array): void {
    const kind = KIND_OF[type];
    if (kind) {
      this.request(kind, id, bytes);
      return;
    }
    if (type === FrameType.Notify) {
      this.notify(bytes);
      return;
    }
    if (type === FrameType.GoAway) {
      this.channel.destroy(new RpcError('closed', `the caller ${this.channel.remoteAddr} went away`));
      return;
    }
    this.channel.violation(`a caller sent a ${frameTypeName(type)} message`);
  }

  private frame(type: FrameType, id: number, payload: Uint8Array): void {
    switch (type) {
      case FrameType.DataEnd:
        this.inflight.get(id)?.upload?.end();
        return;
      case FrameType.Cancel: {
        this.channel.discardPartial(id);
        const req = this.inflight.get(id);
        if (req) this.abortRequest(req, new RpcError('cancelled', 'the caller cancelled the request'));
        return;
      }
      case FrameType.Window: {
        if (payload.length !== 4) return this.channel.violation('a WINDOW frame without its 4-byte increment');
        this.inflight.get(id)?.credit?.grant(decodeU32(payload));
        return;
      }
      case FrameType.Ping:
        this.channel.writer.sendControl(FrameType.Pong, id, payload.slice());
        return;
      case FrameType.Pong:
        return;
      default:
        this.channel.violation(`unknown or misdirected frame type ${frameTypeName(type)}`);
    }
  }

  /** Decodes [method, args, timeoutMs]; a malformed request closes the connection. */
  private decodeRequest(bytes: Uint8Array): { method: string; args: unknown; timeoutMs: number | null } | null {
    let decoded: unknown;
    try {
      decoded = decodePayload(bytes);
    } catch (e) {
      this.channel.violation(`undecodable request: ${(e as Error).message}`);
      return null;
    }
    if (!Array.isArray(decoded) || decoded.length !== 3 || typeof decoded[0] !== 'string') {
      this.channel.violation('a request that is not [method, args, timeoutMs]');
      return null;
    }
    const timeoutMs = decoded[2] as unknown;
    if (timeoutMs !== null && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs))) {
      this.channel.violation(`a request whose timeout is not a number of ms or nil`);
      return null;
    }
    return { method: decoded[0], args: decoded[1], timeoutMs };
  }

  private request(kind: ExchangeKind, id: number, bytes: Uint8Array): void {
    const req = this.decodeRequest(bytes);
    if (!req) return;
    if (id === 0) return this.channel.violation('a request with id 0');
    if (this.inflight.has(id)) return this.channel.violation(`request id ${id} is already in flight`);
    if (this.inflight.size >= this.limits.maxInflight) {
      this.refuse(id, 'overloaded', `${this.limits.maxInflight} requests already in flight on this connection`);
      return;
    }
    const found = this.registry.lookup(req.method, kind);
    if (typeof found === 'string') {
      this.refuse(id, 'unknown_method', found);
      return;
    }
    if (req.timeoutMs !== null && req.timeoutMs <= 0) return; // expired on the way: the caller has given up
    const inbound: Inbound = { id, abort: new LazyAbort(), timer: null, upload: null, uploadWindow: null, credit: null };
    this.inflight.set(id, inbound);
    if (req.timeoutMs !== null) {
      const ms = req.timeoutMs;
      inbound.timer = setTimeout(() => this.abortRequest(inbound, new RpcError('timeout', `the caller's ${ms} ms deadline passed`)), ms);
    }
    const abort = inbound.abort;
    const ctx: RpcRequestContext = {
      remoteAddr: this.channel.remoteAddr,
      get signal(): AbortSignal {
        return abort.signal;
      },
      deadlineMs: req.timeoutMs,
      tls: this.tlsInfo,
    };
    let run: () => Promise<unknown>;
    switch (found.kind) {
      case 'call':
        run = () => found.fn(req.args, ctx);
        break;
      case 'stream': {
        inbound.credit = new SendCredit();
        const out = this.streamWriter(inbound);
        run = async () => {
          await found.fn(req.args, ctx, out);
          return null;
        };
        break;
      }
      case 'upload': {
        const data = this.receiveUpload(inbound);
        run = () => found.fn(req.args, data, ctx);
        break;
      }
      case 'duplex': {
        const data = this.receiveUpload(inbound);
        inbound.credit = new SendCredit();
        const out = this.streamWriter(inbound);
        run = async () => {
          await found.fn(req.args, data, ctx, out);
          return null;
        };
        break;
      }
      default:
        return;
    }
    Promise.resolve()
      .then(run)
      .then(
        (value) => this.answer(inbound, FrameType.Result, value),
        (e: unknown) => {
          // A NomadError is an answer; anything else is a handler's bug, worth a line with its
          // stack. An RpcError is a call the handler made (a forward to the leader) that the
          // network or an overloaded peer failed: no bug, and under overload there are thousands.
          if (!(e instanceof NomadError) && !inbound.abort.aborted) {
            const why = e instanceof RpcError ? `its call to another server failed (${e.code}): ${e.message}` : e instanceof Error ? (e.stack ?? e.message) : String(e);
            this.logger.warn(`rpc: handler of ${req.method} failed for ${this.channel.remoteAddr}: ${why}`);
          }
          this.answer(inbound, FrameType.Error, errorToWire(e));
        },
      )
      .finally(() => this.settle(inbound));
  }

  /** The caller's data for an upload or duplex request, granting it more credit as it is read. */
  private receiveUpload(inbound: Inbound): InboundQueue<Uint8Array> {
    const window = new ReceiveWindow();
    inbound.uploadWindow = window;
    inbound.upload = new InboundQueue<Uint8Array>((n) => {
      const grant = window.consumed(n);
      if (grant > 0 && this.inflight.get(inbound.id) === inbound) this.channel.writer.sendControl(FrameType.Window, inbound.id, encodeU32(grant));
    });
    return inbound.upload;
  }

  private streamWriter(inbound: Inbound): RpcStreamWriter {
    const signal = inbound.abort.signal;
    const credit = inbound.credit as SendCredit;
    return {
      signal,
      write: async (chunk: unknown): Promise<void> => {
        if (signal.aborted) throw signal.reason;
        const bytes = encodePayload(chunk);
        if (bytes.length > this.limits.maxMessageBytes) {
          throw new RpcError('protocol', `a stream item of ${bytes.length} bytes is over the ${this.limits.maxMessageBytes}-byte limit`);
        }
        await credit.take(creditCost(bytes.length));
        if (signal.aborted) throw signal.reason;
        this.channel.writer.sendMessage(inbound.id, FrameType.Item, inbound.id, bytes);
        // Credit alone would let a writer of small items queue a whole window without ever
        // yielding to the event loop (and so without hearing a CANCEL): wait for the socket too.
        await this.channel.writer.whenLaneShort(inbound.id);
        if (signal.aborted) throw signal.reason;
      },
    };
  }

  private uploadData(id: number, parts: Uint8Array[], payloadBytes: number): void {
    const req = this.inflight.get(id);
    // Data for a request that was answered, refused or cancelled is still on its way: drop it.
    if (!req || req.abort.aborted) return;
    if (!req.upload || !req.uploadWindow) return this.channel.violation(`upload data for request ${id}, which is not an upload`);
    const cost = creditCost(payloadBytes);
    if (!req.uploadWindow.received(cost, 0)) return this.channel.violation(`upload ${id} sent past its flow-control window`);
    // The frame's header is charged to its first piece, so the credit returned adds up.
    parts.forEach((part, i) => req.upload?.push(part, part.length + (i === 0 ? cost - payloadBytes : 0)));
  }

  private notify(bytes: Uint8Array): void {
    let decoded: unknown;
    try {
      decoded = decodePayload(bytes);
    } catch (e) {
      return this.channel.violation(`undecodable one-way message: ${(e as Error).message}`);
    }
    if (!Array.isArray(decoded) || decoded.length !== 2 || typeof decoded[0] !== 'string') {
      return this.channel.violation('a one-way message that is not [method, args]');
    }
    const method = decoded[0];
    const found = this.registry.lookup(method, 'notify');
    if (typeof found === 'string') {
      this.logger.debug(`rpc: dropped a one-way message from ${this.channel.remoteAddr}: ${found}`);
      return;
    }
    if (found.kind !== 'notify') return;
    const ctx: RpcRequestContext = { remoteAddr: this.channel.remoteAddr, signal: this.connectionAbort.signal, deadlineMs: null, tls: this.tlsInfo };
    try {
      found.fn(decoded[1], ctx);
    } catch (e) {
      this.logger.warn(`rpc: one-way handler ${method} failed: ${(e as Error).message}`);
    }
  }

  private answer(inbound: Inbound, type: FrameType.Result | FrameType.Error, value: unknown): void {
    // A caller that cancelled, timed out or left forgot this id: nothing to answer.
    if (inbound.abort.aborted || this.channel.isClosed) return;
    let bytes: Uint8Array;
    try {
      bytes = encodePayload(value);
    } catch (e) {
      type = FrameType.Error;
      bytes = encodePayload(errorToWire(new Error(`the answer could not be encoded: ${(e as Error).message}`)));
    }
    if (bytes.length > this.limits.maxMessageBytes) {
      type = FrameType.Error;
      bytes = encodePayload(errorToWire(new Error(`the answer is ${bytes.length} bytes, over the ${this.limits.maxMessageBytes}-byte limit`)));
    }
    this.channel.writer.sendMessage(inbound.id, type, inbound.id, bytes);
  }

  private refuse(id: number, code: RpcErrorCode, message: string): void {
    this.channel.writer.sendMessage(id, FrameType.Error, id, encodePayload(rpcErrorToWire(code, message)));
  }

  private abortRequest(req: Inbound, reason: RpcError): void {
    if (req.abort.aborted) return;
    req.abort.abort(reason);
    if (req.timer) clearTimeout(req.timer);
    req.upload?.fail(reason);
    req.credit?.fail(reason);
    // Whatever of its answer is still queued is for nobody now.
    this.channel.writer.dropLane(req.id);
    // The caller forgot it (it cancelled, or its deadline, which is this one, passed) and sends
    // another in its place: counted until a handler that ignores the signal ends, the server's
    // in-flight count would outgrow the caller's and refuse calls the caller's bound let through.
    if (this.inflight.get(req.id) === req) this.inflight.delete(req.id);
  }

  private settle(req: Inbound): void {
    if (req.timer) clearTimeout(req.timer);
    req.credit?.fail(new RpcError('closed', 'the stream has ended'));
    req.upload?.fail(new RpcError('closed', 'the upload was answered'));
    if (this.inflight.get(req.id) === req) this.inflight.delete(req.id);
  }
}
