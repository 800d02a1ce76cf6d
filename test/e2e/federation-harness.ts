// Regions as separate server clusters on loopback addresses, federated the way an operator does
// it (`nomad server join` to one server of the other region), and the waits the region
// scenarios share. Every wait is on an observable condition with a bound.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, http, waitFor, type ClusterOptions, type ServerSpec } from './cluster-harness.js';
import { NOMAD_BIN, runNomad } from './harness.js';

export interface RegionSpec {
  region: string;
  servers: number;
  /** First loopback host number of the region's servers. */
  base: number;
  options?: Omit<ClusterOptions, 'base' | 'region' | 'bootstrapExpect'>;
}

export class Federation {
  private constructor(readonly clusters: Map<string, Cluster>) {}

  static async create(specs: RegionSpec[]): Promise<Federation> {
    const clusters = new Map<string, Cluster>();
    for (const s of specs) clusters.set(s.region, await Cluster.create(s.servers, { ...s.options, base: s.base, region: s.region, bootstrapExpect: s.servers }));
    return new Federation(clusters);
  }

  cluster(region: string): Cluster {
    const c = this.clusters.get(region);
    if (!c) throw new Error(`no region ${region}`);
    return c;
  }

  /** The region's first server (or the one named). */
  server(region: string, name?: string): ServerSpec {
    const c = this.cluster(region);
    return name ? c.spec(name) : c.specs[0]!;
  }

  allServers(): ServerSpec[] {
    return [...this.clusters.values()].flatMap((c) => c.specs);
  }

  async startAll(): Promise<void> {
    await Promise.all([...this.clusters.values()].map((c) => c.startAll()));
  }

  /** Creates the regions, starts every server, and waits until each region has a leader. */
  static async start(specs: RegionSpec[], boundMs = 30_000): Promise<Federation> {
    const fed = await Federation.create(specs);
    try {
      await fed.startAll();
      for (const s of specs) {
        const first = fed.server(s.region);
        await waitFor(`a leader in ${s.region}`, async () => ((await leaderOf(first.addr, s.region)) ? true : undefined), boundMs);
      }
    } catch (e) {
      await fed.shutdown();
      throw e;
    }
    return fed;
  }

  /**
   * `nomad server join` from one server to another (of another region), then waits until every
   * running server sees every running server alive; resolves with the milliseconds that took.
   */
  async join(from: ServerSpec, to: ServerSpec, opts: { token?: string; boundMs?: number } = {}): Promise<number> {
    const started = Date.now();
    const r = await runNomad(['server', 'join', `${to.ip}:${to.serf}`], from.addr, opts.token ? { env: { NOMAD_TOKEN: opts.token } } : {});
    if (r.code !== 0) throw new Error(`server join failed (${r.code}): ${r.stderr}`);
    await this.waitConverged(opts.boundMs ?? 15_000, opts.token);
    return Date.now() - started;
  }

  /** Waits until every running server sees exactly the running servers, all alive. */
  async waitConverged(boundMs = 15_000, token = ''): Promise<void> {
    const running = [...this.clusters.values()].flatMap((c) => c.running());
    const want = running.map((s) => `${s.name}.${regionOf(this, s)}`).sort();
    await waitFor(
      'every server sees every server alive',
      async () => {
        const views = await Promise.all(running.map((s) => http<{ Members: Array<{ Name: string; Status: string }> }>(s.addr, 'GET', '/v1/agent/members', undefined, 2_000, token)));
        const ok = views.every((v) => {
          const alive = v.body.Members.filter((m) => m.Status === 'alive').map((m) => m.Name).sort();
          return JSON.stringify(alive) === JSON.stringify(want);
        });
        return ok ? true : undefined;
      },
      boundMs,
    );
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.clusters.values()].map((c) => c.shutdown()));
  }
}

function regionOf(f: Federation, s: ServerSpec): string {
  for (const [region, c] of f.clusters) if (c.specs.includes(s)) return region;
  throw new Error(`server ${s.name} is in no region`);
}

/** The region's leader as `addr` sees it through /v1/status/leader?region=. */
export async function leaderOf(addr: string, region: string): Promise<string> {
  const r = await http<string>(addr, 'GET', `/v1/status/leader?region=${region}`, undefined, 5_000);
  if (r.status !== 200) throw new Error(`leader of ${region} through ${addr}: ${r.status} ${r.text}`);
  return r.body;
}

/**
 * The tls block of a server of `region` speaking mutual TLS on RPC with verify_server_hostname:
 * one CA in `dir` (made by `nomad tls ca create` the first time), and a certificate for the
 * region's servers ("server.<region>.nomad") made by `nomad tls cert create -server -region`.
 */
export function rpcTlsConfig(dir: string, region: string): string {
  const nomadTls = (args: string[]): void => {
    const r = spawnSync(process.execPath, [NOMAD_BIN, 'tls', ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`nomad tls ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  };
  if (!existsSync(join(dir, 'nomad-agent-ca.pem'))) nomadTls(['ca', 'create']);
  nomadTls(['cert', 'create', '-server', '-region', region]);
  return `tls {
  rpc                    = true
  ca_file                = "${join(dir, 'nomad-agent-ca.pem')}"
  cert_file              = "${join(dir, `${region}-server-nomad.pem`)}"
  key_file               = "${join(dir, `${region}-server-nomad-key.pem`)}"
  verify_server_hostname = true
}
`;
}
