// GET /v1/event/stream: newline-delimited JSON frames {"Index":N,"Events":[...]} of the events
// this server's FSM published, filtered by ?topic=Topic:Key (repeatable), ?namespace= and
// ?index= (where in the buffer to start), with "{}" heartbeats. Bad parameters are a 400 before
// anything streams. The writer follows the socket's pace: it writes only when the socket took
// the last frames, so a slow reader holds at most one write in memory and, once the buffer has
// moved past it, is told so and disconnected.
import { badRequest, NomadError } from '../structs/errors.js';
import { EVENT_TOPICS, type EventFilter, type EventTopic, type StreamEvent } from '../state/stream-events.js';
import type { CloseReason, EventSubscription } from '../server/event-broker.js';
import type { RouteTable } from './route-table.js';
import { ANY_TOKEN } from '../acl/need.js';
import { permissionDenied } from '../acl/errors.js';
import type { ApiContext, Handler } from './api-context.js';
import type { Exchange } from './exchange.js';
import { encodeAlloc, encodeEval } from './encode.js';

/** Nomad sends a heartbeat frame every 10 s. */
export const EVENT_HEARTBEAT_MS = 10_000;
/** Batches written at once: bounds one write, so a slow socket never holds more. */
const BATCHES_PER_WRITE = 32;

export interface EventRouteOptions {
  heartbeatMs?: number;
}

/** ?topic=Topic or Topic:Key (Key "*" for all); no topic at all means every topic. */
export function parseTopics(values: string[]): Map<EventTopic, string[]> {
  const topics = new Map<EventTopic, string[]>();
  if (values.length === 0) return new Map([['*', ['*']]]);
  for (const raw of values) {
    const parts = raw.split(':');
    if (parts.length > 2) throw badRequest(`Invalid topic query: error parsing topics: Invalid key value pair for topic, topic: ${raw}`, '?topic');
    const [topic, key = '*'] = parts as [string, string?];
    if (!(EVENT_TOPICS as readonly string[]).includes(topic)) {
      throw badRequest(`Invalid topic query: unknown topic "${topic}" (valid topics: ${EVENT_TOPICS.join(', ')})`, '?topic');
    }
    if (key === '') throw badRequest(`Invalid topic query: topic "${topic}" has an empty filter key (use "${topic}" or "${topic}:*" for every key)`, '?topic');
    const list = topics.get(topic as EventTopic) ?? [];
    list.push(key);
    topics.set(topic as EventTopic, list);
  }
  return topics;
}

export function parseStartIndex(raw: string | null): number {
  if (raw === null || raw === '') return 0;
  if (!/^[+-]?\d+$/.test(raw)) throw badRequest(`Unable to parse index: strconv.Atoi: parsing ${JSON.stringify(raw)}: invalid syntax`, '?index');
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw badRequest(`Unable to parse index: strconv.Atoi: parsing ${JSON.stringify(raw)}: value out of range`, '?index');
  return Math.max(0, n);
}

/** An event as Nomad writes it: the payload named after its object, shaped as the API shows it. */
export function encodeEvent(e: StreamEvent): Record<string, unknown> {
  const o = e.object;
  let payload: Record<string, unknown>;
  switch (o.table) {
    case 'jobs':
      payload = { Job: o.value };
      break;
    case 'allocs':
      // Without its job, which would make every allocation event as large as the job.
      payload = { Allocation: encodeAlloc({ ...o.value, Job: null }) };
      break;
    case 'evals':
      payload = { Evaluation: encodeEval(o.value) };
      break;
    case 'deployment':
      payload = { Deployment: o.value };
      break;
    case 'nodes':
      payload = { Node: { ...o.value, SecretID: '' } };
      break;
    case 'acl_policy':
      payload = { ACLPolicy: o.value };
      break;
    case 'acl_token':
      // The secret never leaves in an event.
      payload = { ACLToken: { ...o.value, SecretID: '' } };
      break;
  }
  return { Topic: e.Topic, Type: e.Type, Key: e.Key, Namespace: e.Namespace, FilterKeys: e.FilterKeys, Index: e.Index, Payload: payload };
}

const CLOSE_MESSAGE: Record<CloseReason, string> = {
  slow: 'subscription closed by server, client must reset state and resubscribe: the reader fell behind the server\'s event buffer',
  reset: 'subscription closed by server, client must reset state and resubscribe: the server restored its state from a snapshot',
  shutdown: 'subscription closed by server: the server is shutting down',
  unsubscribed: '',
};

