import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordingMetrics } from '../../test/unit/recording-metrics.js';
import { meterEndpoint } from './rpc-metrics.js';

class Endpoint {
  calls = 0;
  async read(x: number): Promise<number> {
    this.calls++;
    return x * 2;
  }
  async write(): Promise<void> {
    throw new Error('refused');
  }
  other(): string {
    return 'untouched';
  }
}

test('metered endpoints count requests, queries and errors and time each call under its name', async () => {
  const m = new RecordingMetrics();
  const target = new Endpoint();
  const e = meterEndpoint(target, { read: { name: 'nomad.job.get_job', query: true }, write: { name: 'nomad.job.register' } }, m);
  assert.equal(await e.read(21), 42);
  await assert.rejects(e.write(), /refused/);
  assert.equal(e.other(), 'untouched');
  assert.equal(target.calls, 1);
  assert.deepEqual(
    m.seen.filter((r) => r.kind === 'counter').map((r) => r.name),
    ['nomad.rpc.request', 'nomad.rpc.query', 'nomad.rpc.request', 'nomad.rpc.request_error'],
  );
  assert.deepEqual(m.named('nomad.job.get_job', 'sample').length, 1);
  assert.deepEqual(m.named('nomad.job.register', 'sample').length, 1, 'a failed call is timed too');
  assert.ok(m.named('nomad.job.get_job')[0]!.value > 0);
});

test('a table naming a method the endpoint lacks is refused at wiring time', () => {
  assert.throws(() => meterEndpoint(new Endpoint(), { nope: { name: 'x' } }, new RecordingMetrics()), /no method nope/);
});
