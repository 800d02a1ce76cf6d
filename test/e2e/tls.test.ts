// HTTPS for the API with certificates made by `nomad tls`: the CLI with the CA and a client
// certificate (flags and NOMAD_* variables), plain HTTP answered as Go answers it, clients without
// a certificate or with one from another CA refused and named in the log, a reload on SIGHUP, and
// the settings the agent refuses with where they were written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, NOMAD_BIN, runNomad, spawnAgent, type CommandResult } from './harness.js';

function nomadIn(cwd: string, args: string[]): CommandResult {
  const r = spawnSync(process.execPath, [NOMAD_BIN, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function ok(r: CommandResult): string {
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout;
}

/** The serial of the certificate the agent presents to a new connection. */
function servedSerial(port: number, ca: Buffer, cert: Buffer, key: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, cert, key, servername: 'localhost' }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(serial);
    });
    s.on('error', reject);
  });
}

function plainHttp(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => s.write('GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n'));
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

test('HTTPS with client certificates, made by nomad tls', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-tls-'));
  const other = join(dir, 'other');
  mkdirSync(other);
  try {
    const ca = ok(nomadIn(dir, ['tls', 'ca', 'create']));
    assert.equal(ca, '==> CA certificate saved to: nomad-agent-ca.pem\n==> CA certificate key saved to: nomad-agent-ca-key.pem\n');
    const server = nomadIn(dir, ['tls', 'cert', 'create', '-server']);
    assert.match(ok(server), /==> Server Certificate saved to global-server-nomad\.pem\n==> Server Certificate key saved to global-server-nomad-key\.pem/);
    assert.match(server.stderr, /WARNING: Server Certificates grants authority/);
    assert.match(ok(nomadIn(dir, ['tls', 'cert', 'create', '-cli'])), /Cli Certificate saved to global-cli-nomad\.pem/);
    const again = nomadIn(dir, ['tls', 'cert', 'create', '-cli']);
    assert.deepEqual([again.code, again.stderr.trim()], [1, "Certificate file 'global-cli-nomad.pem' already exists"]);
    // A second CA and a CLI certificate signed by it: valid, but not for this agent.
    ok(nomadIn(other, ['tls', 'ca', 'create', '-common-name', 'Other CA']));
    ok(nomadIn(other, ['tls', 'cert', 'create', '-cli']));

    const [http, rpc, serf] = [await freePort(), await freePort(), await freePort()];
    const cfg = join(dir, 'agent.hcl');
    writeFileSync(
      cfg,
      `ports {\n  http = ${http}\n  rpc  = ${rpc}\n  serf = ${serf}\n}\ntls {\n  http                = true\n  ca_file             = "nomad-agent-ca.pem"\n  cert_file           = "global-server-nomad.pem"\n  key_file            = "global-server-nomad-key.pem"\n  verify_https_client = true\n}\n`,
    );
    const agent = spawnAgent(dir, http, ['agent', '-dev', '-config', cfg]);
    try {
      await agent.waitForOutput(/Nomad agent started/);
      const addr = `https://127.0.0.1:${http}`;
      const tlsEnv = { NOMAD_CACERT: join(dir, 'nomad-agent-ca.pem'), NOMAD_CLIENT_CERT: join(dir, 'global-cli-nomad.pem'), NOMAD_CLIENT_KEY: join(dir, 'global-cli-nomad-key.pem') };

      // The CLI over HTTPS with the CA and a client certificate, from the environment or flags.
      assert.match(ok(await runNomad(['server', 'members'], addr, { env: tlsEnv })), /alive/);
      const byFlags = await runNomad(['status', '-ca-cert', tlsEnv.NOMAD_CACERT, '-client-cert', tlsEnv.NOMAD_CLIENT_CERT, '-client-key', tlsEnv.NOMAD_CLIENT_KEY], addr);
      assert.equal(ok(byFlags).trim(), 'No running jobs');
      const named = await runNomad(['status', '-tls-server-name', 'server.global.nomad'], addr, { env: tlsEnv });
      assert.equal(named.code, 0, named.stderr);

      // Without the CA the agent's certificate is not trusted, unless verification is skipped.
      const untrusted = await runNomad(['status'], addr, { env: { ...tlsEnv, NOMAD_CACERT: '' } });
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /certificate/i);
      assert.equal((await runNomad(['status', '-tls-skip-verify'], addr, { env: { ...tlsEnv, NOMAD_CACERT: '' } })).code, 0);

      // No client certificate, or one from another CA: no service, and the log says what was refused.
      const bare = await runNomad(['status'], addr, { env: { NOMAD_CACERT: tlsEnv.NOMAD_CACERT } });
      assert.equal(bare.code, 1, bare.stdout);
      await agent.waitForOutput(/refused a client certificate.*certificate="none presented"/);
      const foreign = await runNomad(['status'], addr, { env: { NOMAD_CACERT: tlsEnv.NOMAD_CACERT, NOMAD_CLIENT_CERT: join(other, 'global-cli-nomad.pem'), NOMAD_CLIENT_KEY: join(other, 'global-cli-nomad-key.pem') } });
      assert.equal(foreign.code, 1, foreign.stdout);
      await agent.waitForOutput(/refused a client certificate.*subject CN=cli\.global\.nomad, issuer CN=Other CA/);

      // Plain HTTP to the TLS port.
      const plain = await plainHttp(http);
      assert.equal(plain, 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');

      // SIGHUP: new certificate files are served to new connections.
      const caPem = readFileSync(join(dir, 'nomad-agent-ca.pem'));
      const cliCert = readFileSync(tlsEnv.NOMAD_CLIENT_CERT);
      const cliKey = readFileSync(tlsEnv.NOMAD_CLIENT_KEY);
      const before = await servedSerial(http, caPem, cliCert, cliKey);
      rmSync(join(dir, 'global-server-nomad.pem'));
      rmSync(join(dir, 'global-server-nomad-key.pem'));
      ok(nomadIn(dir, ['tls', 'cert', 'create', '-server']));
      agent.child.kill('SIGHUP');
      await agent.waitForOutput(/reloaded the HTTP TLS certificates/);
      const after = await servedSerial(http, caPem, cliCert, cliKey);
      assert.notEqual(after, before);
      assert.equal(after.toLowerCase(), new (await import('node:crypto')).X509Certificate(readFileSync(join(dir, 'global-server-nomad.pem'), 'utf8')).serialNumber.toLowerCase());
    } finally {
      await agent.stop();
      agent.cleanup();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the agent refuses tls settings it cannot honour, saying where they were written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-tls-bad-'));
  try {
    const cfg = join(dir, 'bad.hcl');
    writeFileSync(cfg, 'tls {\n  http = true\n  rpc  = true\n  tls_min_version = "tls99"\n}\n');
    const r = spawnSync(process.execPath, [NOMAD_BIN, 'agent', '-dev', '-config', cfg], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /tls\.rpc = true \(.*bad\.hcl:3:3\): ca_file, cert_file and key_file must all be set for mutual TLS on RPC/);
    assert.match(r.stderr, /tls\.tls_min_version = "tls99" \(.*bad\.hcl:4:3\)/);
    assert.match(r.stderr, /tls\.http = true \(.*bad\.hcl:2:3\): cert_file and key_file must both be set/);

    writeFileSync(cfg, 'tls {\n  http      = true\n  cert_file = "missing.pem"\n  key_file  = "missing-key.pem"\n}\n');
    const m = spawnSync(process.execPath, [NOMAD_BIN, 'agent', '-dev', '-config', cfg], { encoding: 'utf8', timeout: 20_000, cwd: dir });
    assert.equal(m.status, 1, m.stdout + m.stderr);
    assert.match(m.stderr, /tls\.cert_file = "missing\.pem" \(.*bad\.hcl:3:3\): ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
