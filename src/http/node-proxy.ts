// A server answers /v1/client/... for allocations on other nodes by passing the request to that
// node's own HTTP API (its HTTPAddr), as Nomad's servers reach a client for its files, logs and
// stats. The request keeps its method, path, query, token and body; the answer streams back as
// the node gives it, and a caller that goes away ends the request to the node.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Node } from '../structs/node.js';
import type { TlsMaterial } from './tls-listener.js';
import { HttpError, type Exchange } from './exchange.js';
import { takeUpgrade } from './exec-websocket.js';
import { bytesOf, encodeUpgradeHead, upgradeHeadOf } from './upgrade-relay.js';

/**
 * Set on every request a server passes to a node: the node answers it itself, even for an
 * allocation it does not know (a client agent would otherwise send it back to the servers).
 */
export const NODE_HOP_HEADER = 'x-nomad-node-hop';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);
/** Reaching a node (TCP and TLS) must not take longer than this. */
const CONNECT_TIMEOUT_MS = 5_000;

function copyHeaders(h: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  return out;
}

/** The node that must answer, when it is not this agent's own client; throws when it cannot be reached. */
export function remoteNode(node: Node | null, nodeId: string, localNodeId: string | null): Node | null {
  if (localNodeId !== null && nodeId === localNodeId) return null;
  if (!node) throw new HttpError(404, `Unknown node "${nodeId}"`);
  if (node.Status === 'down') throw new HttpError(500, `node ${nodeId} is down: its allocations cannot be reached`);
  if (!node.HTTPAddr) throw new HttpError(500, `node ${nodeId} has no HTTP address`);
  return node;
}

export function proxyToNode(x: Exchange, node: Node, tls: TlsMaterial | null): Promise<void> {
  const [host, portText] = splitHostPort(node.HTTPAddr);
  const send = tls ? httpsRequest : httpRequest;
  return new Promise<void>((resolve, reject) => {
    const out = send(
      {
        host,
        port: Number(portText),
        method: x.req.method,
        path: x.req.url,
        headers: { ...copyHeaders(x.req.headers), [NODE_HOP_HEADER]: '1' },
        agent: false,
        timeout: CONNECT_TIMEOUT_MS,
        signal: x.signal,
        // The node's certificate must come from the cluster's CA; its name is not checked, as
        // without verify_server_hostname (nodes are named by address here).
        ...(tls ? { ca: tls.ca ?? undefined, cert: tls.cert, key: tls.key, checkServerIdentity: () => undefined } : {}),
      },
      (res) => {
        x.res.writeHead(res.statusCode ?? 500, copyHeaders(res.headers));
        res.pipe(x.res);
        res.on('end', resolve);
        res.on('error', reject);
      },
    );
    out.on('timeout', () => out.destroy(new Error(`no answer from node ${node.ID} at ${node.HTTPAddr} within ${CONNECT_TIMEOUT_MS} ms`)));
    out.on('error', (e) => {
      if (x.signal.aborted) return resolve();
      if (x.res.headersSent) {
        x.res.destroy();
        return resolve();
      }
      reject(new HttpError(500, `failed to reach node ${node.ID} at ${node.HTTPAddr}: ${e.message}`));
    });
    x.req.pipe(out);
  });
}

/**
 * An upgrade request (alloc exec) for an allocation of another node: the caller's socket is
 * joined to a connection to the node's HTTP address, which answers the upgrade and runs the
 * session; bytes pass both ways untouched until either side closes.
 */
export async function proxyUpgradeToNode(x: Exchange, node: Node, tls: TlsMaterial | null): Promise<void> {
  const upgrade = takeUpgrade(x.req, x.res);
  if (!upgrade) throw new HttpError(400, "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header");
  const [host, portText] = splitHostPort(node.HTTPAddr);
  const port = Number(portText);
  const conn: Socket = tls
    ? tlsConnect({ host, port, ca: tls.ca ?? undefined, cert: tls.cert, key: tls.key, checkServerIdentity: () => undefined })
    : netConnect({ host, port });
  const head = upgradeHeadOf(x.req);
  head.Headers[NODE_HOP_HEADER] = '1';
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => conn.destroy(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    conn.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      conn.write(encodeUpgradeHead(head, node.HTTPAddr));
      if (upgrade.head.length > 0) conn.write(bytesOf(upgrade.head));
      conn.pipe(upgrade.socket);
      upgrade.socket.pipe(conn);
    });
    conn.once('error', (e) => {
      clearTimeout(timer);
      if (conn.bytesRead === 0 && upgrade.socket.writable) {
        const text = `failed to reach node ${node.ID} at ${node.HTTPAddr}: ${e.message}`;
        upgrade.socket.end(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
      } else upgrade.socket.destroy();
    });
    conn.once('close', () => resolve());
    upgrade.socket.once('close', () => conn.destroy());
  });
}

function splitHostPort(addr: string): [string, string] {
  const i = addr.lastIndexOf(':');
  return [addr.slice(0, i).replace(/^\[(.*)\]$/, '$1'), addr.slice(i + 1)];
}
