// An operator's diagnostics on a real dev agent through the real CLI: `nomad monitor` at a
// level the agent does not log at, and `nomad operator debug` writing its archive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { startDevAgent, runNomad, NOMAD_BIN, REPO_ROOT, type AgentProcess } from './harness.js';

let agent: AgentProcess;

before(async () => {
  agent = await startDevAgent({ args: ['-log-level', 'WARN'] });
  await agent.waitForOutput(/Nomad agent started/, 30_000);
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
});

test('nomad monitor streams debug lines from an agent that logs only warnings, until interrupted', async () => {
  const child = spawn(process.execPath, [NOMAD_BIN, 'monitor', '-log-level', 'debug'], { cwd: REPO_ROOT, env: { ...process.env, NOMAD_ADDR: agent.addr }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const seen = /\[DEBUG\] http: request complete method=GET path="?\/v1\/jobs\?prefix=monitored"? duration=/;
  const deadline = Date.now() + 20_000;
  // Requests are logged at debug level. The monitor may not be connected for the first ones:
  // ask again each time the monitor prints something else, or after a bounded wait.
  while (!seen.test(out) && Date.now() < deadline) {
    await fetch(`${agent.addr}/v1/jobs?prefix=monitored`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, 500);
      function done(): void {
        clearTimeout(t);
        child.stdout.off('data', done);
        resolve();
      }
      child.stdout.on('data', done);
    });
  }
  child.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.match(out, seen);
  assert.doesNotMatch(agent.output(), /request complete/, "the agent's own output stays at its level");

  const bad = await runNomad(['monitor', '-log-level', 'loud'], agent.addr);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^Error starting monitor: Unexpected response code: 400 \(Unknown log level: loud\)/);
});

test('nomad operator debug writes an archive with the cluster, each agent\'s log and profiles, and the state at each interval', async () => {
  const r = await runNomad(['operator', 'debug', '-duration', '2s', '-interval', '1s', '-pprof-duration', '1s'], agent.addr, { cwd: agent.dir, timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Starting debugger\.\.\./);
  assert.match(r.stdout, /Clients: \(1\/1\) \[[0-9a-f-]{36}\]/);
  const archive = /Created debug archive: (.+\.tar\.gz)$/m.exec(r.stdout)?.[1];
  assert.ok(archive, r.stdout);
  assert.ok(readdirSync(agent.dir).some((f) => f.endsWith('.tar.gz')));
  const sizes = new Map<string, number>();
  const entries = extract();
  const reading = pipeline(createReadStream(archive), createGunzip(), entries);
  for await (const e of entries) {
    if (e.header.type === 'file') sizes.set(e.header.name.split('/').slice(1).join('/'), e.header.size ?? 0);
    e.resume();
  }
  await reading;
  // How many intervals fit in the duration depends on how fast the agent answers; the first always is.
  for (const f of ['index.json', 'cluster/agent-self.json', 'cluster/members.json', 'nomad/0000/jobs.json', 'nomad/0000/nodes.json', 'nomad/0000/metrics.json', 'nomad/0000/allocations.json']) {
    assert.ok(sizes.has(f), `${f} in ${[...sizes.keys()].join(', ')}`);
  }
  const clientDir = [...sizes.keys()].find((k) => k.startsWith('client/') && k.endsWith('/monitor.log'))!.replace(/\/monitor\.log$/, '');
  const serverDir = [...sizes.keys()].find((k) => k.startsWith('server/') && k.endsWith('/monitor.log'))!.replace(/\/monitor\.log$/, '');
  for (const dir of [clientDir, serverDir]) {
    for (const f of ['monitor.log', 'profile.prof', 'heap.prof', 'cmdline.prof']) assert.ok((sizes.get(`${dir}/${f}`) ?? 0) > 0, `${dir}/${f} is not empty`);
  }
  assert.ok(!readdirSync(join(agent.dir)).some((f) => f.startsWith('nomad-debug-') && !f.endsWith('.tar.gz')), 'no directory left beside the archive');
});
