// Opening a connection to a peer: TCP, then (when the pool has TLS) the TLS byte and a handshake
// whose certificate checks are ours to log, then the protocol byte. Every failure is an RpcError
// ('connect' or 'tls'), so a caller knows nothing was sent.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { parseRpcAddress } from './address.js';
import { RpcError } from './errors.js';
import { describeSubject } from './tls.js';
import type { RpcTlsClientOptions } from './tls.js';
import type { RpcLogger } from './types.js';
import { PROTOCOL_BYTE_RPC_V1, PROTOCOL_BYTE_TLS } from './wire.js';

export interface DialOptions {
  readonly connectTimeoutMs: number;
  readonly tls: { readonly options: RpcTlsClientOptions; readonly context: tls.SecureContext } | null;
  readonly logger: RpcLogger;
  /** Abandons the dial (the pool is closing). */
  readonly signal?: AbortSignal;
}

export function dial(addr: string, o: DialOptions): Promise<net.Socket> {
  let target: { host: string; port: number };
  try {
    target = parseRpcAddress(addr);
  } catch (e) {
    return Promise.reject(new RpcError('connect', (e as Error).message));
  }
  return new Promise<net.Socket>((resolve, reject) => {
    const raw = net.connect({ host: target.host, port: target.port, noDelay: true });
    let current: net.Socket = raw;
    let settled = false;
    const fail = (e: RpcError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      current.destroy();
      raw.destroy();
      reject(e);
    };
    const timer = setTimeout(
      () => fail(new RpcError('connect', `connecting to ${addr} took longer than ${o.connectTimeoutMs} ms${o.tls ? ' (TLS handshake included)' : ''}`)),
      o.connectTimeoutMs,
    );
    const done = (s: net.Socket): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.setKeepAlive(true, 30_000);
      s.write(new Uint8Array([PROTOCOL_BYTE_RPC_V1]));
      resolve(s);
    };
    // Kept after the dial: errors later are the channel's to report (it listens too).
    raw.on('error', (e: NodeJS.ErrnoException) => fail(new RpcError('connect', `cannot connect to ${addr}: ${e.code ?? e.message}`)));
    o.signal?.addEventListener('abort', () => fail(new RpcError('closed', `the dial to ${addr} was abandoned: the pool is closing`)), { once: true });
    raw.once('connect', () => {
      if (!o.tls) return done(raw);
      raw.write(new Uint8Array([PROTOCOL_BYTE_TLS]));
      const { options, context } = o.tls;
      const serverName = typeof options.serverName === 'function' ? options.serverName(addr) : options.serverName;
      const secure = tls.connect({
        socket: raw,
        secureContext: context,
        ...(serverName && net.isIP(serverName) === 0 ? { servername: serverName } : {}),
        // Both checked below, once the handshake is done, so that a refusal can name the certificate.
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
      current = secure;
      const refuse = (why: string): void => {
        o.logger.warn(`rpc: refused server ${addr} (subject ${describeSubject(secure.getPeerCertificate())}): ${why}`);
        fail(new RpcError('tls', `refused the certificate of ${addr}: ${why}`));
      };
      secure.on('error', (e: Error) => {
        if (settled) return;
        fail(new RpcError('tls', `TLS handshake with ${addr} failed: ${e.message.split('\n')[0] ?? e.message}`));
      });
      secure.once('secureConnect', () => {
        const cert = secure.getPeerCertificate();
        if (!secure.authorized) return refuse(`certificate not trusted (${String(secure.authorizationError ?? 'unverified')})`);
        // Nomad's verify_server_hostname: the certificate must name the server's role.
        const nameProblem = serverName ? tls.checkServerIdentity(serverName, cert) : undefined;
        if (nameProblem) return refuse(nameProblem.message);
        const why = options.verifyPeer ? options.verifyPeer(cert, addr) : null;
        if (why) return refuse(why);
        done(secure);
      });
    });
  });
}
