// TLS for the RPC port: what the agent configures (PEMs, whether peers must present a
// certificate, an extra check of the peer's identity) and the node:tls objects made from it.
import * as tls from 'node:tls';
import type { PeerCertificate, SecureVersion } from 'node:tls';

export interface RpcTlsServerOptions {
  /** CA certificate(s) that sign the certificates of peers. */
  caPem: string | Uint8Array;
  certPem: string | Uint8Array;
  keyPem: string | Uint8Array;
  /** 'tls-only' refuses plain connections; 'tls-and-plain' accepts both, while a cluster moves to TLS. */
  mode?: 'tls-only' | 'tls-and-plain';
  /** Callers must present a certificate signed by the CA (mutual TLS). Default true. */
  verifyIncoming?: boolean;
  /**
   * Extra check of a peer certificate (e.g. the role name "server.<region>.nomad"), run on every
   * connection that presented one: returns why it is refused, or null to accept.
   */
  verifyPeer?: (cert: PeerCertificate, remoteAddr: string) => string | null;
  minVersion?: SecureVersion;
}

export interface RpcTlsClientOptions {
  caPem: string | Uint8Array;
  /** Our own certificate, for servers that verify incoming connections. */
  certPem?: string | Uint8Array;
  keyPem?: string | Uint8Array;
  /**
   * A name the server's certificate must carry (e.g. "server.global.nomad"), as Nomad's
   * verify_server_hostname, or the name for each server address (a server of another region
   * carries its own region's name); unset, only the CA signature is checked.
   */
  serverName?: string | ((addr: string) => string);
  /** Extra check of the server's certificate: returns why it is refused, or null to accept. */
  verifyPeer?: (cert: PeerCertificate, remoteAddr: string) => string | null;
  minVersion?: SecureVersion;
}

const DEFAULT_MIN_VERSION: SecureVersion = 'TLSv1.2';

function pem(v: string | Uint8Array): string | Buffer {
  return typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** A tls.Server that never listens: the RPC listener hands it the sockets that asked for TLS. */
export function createTlsAcceptor(o: RpcTlsServerOptions, handshakeTimeoutMs: number): tls.Server {
  try {
    return tls.createServer({
      ca: pem(o.caPem),
      cert: pem(o.certPem),
      key: pem(o.keyPem),
      requestCert: true,
      // Verified by us after the handshake, so that a refusal can be logged with its reason and
      // told to the peer; nothing is read from a connection before that check.
      rejectUnauthorized: false,
      minVersion: o.minVersion ?? DEFAULT_MIN_VERSION,
      handshakeTimeout: handshakeTimeoutMs,
    });
  } catch (e) {
    throw new Error(`rpc tls: cannot use the server certificate, key or CA: ${(e as Error).message}`);
  }
}

export function clientSecureContext(o: RpcTlsClientOptions): tls.SecureContext {
  if ((o.certPem === undefined) !== (o.keyPem === undefined)) throw new Error('rpc tls: a client certificate needs its key, and a key its certificate');
  try {
    return tls.createSecureContext({
      ca: pem(o.caPem),
      ...(o.certPem !== undefined ? { cert: pem(o.certPem) } : {}),
      ...(o.keyPem !== undefined ? { key: pem(o.keyPem) } : {}),
      minVersion: o.minVersion ?? DEFAULT_MIN_VERSION,
    });
  } catch (e) {
    throw new Error(`rpc tls: cannot use the client certificate, key or CA: ${(e as Error).message}`);
  }
}

export function hasCertificate(cert: PeerCertificate | null | undefined): cert is PeerCertificate {
  return !!cert && Object.keys(cert).length > 0 && cert.subject !== undefined;
}

/** "CN=server.global.nomad, O=..." (or "no certificate"), for log lines. */
export function describeSubject(cert: PeerCertificate | null | undefined): string {
  if (!hasCertificate(cert)) return 'no certificate';
  const parts = Object.entries(cert.subject as unknown as Record<string, string | string[]>).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`);
  return parts.length > 0 ? parts.join(', ') : 'an empty subject';
}

/** Why a caller's certificate is refused by a server with these options, or null. */
export function refuseClientCertificate(o: RpcTlsServerOptions, socket: tls.TLSSocket, remoteAddr: string): string | null {
  const cert = socket.getPeerCertificate();
  const present = hasCertificate(cert);
  if (o.verifyIncoming ?? true) {
    if (!present) return 'no client certificate presented';
    if (!socket.authorized) return `certificate not trusted (${String(socket.authorizationError ?? 'unverified')})`;
  }
  if (present && o.verifyPeer) return o.verifyPeer(cert, remoteAddr);
  return null;
}
