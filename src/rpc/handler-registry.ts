// The methods a server answers, each with the one kind of exchange it speaks.
import type { RpcDuplexHandler, RpcHandler, RpcNotifyHandler, RpcStreamHandler, RpcUploadHandler } from './types.js';

export type RegisteredHandler =
  | { readonly kind: 'call'; readonly fn: RpcHandler }
  | { readonly kind: 'stream'; readonly fn: RpcStreamHandler }
  | { readonly kind: 'upload'; readonly fn: RpcUploadHandler }
  | { readonly kind: 'duplex'; readonly fn: RpcDuplexHandler }
  | { readonly kind: 'notify'; readonly fn: RpcNotifyHandler };

export type ExchangeKind = RegisteredHandler['kind'];

export class HandlerRegistry {
  private readonly handlers = new Map<string, RegisteredHandler>();

  add(method: string, h: RegisteredHandler): void {
    if (method.length === 0) throw new Error('an RPC method needs a name');
    const existing = this.handlers.get(method);
    if (existing) throw new Error(`RPC method "${method}" is already registered (as a ${existing.kind})`);
    this.handlers.set(method, h);
  }

  remove(method: string): void {
    this.handlers.delete(method);
  }

  /** The handler, or why there is none for this method and kind. */
  lookup(method: string, kind: ExchangeKind): RegisteredHandler | string {
    const h = this.handlers.get(method);
    if (!h) return `unknown RPC method "${method}"`;
    if (h.kind !== kind) return `RPC method "${method}" is a ${h.kind}, not a ${kind}`;
    return h;
  }
}
