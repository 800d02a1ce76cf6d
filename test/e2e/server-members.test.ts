// Three server agents (no clients) on 127.0.0.1-3, each its own single-server cluster, sharing one
// gossip pool: `nomad server join`, `server members` on each, a crash seen as failed, force-leave,
// the crashed server coming back through -retry-join, and a graceful leave on SIGINT.
// Gossip runs with the default LAN timings; membership is polled (it has no blocking query) with
// a bound on every wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, getJson, runNomad, spawnAgent, type AgentProcess } from './harness.js';

const POLL_MS = 100;

interface Member {
  Name: string;
  Addr: string;
  Status: string;
}

interface ServerSpec {
  name: string;
  ip: string;
  http: number;
  serf: number;
  config: string;
  addr: string;
}

async function serverSpec(root: string, n: number): Promise<ServerSpec> {
  const ip = `127.0.0.${n}`;
  const [http, rpc, serf] = [await freePort(), await freePort(), await freePort()];
  const name = `s${n}`;
  const config = join(root, `${name}.hcl`);
  writeFileSync(
    config,
    `name      = "${name}"
bind_addr = "${ip}"
data_dir  = "${join(root, `${name}-data`)}"
log_level = "INFO"
leave_on_interrupt = true
ports {
  http = ${http}
  rpc  = ${rpc}
  serf = ${serf}
}
server {
  enabled          = true
  bootstrap_expect = 1
}
client {
  enabled = false
}
`,
  );
  return { name, ip, http, serf, config, addr: `http://${ip}:${http}` };
}

function start(root: string, s: ServerSpec, extraArgs: string[] = []): AgentProcess {
  // spawnAgent removes its directory on cleanup: give it a scratch one, keep configs in root.
  const scratch = mkdtempSync(join(root, `${s.name}-run-`));
  return spawnAgent(scratch, s.http, ['agent', '-config', s.config, ...extraArgs]);
}

async function members(s: ServerSpec): Promise<Member[]> {
  const res = await getJson<{ Members: Member[] }>(s.addr, '/v1/agent/members');
  assert.equal(res.status, 200);
  return res.body.Members;
}

/** Polls each server's view until `check` holds for all of them; fails after boundMs with the views. */
async function waitViews(what: string, servers: ServerSpec[], check: (ms: Member[]) => boolean, boundMs: number): Promise<number> {
  const startMs = Date.now();
  for (;;) {
    const views = await Promise.all(servers.map(members));
    if (views.every(check)) return Date.now() - startMs;
    if (Date.now() - startMs > boundMs) {
      const shown = views.map((v, i) => `${servers[i]!.name}: ${v.map((m) => `${m.Name}=${m.Status}`).join(' ')}`).join(' | ');
      assert.fail(`${what} not reached within ${boundMs} ms; views: ${shown}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const statusOf = (ms: Member[], name: string): string | undefined => ms.find((m) => m.Name === name)?.Status;
const allAlive = (ms: Member[]): boolean => ms.length === 3 && ms.every((m) => m.Status === 'alive');

test('three server agents: join, members, crash, force-leave, return, leave', { timeout: 90_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'nomad-server-members-'));
  mkdirSync(root, { recursive: true });
  const specs = [await serverSpec(root, 1), await serverSpec(root, 2), await serverSpec(root, 3)];
  const [s1, s2, s3] = specs as [ServerSpec, ServerSpec, ServerSpec];
  const procs: AgentProcess[] = [];
  try {
    const [a1, a2, a3] = specs.map((s) => start(root, s)) as [AgentProcess, AgentProcess, AgentProcess];
    procs.push(a1, a2, a3);
    await Promise.all([a1, a2, a3].map((a) => a.waitForOutput(/Nomad agent started!/, 20_000)));

    // A server-only agent is healthy through its server part alone.
    const health = await getJson<Record<string, unknown>>(s1.addr, '/v1/agent/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { server: { ok: true, message: 'ok' } });

    const joined = await runNomad(['server', 'join', `${s2.ip}:${s2.serf}`, `${s3.ip}:${s3.serf}`], s1.addr);
    assert.equal(joined.code, 0, joined.stderr);
    assert.equal(joined.stdout, 'Joined 2 servers successfully\n');
    await waitViews('all three alive everywhere', specs, allAlive, 10_000);

    for (const s of specs) {
      const r = await runNomad(['server', 'members'], s.addr);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^Name +Address +Port +Status +Leader +Protocol +Build +Datacenter +Region$/);
      assert.equal(lines.length, 4);
      for (const [i, other] of specs.entries()) {
        // Each agent is its own single-server cluster, so each sees itself as the leader.
        const leader = other === s;
        assert.match(lines[i + 1]!, new RegExp(`^${other.name}\\.global +${other.ip.replace(/\./g, '\\.')} +${other.serf} +alive +${leader} +2 +\\S+ +dc1 +global$`));
      }
    }

    a3.child.kill('SIGKILL');
    const detectMs = await waitViews('s3 failed', [s1, s2], (ms) => statusOf(ms, 's3.global') === 'failed', 15_000);
    for (const s of [s1, s2]) assert.deepEqual((await members(s)).filter((m) => m.Status !== 'alive').map((m) => m.Name), ['s3.global']);
    await a1.waitForOutput(/nomad: serf: EventMemberFailed: s3\.global 127\.0\.0\.3/, 5_000);

    const forced = await runNomad(['server', 'force-leave', 's3.global'], s1.addr);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.stdout, '');
    await waitViews('s3 left', [s1, s2], (ms) => statusOf(ms, 's3.global') === 'left', 10_000);

    // The same server again, by the same name and address, finding the pool through -retry-join.
    const b3 = start(root, s3, ['-retry-join', `${s1.ip}:${s1.serf}`, '-retry-interval', '1s']);
    procs.push(b3);
    await b3.waitForOutput(/retry join completed/, 15_000);
    await waitViews('s3 back alive everywhere', specs, allAlive, 15_000);

    const stopped = await a2.stop('SIGINT');
    assert.equal(stopped.code, 0, a2.output().slice(-2000));
    assert.match(a2.output(), /==> Gracefully shutting down agent\.\.\./);
    await waitViews('s2 left', [s1, s3], (ms) => statusOf(ms, 's2.global') === 'left' && statusOf(ms, 's3.global') === 'alive', 10_000);
    await a1.waitForOutput(/nomad: serf: EventMemberLeave: s2\.global 127\.0\.0\.2/, 5_000);

    // Prune forgets a member that left; the table then lists the two that remain.
    const pruned = await runNomad(['server', 'force-leave', '-prune', 's2.global'], s1.addr);
    assert.equal(pruned.code, 0, pruned.stderr);
    const left = await runNomad(['server', 'members'], s1.addr);
    assert.equal(left.code, 0, left.stderr);
    assert.deepEqual(left.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/ +/)[0]), ['s1.global', 's3.global']);

    const self = await getJson<{ stats: { serf: Record<string, string> }; member: Member }>(s1.addr, '/v1/agent/self');
    assert.equal(self.body.member.Name, 's1.global');
    assert.equal(self.body.stats.serf['members'], '2');
    assert.equal(self.body.stats.serf['failed'], '0');
    assert.ok(detectMs < 15_000);
  } finally {
    await Promise.all(procs.map((p) => p.stop('SIGTERM', 10_000)));
    for (const p of procs) p.cleanup();
    rmSync(root, { recursive: true, force: true });
  }
});
