// /v1/client/...: files, logs and stats of allocations on this agent's client. Logs and cat
// stream; logs frame their data as Nomad does ({"File","Offset","Data"} with base64 Data, and
// "{}" heartbeats while a followed file is idle), or send raw bytes with ?plain=true.
import type { Readable } from 'node:stream';
import type { ClientEndpoints, StreamFrame } from '../rpc/client-endpoints.js';
import { NomadError, badRequest } from '../structs/errors.js';
import { execHandler, type ExecStarter } from './exec-websocket.js';
import type { RouteTable } from './route-table.js';
import { coarseNeed, namespaceNeed } from '../acl/need.js';
import type { ApiContext, Handler } from './api-context.js';
import { HttpError, type Exchange } from './exchange.js';
import { optString } from './body-fields.js';
import { proxyToNode, proxyUpgradeToNode, remoteNode } from './node-proxy.js';
import { allocNamespace } from './authorize.js';

/** How long a followed log may stay silent before a heartbeat frame is sent. */
const HEARTBEAT_MS = 1_000;

function clientOr400(api: ApiContext): ClientEndpoints {
  if (!api.client) throw new HttpError(400, 'node is not running a Nomad Client');
  return api.client;
}

/** The allocation must be known, and run on this client. */
function checkAlloc(api: ApiContext, allocId: string): ClientEndpoints {
  if (!allocId) throw badRequest('must provide a valid alloc id', 'alloc');
  // Without a server, the client's own allocations are all this agent knows (it answers 404 for others).
  if (!api.hasServer) return clientOr400(api);
  // A server knows every allocation: an unknown one is unknown wherever it is asked.
  const alloc = api.store.snapshot().allocByID(allocId);
  if (!alloc) throw new HttpError(404, `Unknown allocation "${allocId}"`);
  const client = clientOr400(api);
  if (alloc.NodeID !== client.nodeId()) throw new HttpError(400, `allocation "${allocId}" is not running on this client`);
  return client;
}

async function pipeReadable(x: Exchange, stream: Readable, contentType: string): Promise<void> {
  x.res.statusCode = 200;
  x.res.setHeader('Content-Type', contentType);
  x.res.setHeader('Vary', 'Accept-Encoding');
  x.signal.addEventListener('abort', () => stream.destroy(), { once: true });
  for await (const chunk of stream) {
    if (!x.res.write(chunk)) await new Promise((r) => x.res.once('drain', r));
  }
  x.res.end();
}

const logs: Handler = async (x, api) => {
  const allocId = x.params.alloc!;
  const client = checkAlloc(api, allocId);
  const task = x.query.get('task') ?? '';
  if (!task) throw badRequest('must include task name', '?task');
  const type = x.query.get('type') ?? 'stdout';
  if (type !== 'stdout' && type !== 'stderr') throw badRequest(`invalid log type "${type}": must be one of stdout, stderr`, '?type');
  const origin = x.query.get('origin') ?? 'start';
  if (origin !== 'start' && origin !== 'end') throw badRequest(`invalid origin "${origin}": must be one of start, end`, '?origin');
  const follow = x.flag('follow');
  const plain = x.flag('plain');
  const offset = x.intParam('offset', 0);
  if (offset < 0) throw badRequest('offset must be non-negative', '?offset');
  const frames = client.allocLogs({ allocId, task, type, follow, origin, offset, signal: x.signal });
  const iterator = frames[Symbol.asyncIterator]();
  // Ask for the first frame before answering, so that an unknown task is still a plain error.
  const first = await iterator.next();
  await sendFrames(x, iterator, first, follow, plain);
};

/**
 * Streams frames as Nomad does: JSON objects one after another (heartbeats `{}` while a
 * followed file is idle), or with ?plain=true the bytes alone.
 */
