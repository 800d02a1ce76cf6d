// The one road of every write: an endpoint call runs on the leader. A server that does not lead
// sends the call to the leader over RPC ("Server.Forward"), which runs it there; while no leader
// is known the call waits, up to the hold timeout (Nomad's rpc_hold_timeout, 7 s), for one to be
// elected, then fails with "No cluster leader". A call is retried only when it certainly did not
// run: the leader could not be reached, or refused it before proposing anything.
import { NomadError } from '../structs/errors.js';
import { sleep, type Clock } from '../structs/clock.js';
import { currentCallerSecret } from '../acl/caller.js';
import type { Consensus } from './consensus.js';
import type { Logger } from './logger.js';

/** Server-to-server calls; the RPC pool satisfies it. */
export interface PeerRpc {
  call<T = unknown>(addr: string, method: string, args: unknown, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T>;
}

/** What travels in a forwarded call. */
export interface ForwardRequest {
  Endpoint: string;
  Method: string;
  Args: unknown[];
  /** The secret of whom the call runs for (an ACL token, or a node's secret); absent with none. */
  AuthToken?: string;
}

export const FORWARD_METHOD = 'Server.Forward';
/** Nomad's rpc_hold_timeout. */
export const DEFAULT_HOLD_TIMEOUT_MS = 7_000;
/** How often a waiting call looks for a leader again. */
const LEADER_POLL_MS = 25;

type AnyMethod = (...args: never[]) => Promise<unknown>;
/** Methods of an endpoint object that may run on the leader on behalf of another server. */
export type EndpointTable = Record<string, { target: object; methods: ReadonlySet<string> }>;

/**
 * Errors after which the call may be tried again: those that prove it never ran (refused before
 * proposing, or a transport failure that says nothing was processed), and for a call without
 * side effects any transport failure.
 */
function retryable(e: unknown, idempotent: boolean): boolean {
  if (e instanceof NomadError) return e.kind === 'no_leader' && e.message === 'No cluster leader';
  if (provedNotProcessed(e)) return true;
  return idempotent && typeof (e as { code?: unknown } | null)?.code === 'string';
}

/** True when a transport error proves the request never reached a handler (any server may be asked). */
export function provedNotProcessed(e: unknown): boolean {
  const t = e as { code?: unknown; notProcessed?: unknown } | null;
  return typeof t?.code === 'string' && t.notProcessed === true;
}

export interface ForwarderOptions {
  consensus: Consensus;
  clock: Clock;
  logger: Logger;
  /** Absent on a server that has no peers (dev mode): it leads or nothing does. */
  peers?: PeerRpc;
  holdTimeoutMs?: number;
  /**
   * Resolves true once this server, leading, has applied everything committed before it was
   * elected (its duties are up), false when it stopped leading or `deadlineMs` passed first.
   * Calls run on the leader only after that: a fresh leader's state may still be behind.
   */
  leaderReady?: (deadlineMs: number) => Promise<boolean>;
  /**
   * Checks a call that another server forwarded here (with ACLs on): throws when `secret` may
   * not run it. Calls made on this server were checked where they entered.
   */
  authorize?: (endpoint: string, method: string, args: unknown[], secret: string) => void;
}

export class LeaderForwarder {
  private readonly endpoints: EndpointTable = {};

  constructor(private readonly opts: ForwarderOptions) {}

  /** Registers an endpoint object whose listed methods are run on the leader. */
  register(endpoint: string, target: object, methods: readonly string[]): void {
    for (const m of methods) {
      if (typeof (target as Record<string, unknown>)[m] !== 'function') throw new Error(`endpoint ${endpoint} has no method ${m}`);
    }
    this.endpoints[endpoint] = { target, methods: new Set(methods) };
  }

