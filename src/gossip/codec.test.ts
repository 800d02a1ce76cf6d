import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError, decodePacket, encodeCompound, encodeMessage, type Message } from './codec.js';
import { MsgType } from './constants.js';
import { seededRng } from './rng.js';

test('every message round-trips, alone and in a compound', () => {
  const msgs: Message[] = [
    { type: MsgType.Ping, seq: 7, node: 'a', from: 'b' },
    { type: MsgType.Ping, seq: 9, node: 'a', from: 'b', live: 12 },
    { type: MsgType.IndirectPing, seq: 8, node: 'c', addr: '10.0.0.1', port: 4648, nack: true },
    { type: MsgType.Ack, seq: 9 },
    { type: MsgType.Nack, seq: 10 },
    { type: MsgType.Suspect, inc: 3, node: 'c', from: 'a' },
    { type: MsgType.Alive, inc: 4, node: 'c', addr: '10.0.0.1', port: 4648, meta: { role: 'server', region: 'eu' }, vsn: [1, 5, 2, 2, 5, 4] },
    { type: MsgType.Dead, inc: 5, node: 'c', from: 'c' },
    { type: MsgType.ForceLeave, inc: 5, node: 'c', from: 'a' },
  ];
  for (const m of msgs) assert.deepEqual(decodePacket(encodeMessage(m)), [m]);
  assert.deepEqual(decodePacket(encodeCompound(msgs.map(encodeMessage))), msgs);
});

test('garbage, truncated and foreign packets are CodecErrors, never other exceptions', () => {
  const rng = seededRng(1);
  const good = encodeCompound([encodeMessage({ type: MsgType.Ack, seq: 1 }), encodeMessage({ type: MsgType.Suspect, inc: 1, node: 'x', from: 'y' })]);
  for (let i = 0; i < 2000; i++) {
    const len = Math.floor(rng() * 64);
    let bytes = new Uint8Array(len).map(() => Math.floor(rng() * 256));
    if (i % 3 === 0) bytes = good.slice(0, Math.floor(rng() * good.length));
    if (i % 3 === 1) {
      bytes = good.slice();
      bytes[Math.floor(rng() * bytes.length)] ^= 1 << Math.floor(rng() * 8);
    }
    try {
      decodePacket(bytes);
    } catch (err) {
      assert.ok(err instanceof CodecError, `unexpected ${String(err)}`);
    }
  }
  assert.throws(() => decodePacket(Uint8Array.of(0x47, 0x45, 0x54)), CodecError);
});
