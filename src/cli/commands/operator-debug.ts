// `nomad operator debug`: captures what an operator sends with a bug report into one archive:
// the cluster's agents and members, each targeted server's and client's log for the duration
// and profiles of their processes, and the cluster state (jobs, allocations, evaluations,
// deployments, nodes, metrics, Raft and scheduler configuration) at every interval.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NomadClient } from '../../api/index.js';
import { parseDurationNs, formatDurationNs } from '../../structs/time.js';
import { argsError, defineCommand, errText } from '../base.js';
import { writeTarGz } from '../directory-archive.js';
import type { Io } from '../context.js';

interface DebugPlan {
  /** -stale: any server answers the state queries from its own state. */
  stale: boolean;
  durationMs: number;
  intervalMs: number;
  pprofSeconds: number;
  logLevel: string;
  servers: string[];
  clients: string[];
}

/** "2026-12-07-003640Z": the capture's start, as Nomad names its bundles. */
function stamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)}-${iso.slice(11, 19).replace(/:/g, '')}Z`;
}

function durationFlag(text: string, name: string): number | string {
  const ns = parseDurationNs(text);
  if (ns === null || ns < 0) return `Error parsing ${name}: ${text}`;
  return ns / 1e6;
}

/** The state the cluster's API shows, as JSON files of one interval. */
const STATE_FILES: Array<[string, string]> = [
  ['jobs.json', '/v1/jobs?namespace=*'],
  ['allocations.json', '/v1/allocations?namespace=*'],
  ['evaluations.json', '/v1/evaluations?namespace=*'],
  ['deployments.json', '/v1/deployments?namespace=*'],
  ['nodes.json', '/v1/nodes'],
  ['scaling-policies.json', '/v1/scaling/policies?namespace=*'],
  ['metrics.json', '/v1/metrics'],
  ['operator-raft.json', '/v1/operator/raft/configuration'],
  ['operator-scheduler.json', '/v1/operator/scheduler/configuration'],
];

const CLUSTER_FILES: Array<[string, string]> = [
  ['agent-self.json', '/v1/agent/self'],
  ['members.json', '/v1/agent/members'],
  ['regions.json', '/v1/regions'],
  ['namespaces.json', '/v1/namespaces'],
];

class Bundle {
  readonly errors: string[] = [];
  readonly files: string[] = [];
  constructor(readonly root: string) {}

  write(rel: string, data: string | Buffer): void {
    const full = join(this.root, rel);
    mkdirSync(resolve(full, '..'), { recursive: true });
    writeFileSync(full, typeof data === 'string' ? data : new Uint8Array(data.buffer, data.byteOffset, data.length));
    this.files.push(rel);
  }

  async capture(rel: string, what: () => Promise<string>): Promise<void> {
    try {
      this.write(rel, await what());
    } catch (err) {
      this.errors.push(`${rel}: ${errText(err)}`);
    }
  }
}

async function getText(api: NomadClient, path: string, stale: boolean): Promise<string> {
  const [p, q] = path.split('?') as [string, string?];
  const params = Object.fromEntries(new URLSearchParams(q ?? ''));
  const text = (await api.http.queryText(p, { params, stale })).body;
  // Indented as `nomad operator debug` writes its JSON files.
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** An agent's log for the whole capture and its profiles, into `dir` of the bundle. */
async function captureAgent(api: NomadClient, bundle: Bundle, dir: string, target: { nodeId?: string; serverId?: string }, plan: DebugPlan, until: AbortSignal): Promise<void> {
  const log: Buffer[] = [];
  const logging = (async () => {
    try {
      for await (const data of api.agent.monitor({ logLevel: plan.logLevel, ...target, signal: until })) log.push(data);
    } catch (err) {
      if (!until.aborted) bundle.errors.push(`${dir}/monitor.log: ${errText(err)}`);
    }
  })();
  for (const [file, name, seconds] of [
    ['cmdline.prof', 'cmdline', undefined],
    ['profile.prof', 'profile', plan.pprofSeconds],
    ['heap.prof', 'heap', undefined],
  ] as const) {
    await bundle.capture(`${dir}/${file}`, () => api.agent.profile(name, { ...target, ...(seconds !== undefined ? { seconds } : {}) }));
  }
  await logging;
  bundle.write(`${dir}/monitor.log`, Buffer.concat(log as unknown as Uint8Array[]));
}

async function runCapture(api: NomadClient, io: Io, bundle: Bundle, plan: DebugPlan, interrupt: AbortSignal): Promise<void> {
  for (const [file, path] of CLUSTER_FILES) await bundle.capture(`cluster/${file}`, () => getText(api, path, plan.stale));
  const end = new AbortController();
  const stopAll = (): void => end.abort();
  interrupt.addEventListener('abort', stopAll, { once: true });
  const timer = setTimeout(stopAll, plan.durationMs);
  const agents = [
    ...plan.servers.map((s) => captureAgent(api, bundle, `server/${s}`, { serverId: s }, plan, end.signal)),
    ...plan.clients.map((c) => captureAgent(api, bundle, `client/${c}`, { nodeId: c }, plan, end.signal)),
  ];
  try {
    for (let i = 0; ; i++) {
      const dir = `nomad/${String(i).padStart(4, '0')}`;
      io.out(`    Capture interval ${String(i).padStart(4, '0')}`);
      for (const [file, path] of STATE_FILES) await bundle.capture(`${dir}/${file}`, () => getText(api, path, plan.stale));
      if (end.signal.aborted) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, plan.intervalMs);
        end.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
      });
      if (end.signal.aborted) break;
    }
  } finally {
    await Promise.all(agents);
    clearTimeout(timer);
    interrupt.removeEventListener('abort', stopAll);
  }
}

export const operatorDebugCommand = defineCommand({
  name: 'operator debug',
  synopsis: 'Build a debug archive',
  help: `Usage: nomad operator debug [options]

  Build an archive containing Nomad cluster configuration and state, and Consul
  and Vault status. Include logs and pprof profiles for selected servers and
  client nodes.

