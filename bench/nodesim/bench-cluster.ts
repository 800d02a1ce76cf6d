// Real server processes for the cluster benchmarks (on 127.0.0.1, .2, .3 ...), quiet (WARN) so
// that logging is not what is measured, with what the benchmarks read of each process: its RSS
// and CPU seconds from /proc.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnAgent, type AgentProcess } from '../../test/e2e/harness.js';

export interface BenchServer {
  name: string;
  http: string;
  rpc: string;
  proc: AgentProcess;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

export async function startServers(n: number, serverExtra = ''): Promise<{ servers: BenchServer[]; root: string; stop: () => Promise<void> }> {
  const root = mkdtempSync(join(tmpdir(), 'nomad-bench-'));
  const specs = [];
  for (let i = 0; i < n; i++) specs.push({ name: `b${i + 1}`, ip: `127.0.0.${i + 1}`, http: await freePort(), rpc: await freePort(), serf: await freePort() });
  const join_ = specs.map((s) => `"${s.ip}:${s.serf}"`).join(', ');
  const servers: BenchServer[] = [];
  for (const s of specs) {
    const dir = join(root, s.name);
    mkdirSync(join(dir, 'data'), { recursive: true });
    mkdirSync(join(dir, 'run'), { recursive: true });
    const config = join(dir, 'agent.hcl');
    writeFileSync(
      config,
      `name = "${s.name}"\nbind_addr = "${s.ip}"\ndata_dir = "${join(dir, 'data')}"\nlog_level = "WARN"\nports {\n  http = ${s.http}\n  rpc = ${s.rpc}\n  serf = ${s.serf}\n}\nserver {\n  enabled = true\n  bootstrap_expect = ${n}\n  server_join {\n    retry_join = [${join_}]\n    retry_interval = "1s"\n  }\n${serverExtra}}\n`,
    );
    servers.push({ name: s.name, http: `http://${s.ip}:${s.http}`, rpc: `${s.ip}:${s.rpc}`, proc: spawnAgent(join(dir, 'run'), s.http, ['agent', '-config', config]) });
  }
  await Promise.all(servers.map((s) => s.proc.waitForOutput(/Nomad agent started!/, 60_000)));
  await waitUntil('a leader', async () => {
    const r = await fetch(`${servers[0]!.http}/v1/status/leader`).catch(() => null);
    return r?.ok && ((await r.json()) as string) !== '' ? true : undefined;
  }, 60_000);
  return {
    servers,
    root,
    stop: async () => {
      await Promise.all(servers.map((s) => s.proc.stop('SIGKILL', 5_000)));
      for (const s of servers) s.proc.cleanup();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, boundMs: number, pollMs = 200): Promise<T> {
  const until = Date.now() + boundMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${boundMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the command.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}
