// `nomad alloc exec` over a WebSocket (/v1/client/allocation/:id/exec): an upgrade request goes
// through the same routing, region check and authorization as any request, then the exec
// session is bridged to the socket in Nomad's frames.
//   client -> agent: {"stdin":{"data":"<base64>"}}, {"stdin":{"close":true}},
//                    {"tty_size":{"height":H,"width":W}}; anything else is ignored (heartbeats)
//   agent -> client: {"stdout":{"data":"<base64>"}}, {"stderr":{"data":"<base64>"}},
//                    {"stdout":{"close":true}}, {"stderr":{"close":true}},
//                    {"exited":true,"result":{"exit_code":N}}, then a normal close
// A failure after the upgrade closes the socket with 1011 for server errors and 1008 otherwise,
// the reason being the error's text, as Nomad does.
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ExecSession } from '../drivers/exec-session.js';
import { badRequest } from '../structs/errors.js';
import type { ApiContext, Handler } from './api-context.js';
import { errorResponse, HttpError, type Exchange } from './exchange.js';

/** Bound on one frame from the client (stdin chunks are small; a terminal sends bytes at a time). */
const MAX_FRAME_BYTES = 1024 * 1024;
/** Output buffered for a client that does not read: past this the session ends. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const NORMAL_CLOSURE = 1000;
const POLICY_VIOLATION = 1008;
const INTERNAL_ERROR = 1011;
/** A close reason is at most 123 bytes. */
const MAX_REASON_BYTES = 123;

/** The raw socket and first bytes of an upgrade request, kept until the route decides. */
const pendingUpgrades = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer }>();

/** A response written straight to an upgrade request's socket (for answers before upgrading). */
export function upgradeResponse(req: IncomingMessage, socket: Duplex, head: Buffer): ServerResponse {
  pendingUpgrades.set(req, { socket, head });
  const res = new ServerResponse(req);
  res.assignSocket(socket as import('node:net').Socket);
  res.shouldKeepAlive = false;
  res.once('finish', () => {
    if (pendingUpgrades.has(req)) socket.end();
  });
  return res;
}

/** Takes an upgrade request's socket over (to relay it to the agent that serves it); null when it is no upgrade. */
export function takeUpgrade(req: IncomingMessage, res: ServerResponse): { socket: Duplex; head: Buffer } | null {
  const pending = pendingUpgrades.get(req);
  if (!pending) return null;
  pendingUpgrades.delete(req);
  res.detachSocket(pending.socket as import('node:net').Socket);
  return pending;
}

const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

export interface ExecStarter {
  (x: Exchange, api: ApiContext, request: { allocId: string; task: string; command: string[]; tty: boolean }): Promise<ExecSession>;
}

function queryCommand(x: Exchange): string[] {
  const raw = x.query.get('command') ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw badRequest(`failed to unmarshal command: ${(e as Error).message}`, '?command');
  }
  if (!Array.isArray(parsed) || parsed.some((c) => typeof c !== 'string')) throw badRequest('failed to unmarshal command: command must be a JSON list of strings', '?command');
  if (parsed.length === 0) throw badRequest('command is not set', '?command');
  return parsed as string[];
}

/** The route's handler: checks the request, upgrades, and runs the session on the socket. */
export function execHandler(start: ExecStarter): Handler {
  return async (x, api) => {
    const pending = pendingUpgrades.get(x.req);
    if (!pending || String(x.req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      throw new HttpError(400, "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header");
    }
    const task = x.query.get('task') ?? '';
    if (!task) throw badRequest('missing task name', '?task');
    const command = queryCommand(x);
    const tty = x.flag('tty');
    if (x.flag('ws_handshake')) throw badRequest('ws_handshake is not supported: send the ACL token in the X-Nomad-Token header', '?ws_handshake');
    pendingUpgrades.delete(x.req);
    x.res.detachSocket(pending.socket as import('node:net').Socket);
    const ws = await new Promise<WebSocket>((resolve) => wss.handleUpgrade(x.req, pending.socket, pending.head, resolve));
    // The client may speak before the session exists (stdin, its terminal's size): keep what it says.
    const early: RawData[] = [];
    const keep = (m: RawData): void => void early.push(m);
    ws.on('message', keep);
    try {
      const session = await start(x, api, { allocId: x.params.id!, task, command, tty });
      ws.off('message', keep);
      await bridge(ws, session, early);
    } catch (e) {
      const { status, message } = errorResponse(e);
      closeWith(ws, status >= 500 ? INTERNAL_ERROR : POLICY_VIOLATION, message);
    }
  };
}

function closeWith(ws: WebSocket, code: number, reason: string): void {
  let r = reason;
  while (Buffer.byteLength(r) > MAX_REASON_BYTES) r = r.slice(0, -1);
  if (ws.readyState === ws.OPEN) ws.close(code, r);
}

async function bridge(ws: WebSocket, session: ExecSession, early: RawData[]): Promise<void> {
  const send = (frame: object): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      session.kill();
      closeWith(ws, POLICY_VIOLATION, 'client is not reading the command output');
      return;
    }
    ws.send(JSON.stringify(frame));
  };
  session.onOutput((stream, data) => send({ [stream]: { data: data.toString('base64') } }));
  const onMessage = (raw: RawData): void => {
    let frame: { stdin?: { data?: string; close?: boolean }; tty_size?: { height?: number; width?: number } };
    try {
      frame = JSON.parse(raw.toString()) as typeof frame;
    } catch {
      return closeWith(ws, POLICY_VIOLATION, 'frames must be JSON objects');
    }
    if (frame.stdin?.data) session.writeStdin(Buffer.from(frame.stdin.data, 'base64'));
    if (frame.stdin?.close) session.closeStdin();
    const size = frame.tty_size;
    if (size && Number.isInteger(size.height) && Number.isInteger(size.width)) session.resize({ height: size.height!, width: size.width! });
  };
  for (const m of early) onMessage(m);
  ws.on('message', onMessage);
  // The client going away ends the command, as a closed terminal would.
  ws.once('close', () => session.kill());
  const exitCode = await session.exited;
  send({ stdout: { close: true } });
  send({ stderr: { close: true } });
  send({ exited: true, result: { exit_code: exitCode } });
  closeWith(ws, NORMAL_CLOSURE, '');
}
