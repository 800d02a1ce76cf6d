// alloc exec, alloc fs and alloc logs -job through the real CLI against a real dev agent, and
// the exec WebSocket itself: Nomad's frames, a terminal, refusals as close frames.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { isolationSupport } from '../../src/drivers/isolation/isolated-driver.js';
import { NOMAD_BIN, runNomad, startDevAgent, waitForState, type AgentProcess } from './harness.js';

let agent: AgentProcess;
let rawAlloc = '';

function job(name: string, driver: string): string {
  return `job "${name}" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "${driver}"
      config {
        command = "/bin/sh"
        args    = ["-c", "for i in 1 2 3; do echo line-$i >> \${NOMAD_TASK_DIR}/grow.txt; done; echo ready; while true; do sleep 1; done"]
      }
      resources {
        cpu    = 50
        memory = 64
      }
    }
  }
}
`;
}

async function runJob(name: string, driver: string): Promise<string> {
  const file = join(agent.dir, `${name}.nomad`);
  writeFileSync(file, job(name, driver));
  assert.equal((await runNomad(['job', 'run', '-detach', file], agent.addr)).code, 0);
  const [a] = await waitForState<Array<{ ID: string; ClientStatus: string }>>(agent.addr, `/v1/job/${name}/allocations`, (x) => x.length === 1 && x[0]!.ClientStatus === 'running');
  // Running means started; the script's first lines are written right after.
  await waitForState<string>(agent.addr, `/v1/client/fs/cat/${a!.ID}?path=t/local/grow.txt`, (t) => typeof t === 'string' && t.includes('line-3'));
  return a!.ID;
}

before(async () => {
  agent = await startDevAgent();
  await agent.waitForOutput(/client: node registration complete/);
  rawAlloc = await runJob('raw', 'raw_exec');
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
});

function cli(args: string[], input?: string) {
  return runNomad(args, agent.addr, { timeoutMs: 30_000, ...(input !== undefined ? { input } : {}) });
}

test('alloc exec: output by stream, stdin, the exit code, -job, -i=false and refusals', { timeout: 60_000 }, async () => {
  const r = await cli(['alloc', 'exec', rawAlloc.slice(0, 8), '/bin/sh', '-c', 'cat local/grow.txt; echo to-stderr >&2; exit 7']);
  assert.equal(r.code, 7);
  assert.equal(r.stdout, 'line-1\nline-2\nline-3\n');
  assert.equal(r.stderr, 'to-stderr\n');
  const piped = await cli(['alloc', 'exec', '-job', 'raw', 'tr', 'a-z', 'A-Z'], 'shout this\n');
  assert.deepEqual([piped.code, piped.stdout], [0, 'SHOUT THIS\n']);
  const noInput = await cli(['alloc', 'exec', '-i=false', rawAlloc, 'cat'], 'ignored\n');
  assert.deepEqual([noInput.code, noInput.stdout], [0, '']);
  const missing = await cli(['alloc', 'exec', rawAlloc, '/no/such/program']);
  assert.equal(missing.code, 127);
  const badTask = await cli(['alloc', 'exec', '-task', 'nope', rawAlloc, 'true']);
  assert.equal(badTask.code, 1);
  assert.match(badTask.stderr, /Could not find task named: nope, found:\n {2}\* t/);
  const noCommand = await cli(['alloc', 'exec', rawAlloc]);
  assert.deepEqual([noCommand.code, noCommand.stderr.split('\n')[0]], [1, 'A command is required']);
});

test('alloc exec -t runs in a terminal', { timeout: 30_000 }, async () => {
  const r = await cli(['alloc', 'exec', '-t', rawAlloc, '/bin/sh', '-c', 'test -t 0 && echo has-a-terminal']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'has-a-terminal\r\n');
});

const isolation = await isolationSupport();
test('alloc exec into an exec task runs inside its chroot and namespaces', { timeout: 60_000, skip: isolation.ok ? false : `exec isolation unavailable: ${isolation.reason}` }, async () => {
  const alloc = await runJob('iso', 'exec');
  const r = await cli(['alloc', 'exec', alloc, '/bin/sh', '-c', 'id -u; cat /local/grow.txt | wc -l; test -e /work && echo host-visible || echo chrooted; echo pid=$$']);
  assert.equal(r.code, 0, r.stderr);
  const [uid, lines, where, pid] = r.stdout.trim().split('\n');
  assert.deepEqual([uid, lines!.trim(), where], ['65534', '3', 'chrooted']);
  assert.ok(Number(pid!.slice(4)) < 1000, `a pid of the task's own namespace: ${pid}`);
  assert.equal((await cli(['job', 'stop', '-purge', 'iso'])).code, 0);
});

