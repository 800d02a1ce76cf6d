// The agent's own diagnostics: GET /v1/agent/monitor streams its log at a level and in a format
// of the caller's (Nomad's frames with base64 Data, or plain text), and /v1/agent/pprof/* hands
// out profiles of its process. Both act on this agent, or on the agent of another client node
// (?node_id=), which is asked over its own HTTP API.
import { request as httpRequest } from 'node:http';
import { badRequest, NomadError } from '../structs/errors.js';
import type { RouteTable } from './route-table.js';
import { coarseNeed } from '../acl/need.js';
import type { ApiContext, Handler } from './api-context.js';
import { HttpError, type Exchange } from './exchange.js';
import type { AgentInfo, MonitorLevel, ProfileKind } from './agent-info.js';

/** How long a monitor may stay silent before a heartbeat frame is sent. */
const MONITOR_HEARTBEAT_MS = 1_000;
/** Bound on a profile's duration. */
export const MAX_PROFILE_SECONDS = 300;

const LEVELS: readonly MonitorLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** Go's strconv.ParseBool, whose words Nomad's query parameters accept. */
function parseBool(name: string, raw: string | null, what: string): boolean {
  if (raw === null || raw === '') return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
  throw badRequest(`Unknown option for ${what}: strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`, `?${name}`);
}

function agentOf(api: ApiContext): AgentInfo {
  if (!api.agent) throw new HttpError(501, 'agent information is not available');
  return api.agent;
}

type Target = { kind: 'local' } | { kind: 'remote'; httpAddr: string };

/**
 * Where ?node_id / ?server_id point: this agent, or the agent of another client node (reached
 * at the HTTP address it registered). Other servers are not reachable from here.
 */
function targetOf(x: Exchange, api: ApiContext): Target {
  const nodeId = x.query.get('node_id') ?? '';
  const serverId = x.query.get('server_id') ?? '';
  if (nodeId && serverId) throw badRequest('Cannot target node and server simultaneously', '?node_id');
  if (nodeId) {
    if (api.client && api.client.nodeId() === nodeId) return { kind: 'local' };
    const node = api.store.snapshot().nodeByID(nodeId);
    if (!node) throw new NomadError('not_found', 'Unknown node');
    if (!node.HTTPAddr) throw badRequest(`node ${nodeId} registered no HTTP address to reach its agent at`, '?node_id');
    return { kind: 'remote', httpAddr: node.HTTPAddr };
  }
  if (serverId) {
    const names = agentOf(api).serverNames?.() ?? [];
    if (names.includes(serverId) || (serverId === 'leader' && api.server.isLeader())) return { kind: 'local' };
    throw badRequest(`server ${JSON.stringify(serverId)} is not this agent's server: ask that server's own HTTP API (this agent answers for ${names.join(', ') || 'no server'})`, '?server_id');
  }
  return { kind: 'local' };
}