async function sendFrames(x: Exchange, iterator: AsyncIterator<StreamFrame>, first: IteratorResult<StreamFrame> | null, follow: boolean, plain: boolean): Promise<void> {
  x.res.statusCode = 200;
  x.res.setHeader('Content-Type', plain ? 'text/plain' : 'application/json');
  x.res.setHeader('Vary', 'Accept-Encoding');
  x.res.flushHeaders();
  const write = (frame: StreamFrame): void => {
    if (plain) {
      if (frame.Data) x.res.write(Buffer.from(frame.Data, 'base64'));
    } else {
      x.res.write(JSON.stringify(frame));
    }
  };
  let heartbeat: NodeJS.Timeout | null = null;
  const armHeartbeat = (): void => {
    if (!follow || plain) return;
    if (heartbeat) clearTimeout(heartbeat);
    heartbeat = setTimeout(function beat() {
      if (x.signal.aborted) return;
      x.res.write('{}');
      heartbeat = setTimeout(beat, HEARTBEAT_MS);
    }, HEARTBEAT_MS);
  };
  try {
    armHeartbeat();
    let next = first ?? (await iterator.next());
    while (!next.done && !x.signal.aborted) {
      write(next.value);
      armHeartbeat();
      next = await iterator.next();
    }
  } finally {
    if (heartbeat) clearTimeout(heartbeat);
    await iterator.return?.();
  }
  x.res.end();
}

/** GET /v1/client/fs/stream/:alloc: a file followed from ?offset= counted from ?origin= (start or end). */
const fsStream: Handler = async (x, api) => {
  const allocId = x.params.alloc!;
  const client = checkAlloc(api, allocId);
  const origin = x.query.get('origin') ?? 'start';
  if (origin !== 'start' && origin !== 'end') throw badRequest(`invalid origin "${origin}": must be one of start, end`, '?origin');
  const offset = x.intParam('offset', 0);
  if (offset < 0) throw badRequest('offset must be non-negative', '?offset');
  const frames = await client.fsStream(allocId, pathParam(x), origin, offset, x.signal);
  await sendFrames(x, frames[Symbol.asyncIterator](), null, true, x.flag('plain'));
};

function pathParam(x: Exchange): string {
  return x.query.get('path') ?? '/';
}

const fsLs: Handler = async (x, api) => x.sendJson(200, await checkAlloc(api, x.params.alloc!).fsList(x.params.alloc!, pathParam(x)));
const fsStat: Handler = async (x, api) => x.sendJson(200, await checkAlloc(api, x.params.alloc!).fsStat(x.params.alloc!, pathParam(x)));
const fsCat: Handler = async (x, api) => pipeReadable(x, await checkAlloc(api, x.params.alloc!).fsCat(x.params.alloc!, pathParam(x)), 'text/plain');
/** ?offset= and ?limit=; no limit (or one of zero or less) reads to the end, as Nomad does. */
const fsReadAt: Handler = async (x, api) => {
  const offset = x.intParam('offset', 0);
  const limit = x.intParam('limit', 0);
  if (offset < 0) throw badRequest('offset must be non-negative', '?offset');
  await pipeReadable(x, await checkAlloc(api, x.params.alloc!).fsReadAt(x.params.alloc!, pathParam(x), offset, limit > 0 ? limit : null), 'text/plain');
};

const allocStats: Handler = async (x, api) => x.sendJson(200, await checkAlloc(api, x.params.id!).allocStats(x.params.id!));
const hostStats: Handler = async (x, api) => x.sendJson(200, await clientOr400(api).hostStats());

async function taskFromBody(x: Exchange): Promise<{ task: string | null; body: Record<string, unknown> }> {
  const body = await x.objectBody(true);
  const task = optString(body, 'TaskName') || x.query.get('task') || null;
  return { task, body };
}

const allocRestart: Handler = async (x, api) => {
  const client = checkAlloc(api, x.params.id!);
  const { task } = await taskFromBody(x);
  await client.allocRestart(x.params.id!, task);
  await x.sendJson(200, {});
};

const allocSignal: Handler = async (x, api) => {
  const client = checkAlloc(api, x.params.id!);
  const { task, body } = await taskFromBody(x);
  const signal = optString(body, 'Signal') || 'SIGKILL';
  await client.allocSignal(x.params.id!, task, signal);
  await x.sendJson(200, {});
};

/** Starts an exec session on this agent's client; raw_exec tasks also need alloc-node-exec. */
const startExec: ExecStarter = async (x, api, r) => {
  const client = checkAlloc(api, r.allocId);
  const namespace = allocNamespace(api, r.allocId) ?? x.namespace;
  return client.allocExec(r.allocId, r.task, { command: r.command, tty: r.tty }, (fsIsolation) => {
    // A task without file system isolation runs on the node itself: exec there is exec on the node.
    if (fsIsolation === 'none' && x.acl !== null && !x.acl.allowNamespaceAny(namespace, ['alloc-node-exec'])) throw new NomadError('forbidden', 'Permission denied');
  });
};

