// HTTPS for the API. One port answers both: a connection that starts with a TLS handshake goes
// to the HTTPS server; anything else (plain HTTP sent to the TLS port) gets Go's answer, as a
// Nomad agent gives it. With client verification on, a connection whose certificate is missing
// or not signed by the configured CA is closed before any request is read, and the log names
// the refused certificate. Certificates can be replaced while running (SIGHUP).
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecureVersion, TLSSocket } from 'node:tls';
import type { Logger } from '../server/logger.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** The CA client certificates must chain to. */
  ca: Buffer | null;
  /** Ask for client certificates and refuse connections without a valid one. */
  verifyClient: boolean;
  minVersion: SecureVersion;
  /** OpenSSL cipher list; undefined for node's defaults. */
  ciphers: string | undefined;
}

/** What Go's HTTP server writes to a plain HTTP request on a TLS port. */
export const PLAIN_HTTP_ON_TLS_ANSWER = 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/** The first byte of a TLS record carrying a handshake. */
const TLS_HANDSHAKE = 0x16;
/** A connection that sends nothing is closed after this long. */
const FIRST_BYTE_TIMEOUT_MS = 60_000;

export function secureContextOptions(m: TlsMaterial): { cert: Buffer; key: Buffer; ca?: Buffer; minVersion: SecureVersion; ciphers?: string } {
  return { cert: m.cert, key: m.key, ...(m.ca ? { ca: m.ca } : {}), minVersion: m.minVersion, ...(m.ciphers ? { ciphers: m.ciphers } : {}) };
}

export class TlsFront {
  readonly https: HttpsServer;
  private readonly front: NetServer;
  private readonly sniffing = new Set<Socket>();

  constructor(
    material: TlsMaterial,
    handler: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly logger: Logger,
    maxHeaderSize: number,
  ) {
    // Client certificates are checked here rather than by OpenSSL's handshake, so that the log
    // can name what was refused; a refused connection is closed before a request is read.
    this.https = createHttpsServer({ ...secureContextOptions(material), requestCert: material.verifyClient, rejectUnauthorized: false, maxHeaderSize }, handler);
    if (material.verifyClient) this.https.on('secureConnection', (socket: TLSSocket) => this.checkClient(socket));
    this.https.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      this.logger.warn('http: TLS handshake failed', { remote: `${socket.remoteAddress}:${socket.remotePort}`, error: err.message });
    });
    this.front = createNetServer((socket) => this.sniff(socket));
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.front.once('error', reject);
      this.front.listen(port, host, () => {
        this.front.off('error', reject);
        resolve(this.front.address() as AddressInfo);
      });
    });
  }

  /** New connections use the new certificates; open ones keep theirs. */
  reload(material: TlsMaterial): void {
    this.https.setSecureContext(secureContextOptions(material));
  }

  close(): Promise<void> {
    for (const s of this.sniffing) s.destroy();
    this.https.closeAllConnections();
    return new Promise((resolve) => this.front.close(() => resolve()));
  }

  private sniff(socket: Socket): void {
    this.sniffing.add(socket);
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.sniffing.delete(socket));
    socket.once('data', (first: Buffer) => {
      this.sniffing.delete(socket);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(first as unknown as Uint8Array);
      if (first[0] === TLS_HANDSHAKE) this.https.emit('connection', socket);
      else socket.end(PLAIN_HTTP_ON_TLS_ANSWER);
    });
  }

  private checkClient(socket: TLSSocket): void {
    if (socket.authorized) return;
    const cert = socket.getPeerCertificate();
    const presented = cert && Object.keys(cert).length > 0;
    this.logger.warn('http: refused a client certificate', {
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      certificate: presented ? `subject ${formatName(cert.subject)}, issuer ${formatName(cert.issuer)}, serial ${cert.serialNumber}` : 'none presented',
      error: String(socket.authorizationError ?? 'no client certificate'),
    });
    socket.destroy();
  }
}

function formatName(name: object | undefined): string {
  if (!name) return '';
  return Object.entries(name as Record<string, string | string[]>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}