/** Opens the exec WebSocket directly and collects what the agent sends until it closes. */
function wsExec(query: string, send: (ws: WebSocket) => void): Promise<{ frames: Array<Record<string, unknown>>; code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${agent.addr.replace('http', 'ws')}/v1/client/allocation/${rawAlloc}/exec?${query}`);
    const frames: Array<Record<string, unknown>> = [];
    const timer = setTimeout(() => reject(new Error(`exec socket never closed: ${JSON.stringify(frames)}`)), 15_000);
    ws.on('open', () => send(ws));
    ws.on('message', (m) => frames.push(JSON.parse(m.toString()) as Record<string, unknown>));
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ frames, code, reason: reason.toString() });
    });
    ws.on('error', reject);
  });
}

test("the exec WebSocket speaks Nomad's frames", { timeout: 30_000 }, async () => {
  const cmd = encodeURIComponent(JSON.stringify(['/bin/sh', '-c', 'read x; echo "got $x"; echo e >&2; exit 2']));
  const res = await wsExec(`task=t&command=${cmd}`, (ws) => {
    ws.send(JSON.stringify({ stdin: { data: Buffer.from('hi\n').toString('base64') } }));
    ws.send(JSON.stringify({ stdin: { close: true } }));
  });
  const decoded = res.frames.map((f) => {
    const s = (f['stdout'] ?? f['stderr']) as { data?: string; close?: boolean } | undefined;
    return s?.data ? { [f['stdout'] ? 'stdout' : 'stderr']: Buffer.from(s.data, 'base64').toString() } : f;
  });
  assert.deepEqual(decoded.filter((f) => 'stdout' in f && typeof f['stdout'] === 'string'), [{ stdout: 'got hi\n' }]);
  assert.deepEqual(decoded.filter((f) => 'stderr' in f && typeof f['stderr'] === 'string'), [{ stderr: 'e\n' }]);
  assert.deepEqual(res.frames.slice(-3), [{ stdout: { close: true } }, { stderr: { close: true } }, { exited: true, result: { exit_code: 2 } }]);
  assert.equal(res.code, 1000);

  const tty = await wsExec(`task=t&tty=true&command=${encodeURIComponent(JSON.stringify(['/bin/sh', '-c', 'while true; do stty size; sleep 0.1; done']))}`, (ws) => {
    ws.send(JSON.stringify({ tty_size: { height: 27, width: 91 } }));
    ws.on('message', (m) => {
      const data = (JSON.parse(m.toString()) as { stdout?: { data?: string } }).stdout?.data;
      if (data && Buffer.from(data, 'base64').toString().includes('27 91')) ws.close();
    });
  });
  assert.ok(tty.frames.length > 0);

  const unknownTask = await wsExec(`task=nope&command=${encodeURIComponent('["true"]')}`, () => undefined);
  assert.deepEqual([unknownTask.code, unknownTask.reason], [1008, 'unknown task name "nope"']);
  const plainGet = await fetch(`${agent.addr}/v1/client/allocation/${rawAlloc}/exec?task=t&command=%5B%22true%22%5D`);
  assert.equal(plainGet.status, 400);
  assert.match(await plainGet.text(), /not using the websocket protocol/);
});

test('alloc fs: listing, -stat, cat, -tail -n, -c and -f', { timeout: 60_000 }, async () => {
  const ls = await cli(['alloc', 'fs', rawAlloc, 't/local']);
  assert.match(ls.stdout, /^Mode\s+Size\s+Modified Time\s+Name\n-rw-r--r--\s+21 B\s+\S+\s+grow\.txt\n$/);
  const root = await cli(['alloc', 'fs', '-H', rawAlloc]);
  assert.match(root.stdout, /drwxrwxrwx\s+\d+\s+\S+\s+alloc\//);
  const stat = await cli(['alloc', 'fs', '-stat', '-H', rawAlloc, 't/local/grow.txt']);
  assert.match(stat.stdout, /^Mode\s+Size\s+Modified Time\s+Content Type\s+Name\n-rw-r--r--\s+21\s+\S+\s+text\/plain; charset=utf-8\s+grow\.txt\n$/);
  assert.equal((await cli(['alloc', 'fs', rawAlloc, 't/local/grow.txt'])).stdout, 'line-1\nline-2\nline-3\n');
  assert.equal((await cli(['alloc', 'fs', '-tail', '-n', '2', rawAlloc, 't/local/grow.txt'])).stdout, 'line-2\nline-3\n');
  assert.equal((await cli(['alloc', 'fs', '-tail', '-c', '7', rawAlloc, 't/local/grow.txt'])).stdout, 'line-3\n');
  const both = await cli(['alloc', 'fs', '-tail', '-n', '1', '-c', '2', rawAlloc, 't/local/grow.txt']);
  assert.deepEqual([both.code, both.stderr.trim()], [1, 'Both -n and -c are not allowed']);

  // -f: follows what is appended, until interrupted.
  const follower = spawn(process.execPath, [NOMAD_BIN, 'alloc', 'fs', '-f', '-tail', '-n', '1', rawAlloc, 't/local/grow.txt'], { env: { ...process.env, NOMAD_ADDR: agent.addr } });
  let out = '';
  const waiters: Array<() => void> = [];
  follower.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const seen = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never printed ${text}: ${out}`)), 15_000);
      const check = (): void => {
        if (out.includes(text)) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  await seen('line-3\n');
  assert.equal((await cli(['alloc', 'exec', rawAlloc, '/bin/sh', '-c', 'echo line-4 >> local/grow.txt'])).code, 0);
  await seen('line-4\n');
  assert.equal(out, 'line-3\nline-4\n');
  follower.kill('SIGINT');
  await new Promise((r) => follower.once('exit', r));
});

test('alloc logs -job reads an allocation of the job', { timeout: 30_000 }, async () => {
  const r = await cli(['alloc', 'logs', '-job', 'raw']);
  assert.deepEqual([r.code, r.stdout], [0, 'ready\n']);
  const missing = await cli(['alloc', 'logs', '-job', 'no-such-job']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error fetching allocations: /);
});
