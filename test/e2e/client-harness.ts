// Client-only agents beside a server cluster (cluster-harness.ts), each on its own loopback
// address (127.0.0.4, .5, ...) with its own data_dir: start, stop, kill -9 with its tasks (a
// machine that dies), restart from its data_dir, and what the scenarios read from the
// servers. Every wait is on an observable condition with a bound.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnAgent, type AgentProcess } from './harness.js';
import { http, waitFor, type Cluster } from './cluster-harness.js';
import { killNow, processesMentioning, taskPids } from './task-processes.js';

export { taskPids };

export interface ClientSpec {
  name: string;
  ip: string;
  http: number;
  dataDir: string;
  config: string;
  addr: string;
}

export interface NodeStub {
  ID: string;
  Name: string;
  Status: string;
  SchedulingEligibility: string;
  Drain: boolean;
}

export interface AllocStub {
  ID: string;
  NodeID: string;
  NodeName: string;
  JobID: string;
  ClientStatus: string;
  DesiredStatus: string;
  TaskStates: Record<string, { Restarts: number; State: string }> | null;
}

export class Clients {
  readonly specs = new Map<string, ClientSpec>();
  readonly procs = new Map<string, AgentProcess>();
  private runs = 0;

  constructor(private readonly cluster: Cluster) {}

  /** Writes a client-only agent's configuration: the servers' RPC addresses, raw_exec on. */
  async create(name: string, ip: string, extraConfig = ''): Promise<ClientSpec> {
    const port = await freePort();
    const dataDir = join(this.cluster.root, `${name}-data`);
    mkdirSync(dataDir, { recursive: true });
    const config = join(this.cluster.root, `${name}.hcl`);
    const servers = this.cluster.specs.map((s) => `"${s.ip}:${s.rpc}"`).join(', ');
    writeFileSync(
      config,
      `name      = "${name}"
bind_addr = "${ip}"
data_dir  = "${dataDir}"
log_level = "DEBUG"
ports {
  http = ${port}
}
client {
  enabled = true
  servers = [${servers}]
  options {
    "driver.raw_exec.enable" = "1"
  }
}
${extraConfig}
`,
    );
    const spec = { name, ip, http: port, dataDir, config, addr: `http://${ip}:${port}` };
    this.specs.set(name, spec);
    return spec;
  }

  spec(name: string): ClientSpec {
    const s = this.specs.get(name);
    if (!s) throw new Error(`no client ${name}`);
    return s;
  }

  start(name: string): AgentProcess {
    const s = this.spec(name);
    const run = join(this.cluster.root, `${name}-run-${this.runs++}`);
    mkdirSync(run, { recursive: true });
    const p = spawnAgent(run, s.http, ['agent', '-config', s.config]);
    this.procs.set(name, p);
    return p;
  }

  /** The agent stops (SIGINT): its tasks go on under their executors. */
  async stop(name: string): Promise<void> {
    await this.procs.get(name)?.stop('SIGINT', 20_000);
  }

  /**
   * The machine dies: the agent, every task executor and every task of this client are killed
   * with SIGKILL at once.
   */
  async killMachine(name: string): Promise<number[]> {
    const s = this.spec(name);
    const victims = [...taskPids(s.dataDir), ...processesMentioning(s.dataDir)];
    await this.procs.get(name)?.stop('SIGKILL', 5_000);
    killNow(victims);
    return victims;
  }

  async shutdown(): Promise<void> {
    for (const name of this.specs.keys()) await this.killMachine(name).catch(() => undefined);
    for (const p of this.procs.values()) p.cleanup();
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes running `command text` (the scenarios' tasks carry a marker in their command line). */
export function pidsRunning(marker: string): number[] {
  return processesMentioning(marker).filter((pid) => {
    try {
      return !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('executor');
    } catch {
      return false;
    }
  });
}

export async function nodes(addr: string): Promise<NodeStub[]> {
  const r = await http<NodeStub[]>(addr, 'GET', '/v1/nodes');
  if (r.status !== 200) throw new Error(`GET /v1/nodes: ${r.status} ${r.text}`);
  return r.body;
}

export async function jobAllocs(addr: string, job: string): Promise<AllocStub[]> {
  const r = await http<AllocStub[]>(addr, 'GET', `/v1/job/${job}/allocations`);
  if (r.status !== 200) throw new Error(`GET allocations of ${job}: ${r.status} ${r.text}`);
  return r.body;
}

/** Waits until every named client's node is registered with `status`; returns name -> node ID. */
export async function waitNodes(addr: string, names: string[], status: string, boundMs = 30_000): Promise<Map<string, string>> {
  return waitFor(
    `nodes ${names.join(', ')} ${status}`,
    async () => {
      const ns = await nodes(addr);
      const found = new Map(ns.filter((n) => names.includes(n.Name) && n.Status === status).map((n) => [n.Name, n.ID]));
      return found.size === names.length ? found : undefined;
    },
    boundMs,
    100,
  );
}

/** Runs a CLI-free job registration of a long-running raw_exec service whose command line carries `marker`. */
export function serviceJob(id: string, count: number, marker: string, extraGroup: Record<string, unknown> = {}): { Job: Record<string, unknown> } {
  return {
    Job: {
      ID: id,
      Name: id,
      Type: 'service',
      Datacenters: ['dc1'],
      TaskGroups: [
        {
          Name: 'g',
          Count: count,
          Spreads: [{ Attribute: '${node.unique.name}', Weight: 100 }],
          RestartPolicy: { Attempts: 2, Interval: 60e9, Delay: 1e9, Mode: 'fail' },
          ...extraGroup,
          Tasks: [
            {
              Name: 't',
              Driver: 'raw_exec',
              Config: { command: '/bin/sh', args: ['-c', `echo start ${marker} $NOMAD_ALLOC_ID; while true; do echo tick ${marker}; sleep 0.5; done`] },
              Resources: { CPU: 50, MemoryMB: 32 },
            },
          ],
        },
      ],
    },
  };
}

export function psTree(): string {
  return execFileSync('ps', ['-eo', 'pid,ppid,args'], { encoding: 'utf8' });
}
