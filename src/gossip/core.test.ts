import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage } from './codec.js';
import { MsgType } from './constants.js';
import { GossipCore } from './core.js';
import { seededRng } from './rng.js';
import { LAN_TIMINGS } from './timings.js';

function core(name: string, addr: string): GossipCore {
  return new GossipCore({ name, advertise: { addr, port: 4648 }, tags: { role: 'server' }, timings: LAN_TIMINGS, rng: seededRng(1), startMs: 0, maxPacketBytes: 1400 });
}

test('a live member refutes a suspicion of itself with a higher incarnation', () => {
  const b = core('b', '10.0.0.2');
  b.receivePacket(10, { addr: '10.0.0.1', port: 4648 }, encodeMessage({ type: MsgType.Suspect, inc: 0, node: 'b', from: 'a' }));
  assert.equal(b.incarnation, 1);
  assert.equal(b.counters.refutations, 1);
  assert.equal(b.healthScore, 1, 'being accused lowers our own health');
  // A dead rumor of an older incarnation is answered, not obeyed.
  b.receivePacket(20, { addr: '10.0.0.1', port: 4648 }, encodeMessage({ type: MsgType.Dead, inc: 0, node: 'b', from: 'a' }));
  assert.equal(b.incarnation, 1);
  assert.equal(b.member('b')?.status, 'alive');
});

test('bad packets are counted and dropped; a ping for another name is not answered', () => {
  const a = core('a', '10.0.0.1');
  a.drainOutputs();
  a.receivePacket(1, { addr: '10.0.0.9', port: 1 }, Uint8Array.of(0x16, 0x03, 0x01, 0x00));
  a.receivePacket(2, { addr: '10.0.0.9', port: 1 }, encodeMessage({ type: MsgType.Ping, seq: 1, node: 'someone-else', from: 'x' }));
  assert.equal(a.counters.badPackets, 1);
  assert.equal(a.counters.ignoredMessages, 1);
  assert.deepEqual(a.drainOutputs(), []);
  a.receivePacket(3, { addr: '10.0.0.9', port: 1 }, encodeMessage({ type: MsgType.Ping, seq: 2, node: 'a', from: 'x' }));
  const [ack] = a.drainOutputs();
  assert.equal(ack?.kind, 'udp');
});

test('tags over the meta limit are refused; an update raises the incarnation', () => {
  const a = core('a', '10.0.0.1');
  a.drainEvents();
  assert.throws(() => a.setTags(1, { big: 'x'.repeat(600) }), /limit is 512/);
  a.setTags(1, { role: 'server', build: '2' });
  assert.equal(a.incarnation, 1);
  assert.deepEqual(a.drainEvents().map((e) => e.type), ['member-update']);
});
