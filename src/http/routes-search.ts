// /v1/search (prefix search of IDs) and /v1/search/fuzzy (today's Nomad: substrings of names,
// jobs expanded into their groups, tasks, services and driver images/commands/classes). Both
// look at a bounded number of objects per context and say when they stopped short.
import { badRequest } from '../structs/errors.js';
import type { Job } from '../structs/job.js';
import type { StateReader, TableName } from '../state/reader.js';
import type { RouteTable } from './route-table.js';
import { queryMeta, type ApiContext, type Handler } from './api-context.js';
import type { Exchange } from './exchange.js';
import { optString } from './body-fields.js';
import { ANY_TOKEN } from '../acl/need.js';
import { permissionDenied } from '../acl/errors.js';
import { visibleOnly } from './visible.js';

/** The server's `search` block. */
export interface SearchLimits {
  fuzzyEnabled: boolean;
  limitQuery: number;
  limitResults: number;
  minTermLength: number;
}

export const DEFAULT_SEARCH_LIMITS: SearchLimits = { fuzzyEnabled: true, limitQuery: 20, limitResults: 100, minTermLength: 2 };

/** Nomad truncates each context of a prefix search at 20 matches. */
const PREFIX_LIMIT = 20;

/** Searchable contexts, in Nomad's order; CSI plugins and volumes exist here only as empty contexts. */
const CONTEXTS = ['allocs', 'jobs', 'nodes', 'evals', 'deployment', 'plugins', 'volumes', 'scaling_policy', 'namespaces'] as const;
type SearchContext = (typeof CONTEXTS)[number];
/** Contexts fuzzy search matches by name; the others it matches by ID prefix. */
const FUZZY_CONTEXTS: readonly SearchContext[] = ['jobs', 'nodes', 'allocs', 'plugins', 'namespaces'];

const CONTEXT_TABLE: Partial<Record<SearchContext, TableName>> = {
  allocs: 'allocs',
  jobs: 'jobs',
  nodes: 'nodes',
  evals: 'evals',
  deployment: 'deployment',
  scaling_policy: 'scaling_policy',
};

function contextsOf(context: string): SearchContext[] {
  if (context === 'all') return [...CONTEXTS];
  if ((CONTEXTS as readonly string[]).includes(context)) return [context as SearchContext];
  throw badRequest(`context must be one of [${CONTEXTS.join(' ')}] or 'all' for all contexts; got ${JSON.stringify(context)}`, 'Context');
}

/**
 * With ACLs, the contexts the caller may read (nodes need node:read, the others a job capability
 * in the namespace); asking only for contexts it may not read is refused.
 */
function readableContexts(x: Exchange, contexts: SearchContext[]): SearchContext[] {
  const acl = x.acl;
  if (acl === null) return contexts;
  const ns = x.namespace;
  const readable = contexts.filter((c) => {
    if (c === 'nodes') return acl.allow('node', 'read');
    if (c === 'plugins' || c === 'volumes') return acl.allowPlugin('read');
    const caps = c === 'jobs' ? (['list-jobs', 'read-job'] as const) : (['read-job'] as const);
    return ns === '*' ? acl.allowInSomeNamespace(caps) : acl.allowNamespaceAny(ns, caps);
  });
  if (readable.length === 0) throw permissionDenied();
  return readable;
}

/** Keeps the objects of namespaces the caller may see (all of them without ACLs). */
type Visible = <T extends { Namespace: string }>(items: T[], jobs?: boolean) => T[];

/** The IDs of a context, in ID order, that start with `prefix` (namespaced objects in `ns`). */
function idsWithPrefix(snap: StateReader, ctx: SearchContext, ns: string, prefix: string, visible: Visible): string[] {
  switch (ctx) {
    case 'jobs':
      return visible(ns === '*' ? snap.jobs('*').filter((j) => j.ID.startsWith(prefix)) : snap.jobsByIDPrefix(ns, prefix), true).map((j) => j.ID);
    case 'evals':
      return visible(snap.evalsByIDPrefix(ns, prefix)).map((e) => e.ID);
    case 'allocs':
      return visible(snap.allocsByIDPrefix(ns, prefix)).map((a) => a.ID);
    case 'nodes':
      return snap.nodesByIDPrefix(prefix).map((n) => n.ID);
    case 'deployment':
      return visible(snap.deploymentsByIDPrefix(ns, prefix)).map((d) => d.ID);
    case 'scaling_policy':
      return visible(snap.scalingPolicies(ns).filter((p) => p.ID.startsWith(prefix))).map((p) => p.ID);
    case 'namespaces':
      return ['default'].filter((n) => n.startsWith(prefix));
    case 'plugins':
    case 'volumes':
      return [];
  }
}

