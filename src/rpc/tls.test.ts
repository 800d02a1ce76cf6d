import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { haveOpenssl, makeTestPki } from '../../test/unit/rpc/certs.js';
import type { TestPki } from '../../test/unit/rpc/certs.js';
import { newPool, startServer } from '../../test/unit/rpc/fixture.js';
import { RpcError } from './index.js';
import type { RpcRequestContext, RpcTlsServerOptions } from './index.js';
import { PROTOCOL_BYTE_TLS } from './wire.js';

const skip = haveOpenssl() ? false : 'the openssl command is not installed: no certificates to test with';
let pkiCache: TestPki | null = null;
function pki(): TestPki {
  pkiCache ??= makeTestPki();
  return pkiCache;
}

function serverTls(extra: Partial<RpcTlsServerOptions> = {}): RpcTlsServerOptions {
  const p = pki();
  return { caPem: p.caPem, certPem: p.server.certPem, keyPem: p.server.keyPem, ...extra };
}

async function tlsServer(extra: Partial<RpcTlsServerOptions> = {}) {
  const t = await startServer({ tls: serverTls(extra) });
  t.server.handle('Whoami.Tls', async (_args, ctx: RpcRequestContext) => ({
    authorized: ctx.tls?.authorized ?? null,
    cn: ctx.tls ? (ctx.tls.peerCertificate.subject as unknown as Record<string, string>).CN : null,
  }));
  return t;
}

test('mutual TLS: a caller with a certificate from the CA is accepted and the handler sees it', { skip }, async () => {
  const p = pki();
  const t = await tlsServer();
  const { pool } = newPool({ tls: { caPem: p.caPem, certPem: p.client.certPem, keyPem: p.client.keyPem, serverName: 'server.global.nomad' } });
  assert.deepEqual(await pool.call(t.addr, 'Whoami.Tls', null), { authorized: true, cn: 'client.global.nomad' });
  // Large messages cross TLS records as well as frames.
  t.server.handle('Blob.Len', async (args) => (args as Uint8Array).length);
  assert.equal(await pool.call(t.addr, 'Blob.Len', new Uint8Array(3 * 1024 * 1024)), 3 * 1024 * 1024);
  assert.equal(t.server.refusedConnections, 0);
  await pool.close();
  await t.server.close();
});

