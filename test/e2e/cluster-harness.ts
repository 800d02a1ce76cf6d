// Server clusters as separate processes on loopback addresses (127.0.0.<n>), each with its own
// data_dir and free ports: start, stop, kill -9, restart from disk, and the HTTP calls the
// scenarios make. Every wait is on an observable condition with a bound.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnAgent, type AgentProcess } from './harness.js';
import { killTasksUnder } from './task-processes.js';

/** A client beside the server, running raw_exec tasks. */
const CLIENT_CONFIG = `client {
  enabled = true
}
plugin "raw_exec" {
  config {
    enabled = true
  }
}
`;

export interface ServerSpec {
  name: string;
  ip: string;
  http: number;
  rpc: number;
  serf: number;
  dataDir: string;
  config: string;
  addr: string;
}

export interface ClusterOptions {
  /** First loopback host number; servers use base, base+1, ... */
  base?: number;
  bootstrapExpect?: number;
  /** Extra HCL for every server's configuration. */
  extraConfig?: string;
  /** Servers are named <prefix>1, <prefix>2, ... (default "s", or "<region>-s" with a region); names must differ across clusters that meet. */
  namePrefix?: string;
  /** The servers' region; Nomad's default "global" when absent. */
  region?: string;
  /** Every server also runs a client with raw_exec, so that jobs run in the cluster. */
  withClient?: boolean;
}

export class Cluster {
  readonly procs = new Map<string, AgentProcess>();
  private readonly scratch: string[] = [];

  private constructor(
    readonly root: string,
    readonly specs: ServerSpec[],
  ) {}

  static async create(n: number, opts: ClusterOptions = {}): Promise<Cluster> {
    const root = mkdtempSync(join(tmpdir(), 'nomad-cluster-'));
    const base = opts.base ?? 1;
    const specs: ServerSpec[] = [];
    const ports = await Promise.all(Array.from({ length: n * 3 }, () => freePort()));
    for (let i = 0; i < n; i++) {
      const ip = `127.0.0.${base + i}`;
      const [http, rpc, serf] = ports.slice(i * 3, i * 3 + 3) as [number, number, number];
      const name = `${opts.namePrefix ?? (opts.region ? `${opts.region}-s` : 's')}${i + 1}`;
      specs.push({ name, ip, http, rpc, serf, dataDir: join(root, `${name}-data`), config: join(root, `${name}.hcl`), addr: `http://${ip}:${http}` });
    }
    const joinList = specs.map((s) => `"${s.ip}:${s.serf}"`).join(', ');
    for (const s of specs) {
      mkdirSync(s.dataDir, { recursive: true });
      writeFileSync(
        s.config,
        `name      = "${s.name}"
bind_addr = "${s.ip}"
data_dir  = "${s.dataDir}"
log_level = "DEBUG"
leave_on_interrupt = true
ports {
  http = ${s.http}
  rpc  = ${s.rpc}
  serf = ${s.serf}
}
server {
  enabled          = true
  bootstrap_expect = ${opts.bootstrapExpect ?? n}
  server_join {
    retry_join     = [${joinList}]
    retry_interval = "1s"
  }
}
${opts.region ? `region = "${opts.region}"\n` : ''}${opts.withClient ? CLIENT_CONFIG : ''}${opts.extraConfig ?? ''}
`,
      );
    }
    return new Cluster(root, specs);
  }

  spec(name: string): ServerSpec {
    const s = this.specs.find((x) => x.name === name);
    if (!s) throw new Error(`no server ${name}`);
    return s;
  }

  /** Starts (or restarts from its data_dir) one server. */
  start(name: string): AgentProcess {
    const s = this.spec(name);
    const scratch = mkdtempSync(join(this.root, `${s.name}-run-`));
    this.scratch.push(scratch);
    const p = spawnAgent(scratch, s.http, ['agent', '-config', s.config]);
    this.procs.set(name, p);
    return p;
  }

  async startAll(): Promise<void> {
    const ps = this.specs.map((s) => this.start(s.name));
    await Promise.all(ps.map((p) => p.waitForOutput(/Nomad agent started!/, 30_000)));
  }

  running(): ServerSpec[] {
    return this.specs.filter((s) => {
      const p = this.procs.get(s.name);
      return p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
    });
  }

  async kill(name: string): Promise<void> {
    const p = this.procs.get(name);
    if (!p) return;
    await p.stop('SIGKILL', 5_000);
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.stop('SIGKILL', 5_000)));
    for (const p of this.procs.values()) p.cleanup();
    // Servers that are clients too leave their tasks running, as any client agent does.
    killTasksUnder(this.root);
    rmSync(this.root, { recursive: true, force: true });
  }

  output(name: string): string {
    return this.procs.get(name)?.output() ?? '';
  }
}

export interface HttpReply<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export async function http<T = unknown>(addr: string, method: string, path: string, body?: unknown, timeoutMs = 15_000, token = ''): Promise<HttpReply<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers['x-nomad-token'] = token;
  const res = await fetch(addr + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain-text error bodies stay strings
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers };
}

/** Polls until `check` returns a value (not undefined); fails after boundMs with the last error. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, boundMs: number, pollMs = 50): Promise<T> {
  const deadline = Date.now() + boundMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${boundMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** The leader's RPC address as every given server reports it, once they all agree on one. */
export async function agreedLeader(servers: ServerSpec[], boundMs = 20_000): Promise<ServerSpec> {
  return waitFor(
    'one leader known by all',
    async () => {
      const views = await Promise.all(servers.map((s) => http<string>(s.addr, 'GET', '/v1/status/leader', undefined, 2_000).then((r) => r.body)));
      const first = views[0];
      if (!first || views.some((v) => v !== first)) return undefined;
      return servers.find((s) => `${s.ip}:${s.rpc}` === first);
    },
    boundMs,
  );
}

/** A small batch job that no node can run (a cluster without clients keeps it pending). */
export function jobBody(id: string, meta: Record<string, string> = {}): { Job: Record<string, unknown> } {
  return {
    Job: {
      ID: id,
      Name: id,
      Type: 'batch',
      Datacenters: ['dc1'],
      Meta: meta,
      TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' }, Resources: { CPU: 20, MemoryMB: 16 } }] }],
    },
  };
}

/** The rows of a CLI table below its header, each split into its columns. */
export function tableRows(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/ +/));
}