function prefixMatches(snap: StateReader, ctx: SearchContext, ns: string, prefix: string, visible: Visible): { ids: string[]; truncated: boolean } {
  const ids = idsWithPrefix(snap, ctx, ns, prefix, visible);
  return { ids: ids.slice(0, PREFIX_LIMIT), truncated: ids.length > PREFIX_LIMIT };
}

/** The index of a search answer: the last write to any table it searched (0 when none was written). */
function searchIndex(snap: StateReader, contexts: readonly SearchContext[]): number {
  let index = 0;
  for (const c of contexts) {
    const t = CONTEXT_TABLE[c];
    if (t) index = Math.max(index, snap.tableIndex(t));
  }
  return index;
}

async function answer(x: Exchange, api: ApiContext, index: number, body: Record<string, unknown>): Promise<void> {
  const meta = queryMeta(api, index);
  x.setMeta(meta);
  await x.sendJson(200, { ...body, Index: index, LastContact: meta.lastContactMs, KnownLeader: meta.knownLeader });
}

function visibleTo(x: Exchange): Visible {
  return (items, jobs = false) => visibleOnly(x, items, jobs ? ['list-jobs', 'read-job'] : ['read-job']);
}

const prefixSearch: Handler = async (x, api) => {
  const body = await x.objectBody();
  const prefix = optString(body, 'Prefix');
  const contexts = readableContexts(x, contextsOf(optString(body, 'Context') || 'all'));
  const snap = api.store.snapshot();
  const matches: Record<string, string[]> = {};
  const truncations: Record<string, boolean> = {};
  for (const c of contexts) {
    const m = prefixMatches(snap, c, x.namespace, prefix, visibleTo(x));
    matches[c] = m.ids;
    truncations[c] = m.truncated;
  }
  await answer(x, api, searchIndex(snap, contexts), { Matches: matches, Truncations: truncations });
};

export interface FuzzyMatch {
  ID: string;
  Scope?: string[];
}

interface Scored {
  id: string;
  scope: string[];
  /** Where in the name the text was found: earlier is a better match. */
  at: number;
}

/** Jobs match by name, and so do their groups, services, tasks and the images, commands or classes they run. */
function jobMatches(j: Job, text: string): Array<[string, Scored]> {
  const out: Array<[string, Scored]> = [];
  const hit = (ctx: string, name: string, scope: string[]): void => {
    const at = name.indexOf(text);
    if (at >= 0) out.push([ctx, { id: name, scope, at }]);
  };
  const ns = j.Namespace;
  const at = j.Name.indexOf(text);
  if (at >= 0) out.push(['jobs', { id: j.ID, scope: [ns], at }]);
  for (const g of j.TaskGroups) {
    hit('groups', g.Name, [ns, j.ID]);
    for (const s of g.Services ?? []) hit('services', s.Name, [ns, j.ID, g.Name]);
    for (const t of g.Tasks) {
      hit('tasks', t.Name, [ns, j.ID, g.Name]);
      for (const s of t.Services ?? []) hit('services', s.Name, [ns, j.ID, g.Name, t.Name]);
      const param = t.Driver === 'docker' ? 'image' : t.Driver === 'exec' || t.Driver === 'raw_exec' ? 'command' : t.Driver === 'java' ? 'class' : null;
      const value = param ? t.Config?.[param] : undefined;
      const ctx = t.Driver === 'docker' ? 'images' : t.Driver === 'java' ? 'classes' : 'commands';
      if (typeof value === 'string') hit(ctx, value, [ns, j.ID, g.Name, t.Name]);
    }
  }
  return out;
}

