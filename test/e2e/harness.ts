// Process-level test harness: starts a real `nomad agent` process on free loopback ports, runs
// CLI commands as separate processes against it, and stops it with a signal. Every wait is on
// an observable condition with a bound; nothing sleeps to guess.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(new URL('../../../', import.meta.url).pathname);
export const NOMAD_BIN = join(REPO_ROOT, 'bin', 'nomad');
/**
 * The node flags bin/nomad's first line (`#!/usr/bin/env -S node FLAGS`) gives node when it is
 * run as a command: processes started here run it as a user's shell would.
 */
export const NOMAD_NODE_FLAGS: readonly string[] = (/^#!\S*env -S \S*node(.*)$/m.exec(readFileSync(NOMAD_BIN, 'utf8').split('\n', 1)[0]!)?.[1] ?? '')
  .split(/\s+/)
  .filter((f) => f !== '');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  input?: string;
}

/** Runs `nomad ARGS...` to completion (bounded by timeoutMs, then killed). */
export function runNomad(args: string[], addr: string, opts: RunOptions = {}): Promise<CommandResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [...NOMAD_NODE_FLAGS, NOMAD_BIN, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, NOMAD_ADDR: addr, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', rej);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface AgentProcess {
  addr: string;
  httpPort: number;
  dir: string;
  child: ChildProcess;
  output(): string;
  /** Resolves when the agent's output matches, or rejects after timeoutMs. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends a signal and waits for the process to exit (bounded). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  cleanup(): void;
}

export interface AgentOptions {
  args?: string[];
  /** Extra HCL appended to the generated config (which sets the ports). */
  extraConfig?: string;
}

export async function startDevAgent(opts: AgentOptions = {}): Promise<AgentProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-e2e-'));
  const [http, rpc, serf] = [await freePort(), await freePort(), await freePort()];
  const cfg = join(dir, 'agent.hcl');
  writeFileSync(cfg, `ports {\n  http = ${http}\n  rpc  = ${rpc}\n  serf = ${serf}\n}\n${opts.extraConfig ?? ''}\n`);
  return spawnAgent(dir, http, ['agent', '-dev', '-config', cfg, ...(opts.args ?? [])]);
}

/**
 * Starts `nomad agent` with exactly the given arguments (no -dev), in `dir`, whose HTTP API is
 * expected on `httpPort`. The caller writes whatever configuration files the arguments name.
 */
export function spawnAgent(dir: string, httpPort: number, args: string[]): AgentProcess {
  const http = httpPort;
  const child = spawn(process.execPath, [...NOMAD_NODE_FLAGS, NOMAD_BIN, ...args], {
    cwd: dir,
    env: { ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<{ re: RegExp; done: () => void }> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) {
      if (w.re.test(out)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  const agent: AgentProcess = {
    addr: `http://127.0.0.1:${http}`,
    httpPort: http,
    dir,
    child,
    output: () => out,
    waitForOutput(re, timeoutMs = 20_000) {
      if (re.test(out)) return Promise.resolve();
      return new Promise((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`agent output did not match ${re} within ${timeoutMs} ms:\n${out}`)), timeoutMs);
        const w = { re, done: () => (clearTimeout(timer), res()) };
        waiters.push(w);
        exited.then(({ code, signal }) => {
          if (waiters.includes(w)) rej(new Error(`agent exited (code ${code}, signal ${signal}) before output matched ${re}:\n${out}`));
        });
      });
    },
    async stop(signal = 'SIGINT', timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const res = await exited;
      clearTimeout(timer);
      return res;
    },
    cleanup() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return agent;
}

/** GET a JSON endpoint of the agent. */
export async function getJson<T = unknown>(addr: string, path: string, token = ''): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(addr + path, token ? { headers: { 'X-Nomad-Token': token } } : {});
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain-text error bodies stay strings
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/**
 * Waits with blocking queries until `check` holds for the endpoint's body: each round asks
 * with ?index= of the last answer, so the agent answers as soon as something changes.
 */
export async function waitForState<T>(addr: string, path: string, check: (body: T) => boolean, timeoutMs = 30_000, token = ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let index = 0;
  let last: T | undefined;
  while (Date.now() < deadline) {
    const waitS = Math.max(1, Math.min(5, Math.ceil((deadline - Date.now()) / 1000)));
    const sep = path.includes('?') ? '&' : '?';
    const res = await getJson<T>(addr, `${path}${sep}index=${index}&wait=${waitS}s`, token);
    last = res.body;
    if (res.status === 200 && check(res.body)) return res.body;
    const next = Number(res.headers.get('x-nomad-index') ?? '0');
    // A blocking query that returns with the same index timed out; ask again from there. A table
    // never written answers index 0, which would not block: wait for its first write instead.
    index = Math.max(index, next, 1);
  }
  throw new Error(`condition on ${path} not met within ${timeoutMs} ms; last answer: ${JSON.stringify(last)?.slice(0, 2000)}`);
}