/** Passes the request on to another agent (without the target parameters) and its answer back. */
function proxy(x: Exchange, httpAddr: string): Promise<void> {
  const query = new URLSearchParams(x.query);
  query.delete('node_id');
  query.delete('server_id');
  const [host, port] = [httpAddr.slice(0, httpAddr.lastIndexOf(':')), Number(httpAddr.slice(httpAddr.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    const token = x.req.headers['x-nomad-token'];
    if (typeof token === 'string') headers['X-Nomad-Token'] = token;
    const req = httpRequest({ host, port, path: `${x.url.pathname}?${query}`, method: 'GET', headers, signal: x.signal }, (res) => {
      x.res.statusCode = res.statusCode ?? 502;
      for (const h of ['content-type', 'content-disposition', 'x-content-type-options']) {
        const v = res.headers[h];
        if (v !== undefined) x.res.setHeader(h, v);
      }
      res.pipe(x.res);
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', (e) => (x.signal.aborted ? resolve() : reject(new NomadError('internal', `reaching the agent of the node at ${httpAddr}: ${e.message}`))));
    req.end();
  });
}

const monitor: Handler = async (x, api) => {
  const rawLevel = x.query.get('log_level') || 'INFO';
  const level = rawLevel.toUpperCase() === 'WARNING' ? 'WARN' : rawLevel.toUpperCase();
  if (!(LEVELS as readonly string[]).includes(level)) throw badRequest(`Unknown log level: ${rawLevel}`, '?log_level');
  const json = parseBool('log_json', x.query.get('log_json'), 'log json');
  const plain = parseBool('plain', x.query.get('plain'), 'plain');
  // Source locations are Go's: this agent has none to add, and says so rather than ignore the ask.
  if (parseBool('log_include_location', x.query.get('log_include_location'), 'log_include_location')) {
    throw badRequest('log_include_location is not supported by this agent: its log lines carry no source locations', '?log_include_location');
  }
  const target = targetOf(x, api);
  if (target.kind === 'remote') return proxy(x, target.httpAddr);
  const agent = agentOf(api);
  if (!agent.monitor) throw new HttpError(501, 'this agent cannot stream its log');
  const stream = agent.monitor(level as MonitorLevel, json);
  x.res.statusCode = 200;
  x.res.setHeader('Content-Type', plain ? 'text/plain' : 'application/json');
  x.res.flushHeaders();
  let lastWrite = Date.now();
  const heartbeat = plain
    ? null
    : setInterval(() => {
        if (Date.now() - lastWrite >= MONITOR_HEARTBEAT_MS && !x.signal.aborted) x.res.write('{}');
      }, MONITOR_HEARTBEAT_MS);
  try {
    for (;;) {
      const lines = await stream.next(x.signal);
      if (lines === null) break;
      const text = lines.join('');
      const ok = x.res.write(plain ? text : JSON.stringify({ Data: Buffer.from(text).toString('base64') }));
      lastWrite = Date.now();
      if (!ok) await new Promise<void>((resolve) => {
        x.res.once('drain', resolve);
        x.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    stream.close();
  }
  x.res.end();
};

/** What each pprof path gives, and the file name Nomad's answers carry. */
const PROFILES: Record<string, { kind: ProfileKind | 'cmdline'; file: string }> = {
  cmdline: { kind: 'cmdline', file: 'cmdline' },
  profile: { kind: 'cpu', file: 'profile' },
  heap: { kind: 'heap', file: 'heap' },
  allocs: { kind: 'allocs', file: 'allocs' },
};

const pprof: Handler = async (x, api) => {
  const name = x.params.profile ?? '';
  if (name === '') throw new HttpError(404, 'Invalid method');
  const agent = agentOf(api);
  // Without ACLs, profiles are handed out only when the operator turned enable_debug on (with
  // ACLs, the route's agent:write decides).
  if (x.acl === null && !agent.debugEnabled) throw new HttpError(403, 'Permission denied');
  const target = targetOf(x, api);
  if (target.kind === 'remote') return proxy(x, target.httpAddr);
  const spec = PROFILES[name];
  if (!spec) {
    throw new HttpError(404, `Pprof profile not found profile: ${name} (this agent runs on Node.js; its profiles are ${Object.keys(PROFILES).join(', ')})`);
  }
  // As Go's pprof handlers: an unparsable number is 0, and 0 seconds means 1.
  const rawSeconds = Number.parseInt(x.query.get('seconds') ?? '', 10);
  const seconds = Number.isFinite(rawSeconds) && rawSeconds > 0 ? rawSeconds : 1;
  if (seconds > MAX_PROFILE_SECONDS) throw badRequest(`seconds must be at most ${MAX_PROFILE_SECONDS}, got ${seconds}`, '?seconds');
  let body: Buffer;
  if (spec.kind === 'cmdline') {
    body = Buffer.from(process.argv.join('\0'));
  } else {
    if (!agent.profile) throw new HttpError(501, 'this agent cannot profile itself');
    body = await agent.profile(spec.kind, seconds);
  }
  x.res.setHeader('X-Content-Type-Options', 'nosniff');
  if (spec.kind === 'cmdline') {
    await x.sendText(200, 'text/plain; charset=utf-8', body);
    return;
  }
  x.res.setHeader('Content-Disposition', `attachment; filename="${spec.file}"`);
  await x.sendText(200, 'application/octet-stream', body);
};

export function addMonitorRoutes(r: RouteTable): void {
  r.add(['GET'], '/v1/agent/monitor', coarseNeed('agent', 'read'), monitor);
  r.add(['GET'], '/v1/agent/pprof/:profile', coarseNeed('agent', 'write'), pprof);
  r.add(['GET'], '/v1/agent/pprof', coarseNeed('agent', 'write'), pprof);
}