const READ_FS = namespaceNeed('read-fs');
const LIFECYCLE = namespaceNeed('alloc-lifecycle');
const FS_ALLOC = { object: 'alloc', param: 'alloc' } as const;
const ALLOC = { object: 'alloc', param: 'id' } as const;

/**
 * A server passes requests for allocations of other nodes on to those nodes; its own client's
 * (and unknown allocations, which get their 404 here) are answered locally.
 */
function onAllocNode(param: 'alloc' | 'id', h: Handler): Handler {
  return async (x, api) => {
    if (!api.hasServer) return h(x, api);
    const alloc = api.store.snapshot().allocByID(x.params[param] ?? '');
    if (!alloc) return h(x, api);
    const node = remoteNode(api.store.snapshot().nodeByID(alloc.NodeID), alloc.NodeID, api.client?.nodeId() ?? null);
    return node ? proxyToNode(x, node, api.nodeTls) : h(x, api);
  };
}

/**
 * alloc exec into an allocation of another node: the session is relayed to that node, which
 * runs it. A task without file system isolation (raw_exec) runs on the node itself, so the
 * server asks for alloc-node-exec before relaying, as the node would.
 */
function execOnAllocNode(h: Handler): Handler {
  return async (x, api) => {
    if (!api.hasServer) return h(x, api);
    const alloc = api.store.snapshot().allocByID(x.params.id ?? '');
    if (!alloc) return h(x, api);
    const node = remoteNode(api.store.snapshot().nodeByID(alloc.NodeID), alloc.NodeID, api.client?.nodeId() ?? null);
    if (!node) return h(x, api);
    const task = alloc.Job?.TaskGroups.find((g) => g.Name === alloc.TaskGroup)?.Tasks.find((t) => t.Name === x.query.get('task'));
    if (task?.Driver === 'raw_exec' && x.acl !== null && !x.acl.allowNamespaceAny(alloc.Namespace, ['alloc-node-exec'])) throw new NomadError('forbidden', 'Permission denied');
    return proxyUpgradeToNode(x, node, api.nodeTls);
  };
}

/** /v1/client/stats?node_id= names another node: that node answers. */
const hostStatsOnNode: Handler = async (x, api) => {
  const nodeId = x.query.get('node_id') ?? '';
  if (!api.hasServer || nodeId === '') return hostStats(x, api);
  const node = remoteNode(api.store.snapshot().nodeByID(nodeId), nodeId, api.client?.nodeId() ?? null);
  return node ? proxyToNode(x, node, api.nodeTls) : hostStats(x, api);
};

export function addClientRoutes(r: RouteTable): void {
  const W = ['PUT', 'POST'];
  r.add(['GET'], '/v1/client/fs/logs/:alloc', namespaceNeed('read-logs'), onAllocNode('alloc', logs), FS_ALLOC, 'request');
  r.add(['GET'], '/v1/client/fs/ls/:alloc', READ_FS, onAllocNode('alloc', fsLs), FS_ALLOC, 'request');
  r.add(['GET'], '/v1/client/fs/stat/:alloc', READ_FS, onAllocNode('alloc', fsStat), FS_ALLOC, 'request');
  r.add(['GET'], '/v1/client/fs/cat/:alloc', READ_FS, onAllocNode('alloc', fsCat), FS_ALLOC, 'request');
  r.add(['GET'], '/v1/client/fs/readat/:alloc', READ_FS, onAllocNode('alloc', fsReadAt), FS_ALLOC, 'request');
  r.add(['GET'], '/v1/client/fs/stream/:alloc', READ_FS, onAllocNode('alloc', fsStream), FS_ALLOC, 'request');
  r.add(['GET'], '/v1/client/allocation/:id/exec', namespaceNeed('alloc-exec'), execOnAllocNode(execHandler(startExec)), ALLOC, 'request');
  r.add(['GET'], '/v1/client/allocation/:id/stats', namespaceNeed('read-job'), onAllocNode('id', allocStats), ALLOC, 'request');
  r.add(W, '/v1/client/allocation/:id/restart', LIFECYCLE, onAllocNode('id', allocRestart), ALLOC, 'request');
  r.add(W, '/v1/client/allocation/:id/signal', LIFECYCLE, onAllocNode('id', allocSignal), ALLOC, 'request');
  r.add(['GET'], '/v1/client/stats', coarseNeed('node', 'read'), hostStatsOnNode);
}
