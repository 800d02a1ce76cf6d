import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { newPool, startServer, until } from '../../test/unit/rpc/fixture.js';
import type { TestServer } from '../../test/unit/rpc/fixture.js';
import { encodePayload } from './codec.js';
import { encodeHeader, FLAG_MORE, FrameType, PROTOCOL_BYTE_RPC_V1 } from './wire.js';

/** Opens a raw connection, sends `bytes`, and resolves with its local "ip:port" once the server has closed it. */
async function sendAndAwaitClose(port: number, bytes: Uint8Array | null, timeoutMs = 5000): Promise<string> {
  const s = net.connect({ host: '127.0.0.1', port });
  s.on('error', () => undefined);
  s.on('data', () => undefined);
  await new Promise<void>((r) => s.once('connect', () => r()));
  const local = `${s.localAddress}:${s.localPort}`;
  if (bytes) s.write(bytes);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not close the connection within ${timeoutMs} ms`)), timeoutMs);
    s.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return local;
}

function frame(type: FrameType, flags: number, id: number, payload: Uint8Array): Uint8Array {
  const h = encodeHeader(type, flags, id, payload.length);
  const out = new Uint8Array(h.length + payload.length);
  out.set(h);
  out.set(payload, h.length);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const V1 = new Uint8Array([PROTOCOL_BYTE_RPC_V1]);

/** A healthy caller on its own connection, to show that bad input elsewhere leaves it alone. */
async function healthyCaller(t: TestServer): Promise<{ check: () => Promise<void>; close: () => Promise<void> }> {
  t.server.handle('Whoami.Addr', async (_args, ctx) => ctx.remoteAddr);
  const { pool } = newPool();
  const before = await pool.call<string>(t.addr, 'Whoami.Addr', null);
  return {
    check: async () => assert.equal(await pool.call<string>(t.addr, 'Whoami.Addr', null), before, 'the healthy caller kept its connection'),
    close: () => pool.close(),
  };
}

const cases: { name: string; bytes: Uint8Array | null; reason: RegExp; opts?: Parameters<typeof startServer>[0] }[] = [
  { name: 'an HTTP request', bytes: ascii('GET /v1/agent/self HTTP/1.1\r\nHost: x\r\n\r\n'), reason: /an HTTP request on the RPC port \("GET \/v1\/agent\/self HTTP\/1\.1"\)/ },
  { name: 'garbage', bytes: new Uint8Array([0xff, 0x00, 0x13, 0x37]), reason: /unknown protocol byte 0xff/ },
  { name: 'a frame over the size limit', bytes: concat(V1, encodeHeader(FrameType.Call, 0, 1, 10 * 1024 * 1024)), reason: /frame of 10485760 payload bytes is over the 65536-byte limit/ },
  { name: 'a frame length below the header', bytes: concat(V1, new Uint8Array([0, 0, 0, 2, 1, 0])), reason: /frame length 2 is below/ },
  { name: 'half a frame, then silence', bytes: concat(V1, encodeHeader(FrameType.Call, 0, 1, 100), new Uint8Array(40)), reason: /half a frame, then nothing for 200 ms/, opts: { stalledFrameTimeoutMs: 200 } },
  { name: 'nothing at all', bytes: null, reason: /no protocol byte within 200 ms/, opts: { handshakeTimeoutMs: 200 } },
  { name: 'an unknown frame type', bytes: concat(V1, frame(0x7f as FrameType, 0, 1, new Uint8Array(0))), reason: /unknown or misdirected frame type 0x7f/ },
  { name: 'an answer sent to the server', bytes: concat(V1, frame(FrameType.Result, 0, 1, encodePayload(1))), reason: /a caller sent a Result message/ },
  { name: 'a request that is not msgpack [method, args, timeout]', bytes: concat(V1, frame(FrameType.Call, 0, 1, encodePayload({ method: 'x' }))), reason: /a request that is not \[method, args, timeoutMs\]/ },
  { name: 'a continued control frame', bytes: concat(V1, frame(FrameType.Cancel, FLAG_MORE, 1, new Uint8Array(0))), reason: /a Cancel frame cannot be continued/ },
  {
    name: 'a message over the size limit, in frames',
    bytes: concat(V1, ...Array.from({ length: 3 }, () => frame(FrameType.Call, FLAG_MORE, 1, new Uint8Array(60_000)))),
    reason: /message of over 100000 bytes/,
    opts: { maxMessageBytes: 100_000 },
  },
  {
    name: 'upload data past its window',
    bytes: concat(V1, frame(FrameType.Upload, 0, 1, encodePayload(['Snap.Up', null, null])), ...Array.from({ length: 12 }, () => frame(FrameType.Data, 0, 1, new Uint8Array(60_000)))),
    reason: /upload 1 sent past its flow-control window/,
  },
];

for (const c of cases) {
  test(`bad input closes only its own connection, with a logged reason: ${c.name}`, async () => {
    const t = await startServer(c.opts ?? {});
    // The upload case needs a handler that does not read.
    t.server.handleUpload('Snap.Up', async (_args, _data, ctx) => new Promise((r) => ctx.signal.addEventListener('abort', () => r(null))));
    const healthy = await healthyCaller(t);
    const local = await sendAndAwaitClose(t.port, c.bytes);
    const line = await t.logger.waitFor(c.reason);
    assert.equal(line.level, 'warn');
    assert.ok(line.msg.includes(local), `the log line names the peer ${local}: ${line.msg}`);
    assert.equal(t.logger.lines.filter((l) => l.msg.includes(local)).length, 1, 'one line for the connection');
    await healthy.check();
    await healthy.close();
    await t.server.close();
  });
}

test('TLS to a plain listener is closed with a reason', async () => {
  const t = await startServer();
  const healthy = await healthyCaller(t);
  const s = tls.connect({ host: '127.0.0.1', port: t.port, rejectUnauthorized: false });
  s.on('error', () => undefined);
  await new Promise<void>((r) => s.once('close', () => r()));
  await t.logger.waitFor(/a TLS handshake without the TLS byte before it/);
  await healthy.check();
  await healthy.close();
  await t.server.close();
});

test('connections past the limits are closed as they come, with a reason', async () => {
  const t = await startServer({ maxConnections: 3, maxConnectionsPerClientIp: 2 });
  const held: net.Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const s = net.connect({ host: '127.0.0.1', port: t.port });
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(V1);
    held.push(s);
  }
  await new Promise<void>((resolve, reject) => {
    const check = (): void => (t.server.connectionCount === 2 ? resolve() : void setTimeout(check, 2));
    setTimeout(() => reject(new Error('two connections not seen')), 5000).unref();
    check();
  });
  const local = await sendAndAwaitClose(t.port, V1);
  const line = await t.logger.waitFor(/2 connections already open from 127\.0\.0\.1 \(limit 2 per client\)/);
  assert.ok(line.msg.includes(local));
  // Another loopback address is another client, but the total is capped too.
  const other = net.connect({ host: '127.0.0.1', port: t.port, localAddress: '127.0.0.2' });
  other.on('error', () => undefined);
  await new Promise<void>((r) => other.once('connect', () => r()));
  other.write(V1);
  held.push(other);
  const fourth = net.connect({ host: '127.0.0.1', port: t.port, localAddress: '127.0.0.3' });
  fourth.on('error', () => undefined);
  await new Promise<void>((r) => fourth.once('close', () => r()));
  await t.logger.waitFor(/3 connections already open \(limit 3\)/);
  for (const s of held) s.destroy();
  await t.server.close();
});

test('hundreds of bad connections at once leave nothing behind', async () => {
  const t = await startServer({ handshakeTimeoutMs: 300, stalledFrameTimeoutMs: 300 });
  const healthy = await healthyCaller(t);
  const kinds = [cases[0], cases[1], cases[2], cases[4], cases[5], cases[8]].map((c) => c?.bytes ?? null);
  const locals = await Promise.all(Array.from({ length: 300 }, (_, i) => sendAndAwaitClose(t.port, kinds[i % kinds.length] ?? null)));
  assert.equal(new Set(locals).size, 300);
  assert.equal(t.server.refusedConnections, 300);
  for (const local of locals) {
    const named = t.logger.lines.filter((l) => l.level === 'warn' && l.msg.includes(`${local}:`));
    assert.equal(named.length, 1, `one line names ${local}: ${named.map((l) => l.msg).join(' | ')}`);
  }
  // Only the healthy caller's connection is left (the server's side of the others closes a
  // moment after the peer saw it close), and it still works.
  await until('the server let go of the bad connections', () => t.server.connectionCount === 1);
  await healthy.check();
  await healthy.close();
  await t.server.close();
});
