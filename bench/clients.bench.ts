// Clients apart from servers, timed as an operator sees them: one server and two client-only
// agents (real processes on 127.0.0.x). Per run: node_ready_ms (agent start to node ready),
// reattach_ms (a client restart to its two allocations reattached and the node registered),
// down_detect_ms (machine killed to node down, with min_heartbeat_ttl = "2s" and
// heartbeat_grace = "1s"), lost_to_running_ms (node down to the replacement running elsewhere),
// drain_ms (drain of a node with two allocations to the drain complete). Medians of --runs=N
// (default 3). down_detect_default_ms is one run with Nomad's default heartbeat settings
// (skipped with --no-defaults). The machine may be shared: quote figures with its load.
import { Cluster, http, waitFor } from '../test/e2e/cluster-harness.js';
import { Clients, jobAllocs, serviceJob, waitNodes } from '../test/e2e/client-harness.js';

const RUNS = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 3);
const WITH_DEFAULTS = !process.argv.includes('--no-defaults');
const FAST_HEARTBEATS = 'server {\n  min_heartbeat_ttl = "2s"\n  heartbeat_grace = "1s"\n}\n';

interface Alloc {
  ID: string;
  NodeID: string;
  ClientStatus: string;
  DesiredStatus: string;
  ModifyIndex: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function allocs(addr: string, job: string): Promise<Alloc[]> {
  return (await jobAllocs(addr, job)) as unknown as Alloc[];
}

async function oneRun(serverExtra: string, fullRun: boolean): Promise<Record<string, number>> {
  const cluster = await Cluster.create(1, { bootstrapExpect: 1, extraConfig: serverExtra });
  const clients = new Clients(cluster);
  const out: Record<string, number> = {};
  try {
    await cluster.startAll();
    const server = cluster.specs[0]!.addr;
    await clients.create('b1', '127.0.0.4');
    await clients.create('b2', '127.0.0.5');
    let t = Date.now();
    clients.start('b1');
    clients.start('b2');
    const ids = await waitNodes(server, ['b1', 'b2'], 'ready', 60_000);
    out['node_ready_ms'] = Date.now() - t;

    const marker = `bench-${process.pid}-${Date.now()}`;
    await http(server, 'PUT', '/v1/jobs', serviceJob('bench', 2, marker));
    const placed = await waitFor('two running, one per node', async () => {
      const as = (await allocs(server, 'bench')).filter((a) => a.ClientStatus === 'running');
      return as.length === 2 && new Set(as.map((a) => a.NodeID)).size === 2 ? as : undefined;
    }, 60_000);

    const onB1 = placed.find((a) => a.NodeID === ids.get('b1'))!;
    await clients.killMachine('b1');
    t = Date.now();
    await waitNodes(server, ['b1'], 'down', 120_000);
    const downAt = Date.now();
    out['down_detect_ms'] = downAt - t;
    if (!fullRun) return out;
    await waitFor('the replacement running on b2', async () => {
      const as = await allocs(server, 'bench');
      const live = as.filter((a) => a.ID !== onB1.ID && a.NodeID === ids.get('b2') && a.ClientStatus === 'running' && a.DesiredStatus === 'run');
      return live.length === 2 ? live : undefined;
    }, 60_000, 20);
    out['lost_to_running_ms'] = Date.now() - downAt;

    clients.start('b1');
    await waitNodes(server, ['b1'], 'ready', 60_000);
    t = Date.now();
    const r = await http(server, 'PUT', `/v1/node/${ids.get('b2')}/drain`, { DrainSpec: { Deadline: 3600e9, IgnoreSystemJobs: false }, MarkEligible: false });
    if (r.status !== 200) throw new Error(`drain: ${r.status} ${r.text}`);
    await waitFor('drain complete', async () => {
      const n = (await http<{ DrainStrategy: unknown }>(server, 'GET', `/v1/node/${ids.get('b2')}`)).body;
      return n.DrainStrategy === null ? true : undefined;
    }, 120_000, 20).catch(async (err: unknown) => {
      // What the drain was waiting for, to tell a slow drain from a stuck one.
      const state = (await jobAllocs(server, 'bench')) as unknown as Array<Record<string, unknown>>;
      const brief = state.map((a) => ({ id: a['ID'], node: a['NodeName'], client: a['ClientStatus'], desired: a['DesiredStatus'], transition: a['DesiredTransition'], health: a['DeploymentStatus'], deployment: a['DeploymentID'] }));
      throw new Error(`${(err as Error).message}\n${JSON.stringify(brief, null, 1)}`);
    });
    out['drain_ms'] = Date.now() - t;

    {
      // The allocation stays running on the servers' side throughout: what is timed is the new
      // client process reattaching to the task and being registered with the servers again.
      await clients.stop('b1');
      t = Date.now();
      const b1 = clients.start('b1');
      await Promise.all([b1.waitForOutput(/restored allocations allocs=\d+/, 60_000), b1.waitForOutput(/node registration complete/, 60_000)]);
      out['reattach_ms'] = Date.now() - t;
    }

    return out;
  } finally {
    await clients.shutdown();
    await cluster.shutdown();
  }
}

const runs: Record<string, number>[] = [];
for (let i = 0; i < RUNS; i++) runs.push(await oneRun(FAST_HEARTBEATS, true));
for (const k of Object.keys(runs[0]!)) {
  const values = runs.map((r) => r[k]!);
  console.log(`bench clients.${k} ${median(values)} ms`);
  console.log(`bench clients.${k}_runs ${values.join(',')} ms`);
}
if (WITH_DEFAULTS) {
  const r = await oneRun('', false);
  console.log(`bench clients.down_detect_default_ms ${r['down_detect_ms']} ms`);
}