Debug Options:

  -duration=<duration>
    The duration of the log monitor command. Defaults to 2m.

  -interval=<interval>
    The interval between snapshots of the Nomad state. Defaults to 30s.

  -log-level=<level>
    The log level to monitor. Defaults to DEBUG.

  -node-id=<node>,<node>
    Comma separated list of Nomad client node ids to monitor for logs, API
    outputs, and pprof profiles. Accepts id prefixes, and "all" to select all
    nodes (up to count = max-nodes). Defaults to all nodes.

  -max-nodes=<count>
    Cap the maximum number of client nodes included in the capture. Defaults
    to 10, set to 0 for unlimited.

  -server-id=<server>,<server>
    Comma separated list of Nomad server names to monitor for logs, API
    outputs, and pprof profiles. Accepts server names, "leader", or "all".
    Defaults to this agent's server.

  -pprof-duration=<duration>
    Duration for pprof collection. Defaults to 1s.

  -output=<path>
    Path to the parent directory of the output directory. If specified, no
    archive is built. Defaults to the current directory.

  -stale
    Allow any server to answer the state queries from its own state, as when
    the cluster has no leader.
`,
  api: true,
  flags: (fs) =>
    fs
      .string('duration', '2m')
      .string('interval', '30s')
      .string('log-level', 'DEBUG')
      .string('node-id', 'all')
      .int('max-nodes', 10)
      .string('server-id')
      .string('pprof-duration', '1s')
      .string('output')
      .bool('stale'),
  async run({ flags, args, io, client }) {
    if (args.length > 0) return argsError(io, 'operator debug', 'This command takes no arguments');
    const durationMs = durationFlag(flags.string('duration'), 'duration');
    const intervalMs = durationFlag(flags.string('interval'), 'interval');
    const pprofMs = durationFlag(flags.string('pprof-duration'), 'pprof-duration');
    for (const v of [durationMs, intervalMs, pprofMs]) {
      if (typeof v === 'string') {
        io.err(v);
        return 1;
      }
    }
    if ((intervalMs as number) <= 0) {
      io.err('Error parsing interval: must be greater than zero');
      return 1;
    }
    const api = client();
    let self;
    let nodes;
    try {
      self = (await api.agent.self()).body;
      nodes = (await api.nodes.list()).body;
    } catch (err) {
      io.err(`Error querying the agent: ${errText(err)}`);
      return 1;
    }
    const wantedNodes = flags.string('node-id').split(',').map((s) => s.trim()).filter(Boolean);
    let clients = nodes.filter((n) => wantedNodes.includes('all') || wantedNodes.some((w) => n.ID.startsWith(w))).map((n) => n.ID);
    const maxNodes = flags.int('max-nodes');
    if (maxNodes > 0) clients = clients.slice(0, maxNodes);
    const ownServer = (self.member as { Name?: string } | null)?.Name || (self.stats?.['nomad'] ? `${self.config?.['NodeName'] ?? ''}` : '');
    const wantedServers = flags.string('server-id').split(',').map((s) => s.trim()).filter(Boolean);
    const servers = wantedServers.length === 0 || wantedServers.includes('all') ? (ownServer ? [ownServer] : []) : wantedServers;
    const plan: DebugPlan = { stale: flags.bool('stale'), durationMs: durationMs as number, intervalMs: intervalMs as number, pprofSeconds: Math.max(1, Math.round((pprofMs as number) / 1000)), logLevel: flags.string('log-level'), servers, clients };

    const name = `nomad-debug-${stamp(io.nowMs())}`;
    const output = flags.string('output');
    const parent = output ? resolve(io.cwd, output) : mkdtempSync(join(tmpdir(), 'nomad-debug-'));
    const root = join(parent, name);
    mkdirSync(root, { recursive: true });
    const bundle = new Bundle(root);

    io.out('Starting debugger...\n');
    io.out(`          Servers: (${servers.length}/${servers.length}) [${servers.join(', ')}]`);
    io.out(`          Clients: (${clients.length}/${nodes.length}) [${clients.join(', ')}]`);
    io.out(`         Interval: ${formatDurationNs(plan.intervalMs * 1e6)}`);
    io.out(`         Duration: ${formatDurationNs(plan.durationMs * 1e6)}`);
    io.out(`   pprof Duration: ${formatDurationNs(plan.pprofSeconds * 1e9)}`);
    io.out('\nCapturing cluster data...');
    await runCapture(api, io, bundle, plan, io.interrupt ?? new AbortController().signal);
    bundle.write('index.json', JSON.stringify({ Name: name, Servers: servers, Clients: clients, IntervalMs: plan.intervalMs, DurationMs: plan.durationMs, Files: [...bundle.files].sort(), Errors: bundle.errors }, null, 2));
    for (const e of bundle.errors) io.err(`    Warning: ${e}`);

    if (output) {
      io.out(`Created debug directory: ${root}`);
      return 0;
    }
    const archive = resolve(io.cwd, `${name}.tar.gz`);
    try {
      await writeTarGz(parent, name, archive);
    } catch (err) {
      io.err(`Error creating archive: ${errText(err)}`);
      return 1;
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
    io.out(`Created debug archive: ${archive}`);
    return 0;
  },
});
