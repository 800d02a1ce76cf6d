import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, ProtocolViolation } from './frame-decoder.js';
import { encodeHeader, FrameType } from './wire.js';

interface Seen {
  type: number;
  flags: number;
  id: number;
  payload: number[];
}

function encode(type: FrameType, flags: number, id: number, payload: number[]): Uint8Array {
  const h = encodeHeader(type, flags, id, payload.length);
  const out = new Uint8Array(h.length + payload.length);
  out.set(h);
  out.set(payload, h.length);
  return out;
}

test('frames come out whole however the stream is cut', () => {
  const frames: [FrameType, number, number, number[]][] = [
    [FrameType.Call, 0, 1, [1, 2, 3]],
    [FrameType.Cancel, 0, 0xfffffffe, []],
    [FrameType.Data, 1, 7, Array.from({ length: 300 }, (_, i) => i & 0xff)],
    [FrameType.Window, 0, 7, [0, 0, 1, 0]],
  ];
  const stream = Uint8Array.from(frames.flatMap(([t, f, id, p]) => [...encode(t, f, id, p)]));
  const expected: Seen[] = frames.map(([type, flags, id, payload]) => ({ type, flags, id, payload }));
  for (let cut1 = 0; cut1 <= stream.length; cut1 += 7) {
    for (let cut2 = cut1; cut2 <= stream.length; cut2 += 13) {
      const seen: Seen[] = [];
      const d = new FrameDecoder((type, flags, id, parts) => seen.push({ type, flags, id, payload: parts.flatMap((p) => [...p]) }));
      d.push(stream.subarray(0, cut1));
      d.push(stream.subarray(cut1, cut2));
      d.push(stream.subarray(cut2));
      assert.deepEqual(seen, expected, `cut at ${cut1}, ${cut2}`);
      assert.equal(d.hasPartial, false);
    }
  }
  // Byte by byte.
  const seen: Seen[] = [];
  const d = new FrameDecoder((type, flags, id, parts) => seen.push({ type, flags, id, payload: parts.flatMap((p) => [...p]) }));
  const ends = new Set<number>();
  let end = 0;
  for (const [, , , p] of frames) ends.add((end += 10 + p.length));
  for (let i = 0; i < stream.length; i++) {
    d.push(stream.subarray(i, i + 1));
    assert.equal(d.hasPartial, !ends.has(i + 1), `after byte ${i}`);
  }
  assert.deepEqual(seen, expected);
});

test('a frame length out of bounds is refused from its first 4 bytes, before any payload is buffered', () => {
  const d = new FrameDecoder(() => assert.fail('no frame expected'), 1024);
  assert.throws(() => d.push(new Uint8Array([0, 0, 0x10, 0])), (e: unknown) => e instanceof ProtocolViolation && /over the 1024-byte limit/.test(e.message));
  const d2 = new FrameDecoder(() => assert.fail('no frame expected'));
  assert.throws(() => d2.push(new Uint8Array([0, 0, 0, 5])), (e: unknown) => e instanceof ProtocolViolation && /below the 6-byte minimum/.test(e.message));
});
