import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalizeJob } from '../structs/canonicalize.js';
import { decodeMsgpack, encodeMsgpack } from '../state/codec.js';
import type { LogEntry } from '../state/log-entries.js';
import { mockEval } from '../../test/unit/state-fixtures.js';
import { decodeEntry, encodeEntry } from './log-entry-codec.js';

function registration(): LogEntry {
  const job = canonicalizeJob({ ID: 'web', Name: 'web', Type: 'service', Datacenters: ['dc1'], Meta: { owner: 'ünïcode ✓', empty: '' }, TaskGroups: [{ Name: 'g', Count: 2, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true', args: ['-x', '\ud800'] }, Resources: { CPU: 20, MemoryMB: 16 } }] }] });
  return { Type: 'JobRegister', Job: job, Eval: mockEval('e1', 'web'), SubmitTimeNs: 1_700_000_000_123_456_789 };
}

test('an entry JSON carries exactly is written as JSON and decodes to the copy taken when it was encoded', () => {
  const entry = registration();
  const { bytes, decoded } = encodeEntry(entry);
  assert.equal(bytes[0], '{'.charCodeAt(0));
  const back = decodeEntry(bytes);
  assert.deepEqual(back, decoded);
  // The same values a msgpack round trip gives (what dev mode's log hands its FSM).
  assert.deepEqual(back, decodeMsgpack(encodeMsgpack(entry)));
  // The copy is the encoder's own: changing the entry afterwards changes neither.
  (entry as { Job: { Name: string } }).Job.Name = 'changed';
  assert.equal((decoded as { Job: { Name: string } }).Job.Name, 'web');
  assert.equal((decodeEntry(bytes) as { Job: { Name: string } }).Job.Name, 'web');
});

test('an entry with undefined, byte arrays or non-finite numbers is written as msgpack and keeps them', () => {
  const cases: unknown[] = [
    { Type: 'EvalUpsert', Evals: [{ ID: 'a', Status: undefined }] },
    { Type: 'EvalUpsert', Evals: [undefined] },
    { Type: 'JobRegister', Job: { Payload: new Uint8Array([1, 2, 3]) }, Eval: null, SubmitTimeNs: 1 },
    { Type: 'EvalUpsert', Evals: [{ ID: 'a', Score: Number.NaN, Limit: Number.POSITIVE_INFINITY }] },
  ];
  for (const entry of cases) {
    const { bytes, decoded } = encodeEntry(entry as LogEntry);
    assert.notEqual(bytes[0], '{'.charCodeAt(0), JSON.stringify(entry));
    const back = decodeEntry(bytes);
    assert.deepEqual(back, decodeMsgpack(encodeMsgpack(entry)));
    assert.deepEqual(back, decoded);
  }
});

test('entries written as msgpack before JSON was used still decode', () => {
  const entry = registration();
  assert.deepEqual(decodeEntry(encodeMsgpack(entry)), decodeMsgpack(encodeMsgpack(entry)));
});

test('an entry that is not plain data is still encoded, with no copy to apply', () => {
  const { bytes, decoded } = encodeEntry({ Type: 'EvalUpsert', Evals: [new Map([['a', 1]])] } as unknown as LogEntry);
  assert.equal(decoded, null);
  assert.equal(decodeEntry(bytes).Type, 'EvalUpsert');
});