/** The objects a fuzzy context looks through, in ID order, each with its matches. */
function fuzzyCandidates(snap: StateReader, ctx: SearchContext, ns: string, text: string, visible: Visible): Array<() => Array<[string, Scored]>> {
  const single = (c: string, name: string, id: string, scope: string[]) => (): Array<[string, Scored]> => {
    const at = name.indexOf(text);
    return at >= 0 ? [[c, { id: name === '' ? id : name, scope, at }]] : [];
  };
  switch (ctx) {
    case 'jobs':
      return visible(snap.jobs(ns), true).map((j) => () => jobMatches(j, text));
    case 'nodes':
      return snap.nodes().map((n) => single('nodes', n.Name, n.ID, [n.ID]));
    case 'allocs':
      return visible(snap.allocs(ns)).map((a) => single('allocs', a.Name, a.ID, [a.Namespace, a.ID]));
    case 'namespaces':
      return [() => ('default'.includes(text) ? [['namespaces', { id: 'default', scope: [], at: 'default'.indexOf(text) }]] : [])];
    default:
      return [];
  }
}

function bySearchRank(a: Scored, b: Scored): number {
  if (a.at !== b.at) return a.at - b.at;
  // A shorter name that holds the text is likelier what was meant; an exact match comes first.
  if (a.id.length !== b.id.length) return a.id.length - b.id.length;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function fuzzySearch(snap: StateReader, limits: SearchLimits, contexts: SearchContext[], ns: string, text: string, visible: Visible): { index: number; Matches: Record<string, FuzzyMatch[]>; Truncations: Record<string, boolean> } {
  const matches: Record<string, Scored[]> = {};
  const truncations: Record<string, boolean> = {};
  const out: Record<string, FuzzyMatch[]> = {};
  for (const c of contexts) {
    if (!FUZZY_CONTEXTS.includes(c)) {
      // IDs (UUIDs) are searched by prefix.
      const m = prefixMatches(snap, c, ns, text, visible);
      out[c] = m.ids.map((ID) => ({ ID }));
      truncations[c] = m.truncated;
      continue;
    }
    truncations[c] = false;
    const candidates = fuzzyCandidates(snap, c, ns, text, visible);
    const looked = Math.min(candidates.length, limits.limitQuery);
    for (let i = 0; i < looked; i++) {
      const stoppedShort = i === looked - 1 && candidates.length > looked;
      for (const [ctx, m] of candidates[i]!()) {
        const list = (matches[ctx] ??= []);
        if (list.length >= limits.limitResults) {
          truncations[ctx] = true;
          continue;
        }
        list.push(m);
        if (stoppedShort) truncations[ctx] = true;
      }
    }
  }
  for (const [ctx, list] of Object.entries(matches)) out[ctx] = list.sort(bySearchRank).map((m) => (m.scope.length > 0 ? { ID: m.id, Scope: m.scope } : { ID: m.id }));
  return { index: searchIndex(snap, contexts.filter((c) => FUZZY_CONTEXTS.includes(c))), Matches: out, Truncations: truncations };
}

export function addSearchRoutes(r: RouteTable, limits: SearchLimits = DEFAULT_SEARCH_LIMITS): void {
  const W = ['PUT', 'POST'];
  // Any token: each context shows only what the caller may read.
  r.add(W, '/v1/search', ANY_TOKEN, prefixSearch);
  r.add(W, '/v1/search/fuzzy', ANY_TOKEN, async (x, api) => {
    const body = await x.objectBody();
    const text = optString(body, 'Text');
    // As Nomad: the caller's rights first, then whether fuzzy search is on, then the term.
    const contexts = readableContexts(x, contextsOf(optString(body, 'Context') || 'all'));
    if (!limits.fuzzyEnabled) throw badRequest('fuzzy search is not enabled', 'Text');
    if ([...text].length < limits.minTermLength) throw badRequest(`fuzzy search query must be at least ${limits.minTermLength} characters, got ${[...text].length}`, 'Text');
    const result = fuzzySearch(api.store.snapshot(), limits, contexts, x.namespace, text, visibleTo(x));
    await answer(x, api, result.index, { Matches: result.Matches, Truncations: result.Truncations });
  });
}
