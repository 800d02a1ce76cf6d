// Walking the API's route table with real requests: a concrete path and body for every route,
// and a call that reads only the status of routes that stream until the caller goes. Used by
// the authorization walks against a server and against a client-only agent.
import { request } from 'node:http';
import type { RouteEntry, RouteTable } from '../../src/http/route-table.js';

export interface WalkReply {
  status: number;
  text: string;
}

/** Routes that stream until the client goes: only their status is read. */
export const STREAMING = ['/v1/event/stream', '/v1/agent/monitor'];

/** Routes Nomad serves without a token. Adding to this list is a security decision. */
export const OPEN_ROUTES = ['/v1/status/leader', '/v1/status/peers', '/v1/regions', '/v1/agent/health', '/v1/metrics', '/v1/acl/bootstrap'];

/** POST routes that read: they may answer a read-only token. */
export const READS_BY_POST = ['/v1/search', '/v1/search/fuzzy', '/v1/jobs/parse', '/v1/validate/job'];

/** A policy that reads everything and writes nothing. */
export const READ_ONLY_RULES = [
  'namespace "*" { policy = "read" }',
  'node { policy = "read" }',
  'agent { policy = "read" }',
  'operator { policy = "read" }',
  'quota { policy = "read" }',
  'plugin { policy = "read" }',
].join('\n');

export const WALK_JOB = {
  ID: 'example',
  Name: 'example',
  Type: 'service',
  Datacenters: ['dc1'],
  TaskGroups: [{ Name: 'cache', Count: 1, Tasks: [{ Name: 'redis', Driver: 'raw_exec', Config: { command: '/bin/sh' }, Resources: { CPU: 100, MemoryMB: 64 } }] }],
};

export function concretePath(path: string): string {
  if (path.startsWith('/v1/job/')) return path.replace(':id', 'example');
  return path.replace(/:(\w+)/g, (_m, name: string) => (name === 'name' ? 'default' : '00000000-0000-4000-8000-000000000000')).replace('*', '');
}

export function bodyFor(path: string): unknown {
  if (path === '/v1/jobs/parse') return { JobHCL: 'job "x" {}' };
  if (path.includes('/job')) return { Job: WALK_JOB };
  if (path === '/v1/acl/policy/:name') return { Name: 'default', Rules: 'node { policy = "read" }' };
  return {};
}

export interface RouteCall {
  method: string;
  entry: RouteEntry;
  path: string;
  /** The body a write sends (none for GET and DELETE). */
  body: unknown;
}

export function routeCalls(table: RouteTable): RouteCall[] {
  return table.entries().flatMap((entry) =>
    entry.methods.map((method) => ({ method, entry, path: concretePath(entry.path), body: method === 'GET' || method === 'DELETE' ? undefined : bodyFor(entry.path) })),
  );
}

/** Whether a read-only caller may be answered: a GET, or a POST that only reads. */
export function isRead(c: RouteCall): boolean {
  return c.method === 'GET' || READS_BY_POST.includes(c.entry.path);
}

/** One request to host:port with an optional token and JSON body; streaming routes end at their status. */
export function callRoute(host: string, port: number, method: string, path: string, token = '', body?: unknown): Promise<WalkReply> {
  const streaming = STREAMING.includes(path.split('?')[0]!);
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path, headers: token ? { 'X-Nomad-Token': token } : {} }, (res) => {
      if (streaming && res.statusCode === 200) {
        res.destroy();
        return resolve({ status: 200, text: '' });
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}