  /**
   * A view of `target` whose listed methods run on the leader (here when this server leads,
   * forwarded otherwise); other members are the target's own.
   */
  proxy<T extends object>(endpoint: string, target: T, methods: readonly (keyof T & string)[]): T {
    this.register(endpoint, target, methods);
    const wrapped = new Map<string, AnyMethod>();
    for (const m of methods) wrapped.set(m, (...args: never[]) => this.onLeader(endpoint, m, args));
    return new Proxy(target, {
      get: (t, key, receiver) => (typeof key === 'string' && wrapped.has(key) ? wrapped.get(key) : Reflect.get(t, key, receiver)),
    });
  }

  /**
   * Runs endpoint.method(args) on the leader, waiting (bounded) for one when none is known.
   * `idempotent` calls (reads) are retried after any transport failure.
   */
  async onLeader(endpoint: string, method: string, args: unknown[], idempotent = false): Promise<unknown> {
    const { consensus, clock } = this.opts;
    const deadline = clock.nowMs() + (this.opts.holdTimeoutMs ?? DEFAULT_HOLD_TIMEOUT_MS);
    let lastError: unknown = null;
    for (;;) {
      try {
        if (consensus.isLeader()) {
          if (!this.opts.leaderReady || (await this.opts.leaderReady(deadline))) return await this.runLocal(endpoint, method, args);
          continue;
        }
        const addr = consensus.leaderAddr();
        if (addr && this.opts.peers) {
          const remaining = Math.max(1, deadline - clock.nowMs());
          const secret = currentCallerSecret();
          const req: ForwardRequest = { Endpoint: endpoint, Method: method, Args: args, ...(secret !== undefined ? { AuthToken: secret } : {}) };
          return await this.opts.peers.call(addr, FORWARD_METHOD, req, { timeoutMs: Math.max(remaining, 30_000) });
        }
      } catch (e) {
        if (!retryable(e, idempotent)) throw e;
        lastError = e;
      }
      if (clock.nowMs() >= deadline) {
        if (lastError && !(lastError instanceof NomadError)) this.opts.logger.warn('forwarding to the leader failed', { endpoint, method, error: String((lastError as Error).message ?? lastError) });
        throw new NomadError('no_leader', 'No cluster leader');
      }
      await sleep(clock, Math.min(LEADER_POLL_MS, Math.max(1, deadline - clock.nowMs())));
    }
  }

  /** The receiving side of Server.Forward: runs the call here, which must be the leader. */
  async serve(req: unknown): Promise<unknown> {
    const r = req as Partial<ForwardRequest> | null;
    if (!r || typeof r.Endpoint !== 'string' || typeof r.Method !== 'string' || !Array.isArray(r.Args)) {
      throw new NomadError('bad_request', 'malformed forwarded call: want Endpoint, Method and Args');
    }
    if (r.AuthToken !== undefined && typeof r.AuthToken !== 'string') throw new NomadError('bad_request', 'malformed forwarded call: AuthToken must be a string');
    this.opts.authorize?.(r.Endpoint, r.Method, r.Args, r.AuthToken ?? '');
    // One hop only: a server that lost leadership meanwhile refuses, and the sender retries.
    if (!this.opts.consensus.isLeader()) throw new NomadError('no_leader', 'No cluster leader');
    const ready = this.opts.leaderReady ? await this.opts.leaderReady(this.opts.clock.nowMs() + (this.opts.holdTimeoutMs ?? DEFAULT_HOLD_TIMEOUT_MS)) : true;
    if (!ready) throw new NomadError('no_leader', 'No cluster leader');
    return this.runLocal(r.Endpoint, r.Method, r.Args);
  }

  private runLocal(endpoint: string, method: string, args: unknown[]): Promise<unknown> {
    const e = this.endpoints[endpoint];
    if (!e || !e.methods.has(method)) throw new NomadError('bad_request', `unknown forwarded call ${endpoint}.${method}`);
    const fn = (e.target as Record<string, AnyMethod>)[method]!;
    return fn.apply(e.target, args as never[]);
  }
}
