// Test harness for the CLI: a local HTTP server answering from Nomad 1.1.2 captures (or from
// handlers a test supplies), and an in-memory Io with a fixed clock and instant sleeps.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Io } from '../../src/cli/context.js';

export const FIXTURES = new URL('../../../test/fixtures/nomad-1.1.2/', import.meta.url);

/** Short stage names used by the CLI tests, mapped to the capture folders. */
const STAGES: Record<string, string> = { '01': 'api/01_running_count1', '05': 'api/05_batch100' };

export function fixture(stage: string, name: string): string {
  return readFileSync(new URL(`${STAGES[stage] ?? stage}/${name}.raw`, FIXTURES), 'utf8');
}

export function transcript(): string {
  return readFileSync(new URL('cli-transcript.txt', FIXTURES), 'utf8');
}

/** The output lines of the first transcript block for `$ <command>` (after `skip` earlier ones). */
export function transcriptBlock(command: string, skip = 0): { lines: string[]; exitCode: number } {
  const text = transcript().split('\n');
  let seen = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== `$ ${command}`) continue;
    if (seen++ < skip) continue;
    const lines: string[] = [];
    for (let j = i + 1; j < text.length; j++) {
      const m = /^\[exit code (\d+)\]$/.exec(text[j]!);
      if (m) return { lines, exitCode: Number(m[1]) };
      lines.push(text[j]!);
    }
  }
  throw new Error(`transcript has no block for "$ ${command}"`);
}

export interface Reply {
  status?: number;
  body: string | object;
  headers?: Record<string, string>;
}

export type Handler = (method: string, url: URL, body: string) => Reply | undefined;

export interface TestServer {
  address: string;
  requests: Array<{ method: string; path: string; query: string; body: string }>;
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks as unknown as Uint8Array[]).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://localhost');
      requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search, body });
      const reply = handler(req.method ?? 'GET', url, body) ?? { status: 404, body: 'no fixture for ' + url.pathname };
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      const ctype = typeof reply.body === 'string' && (reply.status ?? 200) >= 400 ? 'text/plain; charset=utf-8' : 'application/json';
      res.writeHead(reply.status ?? 200, { 'Content-Type': ctype, 'X-Nomad-Index': '1', 'X-Nomad-KnownLeader': 'true', 'X-Nomad-LastContact': '0', ...(reply.headers ?? {}) });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Serves GET endpoints from one capture stage; list endpoints honour ?prefix= on IDs. */
export function captureHandler(stage: string, extra: Record<string, () => Reply> = {}): Handler {
  const routes: Record<string, string> = {
    '/v1/jobs': 'jobs',
    '/v1/job/example': 'job_example',
    '/v1/job/example/summary': 'job_example_summary',
    '/v1/job/example/deployment': 'job_example_deployment',
    '/v1/job/example/allocations': 'job_example_allocations',
    '/v1/job/example/evaluations': 'job_example_evaluations',
    '/v1/job/example/versions': 'job_example_versions',
    '/v1/allocations': 'allocations',
    '/v1/nodes': 'nodes',
    '/v1/agent/self': 'agent_self',
    '/v1/agent/members': 'agent_members',
    '/v1/status/leader': 'status_leader',
    '/v1/operator/raft/configuration': 'operator_raft',
    '/v1/deployments': 'deployments',
    '/v1/evaluations': 'evaluations',
    '/v1/client/stats': 'client_stats',
  };
  return (method, url) => {
    const custom = extra[`${method} ${url.pathname}`];
    if (custom) return custom();
    if (method !== 'GET') return undefined;
    const name = routes[url.pathname] ?? dynamicRoute(url.pathname);
    if (!name) return undefined;
    let text: string;
    try {
      text = fixture(stage, name);
    } catch {
      return undefined;
    }
    const prefix = url.searchParams.get('prefix');
    if (prefix !== null && text.trimStart().startsWith('[')) {
      const rows = (JSON.parse(text) as Array<{ ID: string }>).filter((r) => r.ID.startsWith(prefix));
      return { body: rows };
    }
    return { body: text };
  };
}

function dynamicRoute(path: string): string | undefined {
  if (/^\/v1\/allocation\/[0-9a-f-]{36}$/.test(path)) return 'allocation';
  if (/^\/v1\/client\/allocation\/[0-9a-f-]{36}\/stats$/.test(path)) return 'client_allocation_stats';
  if (/^\/v1\/node\/[0-9a-f-]{36}$/.test(path)) return 'node';
  if (/^\/v1\/node\/[0-9a-f-]{36}\/allocations$/.test(path)) return 'node_allocations';
  if (/^\/v1\/deployment\/[0-9a-f-]{36}$/.test(path)) return 'deployment';
  if (/^\/v1\/evaluation\/[0-9a-f-]{36}$/.test(path)) return 'evaluation';
  return undefined;
}

export interface TestIo extends Io {
  stdout: string[];
  stderr: string[];
  sleeps: number;
}

export function testIo(address: string, nowIso: string, cwd = process.cwd()): TestIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const nowMs = Date.parse(nowIso);
  const io: TestIo = {
    stdout,
    stderr,
    sleeps: 0,
    out: (t) => stdout.push(...t.split('\n')),
    err: (t) => stderr.push(...t.split('\n')),
    write: (c) => stdout.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8')),
    isTty: false,
    nowMs: () => nowMs,
    sleep: async () => {
      io.sleeps++;
      if (io.sleeps > 1000) throw new Error('test sleep bound exceeded');
    },
    env: { NOMAD_ADDR: address },
    cwd,
  };
  return io;
}