/** How long a dropped reader gets to take the closing message before its connection is cut. */
const CLOSE_GRACE_MS = 10_000;

/** Until the socket took what was written, the client left, or the subscription closed. */
function waitForDrain(x: Exchange, sub: EventSubscription): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      x.res.off('drain', done);
      x.signal.removeEventListener('abort', done);
      resolve();
    };
    x.res.once('drain', done);
    x.signal.addEventListener('abort', done, { once: true });
    void sub.closed.then(done);
  });
}

async function pump(x: Exchange, sub: EventSubscription, heartbeatMs: number): Promise<void> {
  let blocked = false;
  const heartbeat = setInterval(() => {
    // A blocked socket has frames in flight already: no heartbeat needed, none to queue.
    if (!blocked && !x.signal.aborted) x.res.write('{}\n');
  }, heartbeatMs);
  try {
    while (!x.signal.aborted && sub.closeReason === null) {
      const batches = sub.take(BATCHES_PER_WRITE);
      if (batches.length > 0) {
        const text = batches.map((b) => JSON.stringify({ Index: b.Index, Events: b.Events.map(encodeEvent) }) + '\n').join('');
        if (!x.res.write(text)) {
          blocked = true;
          await waitForDrain(x, sub);
          blocked = false;
        }
        continue;
      }
      await sub.wait(x.signal);
    }
  } finally {
    clearInterval(heartbeat);
    sub.close();
  }
  const reason = sub.closeReason;
  if (!x.signal.aborted && reason !== null && CLOSE_MESSAGE[reason] !== '') x.res.write(CLOSE_MESSAGE[reason]);
  x.res.end();
  // A reader that does not read even its closing message is cut off, so nothing stays queued.
  if (!x.res.writableFinished) {
    const cut = setTimeout(() => x.res.destroy(), CLOSE_GRACE_MS);
    cut.unref();
    x.res.once('finish', () => clearTimeout(cut));
    x.res.once('close', () => clearTimeout(cut));
  }
}

/**
 * With ACLs, each topic asks for its own right, as Nomad's do: every topic ("*") and the ACL
 * topics need a management token, nodes node:read, the others read-job in the namespace.
 */
function checkTopicAccess(x: Exchange, topics: Map<EventTopic, string[]>): void {
  const acl = x.acl;
  if (acl === null) return;
  const ns = x.namespace;
  for (const topic of topics.keys()) {
    const ok =
      topic === '*' || topic === 'ACLToken' || topic === 'ACLPolicy'
        ? acl.management
        : topic === 'Node' || topic === 'NodeDrain'
          ? acl.allow('node', 'read')
          : ns === '*'
            ? acl.allowInSomeNamespace(['read-job'])
            : acl.allowNamespaceAny(ns, ['read-job']);
    if (!ok) throw permissionDenied();
  }
}

export function addEventRoutes(r: RouteTable, opts: EventRouteOptions = {}): void {
  const heartbeatMs = opts.heartbeatMs ?? EVENT_HEARTBEAT_MS;
  // Any token: the topics asked for decide (checkTopicAccess).
  r.add(['GET'], '/v1/event/stream', ANY_TOKEN, async (x: Exchange, api: ApiContext) => {
    const index = parseStartIndex(x.query.get('index'));
    const topics = parseTopics(x.query.getAll('topic'));
    checkTopicAccess(x, topics);
    const acl = x.acl;
    // Across namespaces, a token sees the events of the namespaces it may read jobs in.
    const filter: EventFilter = {
      topics,
      namespace: x.namespace,
      ...(acl !== null && x.namespace === '*' && !acl.management ? { namespaceAllowed: (ns: string) => acl.allowNamespaceAny(ns, ['read-job']) } : {}),
    };
    const broker = api.server.events;
    if (broker === null) throw new NomadError('bad_request', 'Agent event broker disabled');
    const sub = broker.subscribe(filter, index);
    x.res.statusCode = 200;
    x.res.setHeader('Content-Type', 'application/json');
    x.res.setHeader('Cache-Control', 'no-cache');
    x.res.flushHeaders();
    await pump(x, sub, heartbeatMs);
    if (sub.closeReason === 'slow') api.logger.warn('event stream reader dropped: it fell behind the event buffer', { buffer_size: broker.bufferSize });
  });
}