test('mutual TLS: a caller without a certificate is refused, logged, and told why', { skip }, async () => {
  const p = pki();
  const t = await tlsServer();
  const { pool } = newPool({ tls: { caPem: p.caPem } });
  await assert.rejects(pool.call(t.addr, 'Whoami.Tls', null), (e: unknown) => e instanceof RpcError && e.code === 'tls' && /refused this client's certificate: no client certificate presented/.test(e.message));
  const line = await t.logger.waitFor(/refused TLS peer 127\.0\.0\.1:\d+ \(subject no certificate\): no client certificate presented/);
  assert.equal(line.level, 'warn');
  await pool.close();
  await t.server.close();
});

test('mutual TLS: a certificate no CA of ours signed is refused, naming its subject and why', { skip }, async () => {
  const p = pki();
  const t = await tlsServer();
  const { pool } = newPool({ tls: { caPem: p.caPem, certPem: p.rogue.certPem, keyPem: p.rogue.keyPem } });
  await assert.rejects(pool.call(t.addr, 'Whoami.Tls', null), (e: unknown) => e instanceof RpcError && e.code === 'tls');
  await t.logger.waitFor(/refused TLS peer 127\.0\.0\.1:\d+ \(subject CN=rogue\.example\): certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
  await pool.close();
  await t.server.close();
});

test("the extra verify callback refuses a CA-signed certificate of the wrong role", { skip }, async () => {
  const p = pki();
  const t = await tlsServer({
    verifyPeer: (cert) => {
      const cn = (cert.subject as unknown as Record<string, string>).CN;
      return cn === 'server.global.nomad' ? null : `role ${cn} is not server.global.nomad`;
    },
  });
  const { pool: asClient } = newPool({ tls: { caPem: p.caPem, certPem: p.client.certPem, keyPem: p.client.keyPem } });
  await assert.rejects(asClient.call(t.addr, 'Whoami.Tls', null), (e: unknown) => e instanceof RpcError && e.code === 'tls' && /role client\.global\.nomad is not server\.global\.nomad/.test(e.message));
  await t.logger.waitFor(/refused TLS peer .* \(subject CN=client\.global\.nomad\): role client\.global\.nomad is not server\.global\.nomad/);
  const { pool: asServer } = newPool({ tls: { caPem: p.caPem, certPem: p.server.certPem, keyPem: p.server.keyPem } });
  assert.deepEqual(await asServer.call(t.addr, 'Whoami.Tls', null), { authorized: true, cn: 'server.global.nomad' });
  await asClient.close();
  await asServer.close();
  await t.server.close();
});

test('the caller checks the server: wrong name or unknown CA fail the dial with tls', { skip }, async () => {
  const p = pki();
  const t = await tlsServer();
  const { pool, logger } = newPool({ tls: { caPem: p.caPem, certPem: p.client.certPem, keyPem: p.client.keyPem, serverName: 'server.europe.nomad' } });
  await assert.rejects(pool.call(t.addr, 'Whoami.Tls', null), (e: unknown) => e instanceof RpcError && e.code === 'tls' && /server\.europe\.nomad/.test(e.message) && e.notProcessed);
  await logger.waitFor(/refused server 127\.0\.0\.1:\d+ \(subject CN=server\.global\.nomad\): .*server\.europe\.nomad/);
  const { pool: otherCa, logger: otherLogger } = newPool({ tls: { caPem: p.rogue.certPem, certPem: p.client.certPem, keyPem: p.client.keyPem } });
  await assert.rejects(otherCa.call(t.addr, 'Whoami.Tls', null), (e: unknown) => e instanceof RpcError && e.code === 'tls');
  await otherLogger.waitFor(/refused server 127\.0\.0\.1:\d+/);
  await pool.close();
  await otherCa.close();
  await t.server.close();
});

test('the name a server must carry may depend on its address (a server of another region carries its own)', { skip }, async () => {
  const p = pki();
  const t = await tlsServer();
  const asked: string[] = [];
  const regionOf = new Map([[t.addr, 'global']]);
  const name = (addr: string): string => {
    asked.push(addr);
    return `server.${regionOf.get(addr) ?? 'europe'}.nomad`;
  };
  const { pool } = newPool({ tls: { caPem: p.caPem, certPem: p.client.certPem, keyPem: p.client.keyPem, serverName: name } });
  assert.deepEqual(await pool.call(t.addr, 'Whoami.Tls', null), { authorized: true, cn: 'client.global.nomad' });
  assert.deepEqual(asked, [t.addr]);
  await pool.close();
  regionOf.set(t.addr, 'europe');
  const { pool: strict } = newPool({ tls: { caPem: p.caPem, certPem: p.client.certPem, keyPem: p.client.keyPem, serverName: name } });
  await assert.rejects(strict.call(t.addr, 'Whoami.Tls', null), (e: unknown) => e instanceof RpcError && e.code === 'tls' && /server\.europe\.nomad/.test(e.message));
  await strict.close();
  await t.server.close();
});

test('a TLS-only port refuses plain callers; tls-and-plain takes both', { skip }, async () => {
  const p = pki();
  const strict = await tlsServer();
  const { pool: plain } = newPool();
  await assert.rejects(plain.call(strict.addr, 'Whoami.Tls', null), (e: unknown) => e instanceof RpcError && e.code === 'closed');
  await strict.logger.waitFor(/closing connection from 127\.0\.0\.1:\d+: plain connection on a TLS-only RPC port/);
  await strict.server.close();

  const mixed = await tlsServer({ mode: 'tls-and-plain' });
  const { pool: secure } = newPool({ tls: { caPem: p.caPem, certPem: p.client.certPem, keyPem: p.client.keyPem } });
  assert.deepEqual(await plain.call(mixed.addr, 'Whoami.Tls', null), { authorized: null, cn: null });
  assert.deepEqual(await secure.call(mixed.addr, 'Whoami.Tls', null), { authorized: true, cn: 'client.global.nomad' });
  await plain.close();
  await secure.close();
  await mixed.server.close();
});

test('a TLS caller on a plain port is refused by the server and fails with tls', { skip }, async () => {
  const p = pki();
  const t = await startServer();
  t.server.handle('Status.Ping', async () => 'pong');
  const { pool } = newPool({ tls: { caPem: p.caPem } });
  await assert.rejects(pool.call(t.addr, 'Status.Ping', null), (e: unknown) => e instanceof RpcError && e.code === 'tls');
  await t.logger.waitFor(/TLS asked for, and this RPC port has no TLS configured/);
  await pool.close();
  await t.server.close();
});

test('garbage after the TLS byte is a failed handshake, logged', { skip }, async () => {
  const t = await tlsServer();
  const s = net.connect({ host: '127.0.0.1', port: t.port });
  s.on('error', () => undefined);
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.write(new Uint8Array([PROTOCOL_BYTE_TLS, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  await new Promise<void>((r) => s.once('close', () => r()));
  const line = await t.logger.waitFor(/closing connection from 127\.0\.0\.1:\d+: TLS handshake failed: /);
  assert.ok(!line.msg.includes('\n'), 'one line');
  await t.server.close();
});

test('a TLS handshake that never completes is bounded by the dial timeout and the call deadline', { skip }, async () => {
  const p = pki();
  // Accepts TCP, reads the ClientHello, never answers it.
  const mute = net.createServer((s) => s.on('data', () => undefined));
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  const addr = `127.0.0.1:${(mute.address() as net.AddressInfo).port}`;
  const { pool } = newPool({ tls: { caPem: p.caPem }, connectTimeoutMs: 30_000 });
  const t0 = performance.now();
  await assert.rejects(pool.call(addr, 'Status.Ping', null, { timeoutMs: 200 }), (e: unknown) => e instanceof RpcError && e.code === 'timeout' && /could not connect/.test(e.message));
  const elapsed = performance.now() - t0;
  assert.ok(elapsed >= 190 && elapsed < 3000, `gave up after ${elapsed} ms`);
  const { pool: quick } = newPool({ tls: { caPem: p.caPem }, connectTimeoutMs: 200 });
  await assert.rejects(quick.call(addr, 'Status.Ping', null, { timeoutMs: 30_000 }), (e: unknown) => e instanceof RpcError && e.code === 'connect' && /TLS handshake included/.test(e.message));
  await pool.close();
  await quick.close();
  await new Promise<void>((r) => mute.close(() => r()));
});
