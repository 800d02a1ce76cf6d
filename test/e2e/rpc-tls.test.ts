// Mutual TLS on the RPC port, with certificates made by `nomad tls`: three servers form a cluster
// and forward writes over TLS, checking each other's role name (verify_server_hostname); a fourth
// server whose certificate comes from another CA joins the gossip pool but gets no service: the
// cluster's log names its refused certificate (when the leader reaches out to it), its own log says why its calls fail, it never
// becomes a voter, and the cluster keeps taking writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOMAD_BIN, runNomad } from './harness.js';
import { agreedLeader, Cluster, http, jobBody, waitFor } from './cluster-harness.js';

function makeCerts(dir: string): { ca: string; cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  for (const args of [['tls', 'ca', 'create'], ['tls', 'cert', 'create', '-server']]) {
    const r = spawnSync(process.execPath, [NOMAD_BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  }
  return { ca: join(dir, 'nomad-agent-ca.pem'), cert: join(dir, 'global-server-nomad.pem'), key: join(dir, 'global-server-nomad-key.pem') };
}

function tlsBlock(c: { ca: string; cert: string; key: string }): string {
  return `tls {\n  rpc = true\n  ca_file = "${c.ca}"\n  cert_file = "${c.cert}"\n  key_file = "${c.key}"\n  verify_server_hostname = true\n}\nlog_level = "INFO"\n`;
}

test('three servers over mutual TLS RPC; a server with a certificate from another CA gets no service', { timeout: 180_000 }, async () => {
  const certs = mkdtempSync(join(tmpdir(), 'nomad-rpc-tls-'));
  const good = makeCerts(join(certs, 'good'));
  const foreign = makeCerts(join(certs, 'foreign'));
  const cluster = await Cluster.create(3, { base: 30, extraConfig: tlsBlock(good) });
  const rogue = await Cluster.create(1, { base: 33, bootstrapExpect: 3, extraConfig: tlsBlock(foreign), namePrefix: 'rogue' });
  try {
    await cluster.startAll();
    const leader = await agreedLeader(cluster.specs);
    const follower = cluster.specs.find((s) => s !== leader)!;
    const reg = await http(follower.addr, 'PUT', '/v1/jobs', jobBody('over-tls'));
    assert.equal(reg.status, 200, reg.text);
    for (const s of cluster.specs) assert.ok((await http<Array<{ ID: string }>>(s.addr, 'GET', '/v1/jobs')).body.some((j) => j.ID === 'over-tls'));

    await rogue.startAll();
    const r = rogue.specs[0]!;
    const joined = await runNomad(['server', 'join', `${leader.ip}:${leader.serf}`], r.addr);
    assert.equal(joined.code, 0, joined.stderr);
    // The cluster's side: the foreign certificate is refused and named.
    await waitFor(
      'a refusal of the foreign certificate in the cluster log',
      async () => (cluster.specs.some((s) => new RegExp(`refused server ${r.ip.replace(/\./g, '\\.')}:${r.rpc} \\(subject CN=server\\.global\\.nomad\\): certificate not trusted`).test(cluster.output(s.name))) ? true : undefined),
      30_000,
    );
    // The rogue's side: its calls fail, and its log says why.
    await rogue.procs.get(r.name)!.waitForOutput(/refused server .*\(subject CN=server\.global\.nomad\): certificate not trusted/, 30_000);
    // It never becomes a voter, and the cluster keeps taking writes.
    const reg2 = await http(follower.addr, 'PUT', '/v1/jobs', jobBody('still-writable'));
    assert.equal(reg2.status, 200, reg2.text);
    const cfg = await http<{ Servers: Array<{ Address: string; Voter: boolean }> }>(leader.addr, 'GET', '/v1/operator/raft/configuration');
    assert.ok(!cfg.body.Servers.some((s) => s.Address === `${r.ip}:${r.rpc}` && s.Voter), JSON.stringify(cfg.body.Servers));
    const rogueLeader = await http<string>(r.addr, 'GET', '/v1/status/leader');
    assert.equal(rogueLeader.body, '', 'the rogue knows no leader: it never got in');
  } finally {
    await rogue.shutdown();
    await cluster.shutdown();
    rmSync(certs, { recursive: true, force: true });
  }
});
