import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalSink } from './interval-sink.js';
import { goTimestamp, metricsSummary } from './metrics-json.js';

test('the displayed interval is the last finished one, with go-metrics figures', () => {
  let now = 1_000_000_000_000; // on a 10 s boundary
  const sink = new IntervalSink(10_000, 60_000, () => now);
  sink.incrCounter('nomad.nomad.rpc.request', 1, { host: 'vm' });
  sink.incrCounter('nomad.nomad.rpc.request', 1, { host: 'vm' });
  sink.addSample('nomad.nomad.plan.evaluate', 2, undefined);
  sink.addSample('nomad.nomad.plan.evaluate', 4, undefined);
  sink.setGauge('nomad.nomad.plan.queue_depth', 3, undefined);
  sink.setGauge('nomad.nomad.plan.queue_depth', 5, undefined);
  // While the first interval is the only one, it is the one shown.
  assert.equal(metricsSummary(sink.displayed()).Counters[0]!.Count, 2);
  now += 10_000;
  sink.incrCounter('nomad.nomad.rpc.request', 7, { host: 'vm' });
  const j = metricsSummary(sink.displayed());
  assert.equal(j.Timestamp, goTimestamp(1_000_000_000_000));
  assert.deepEqual(j.Counters, [{ Count: 2, Labels: { host: 'vm' }, Max: 1, Mean: 1, Min: 1, Name: 'nomad.nomad.rpc.request', Rate: 0.2, Stddev: 0, Sum: 2 }]);
  const s = j.Samples[0]!;
  assert.equal(s.Name, 'nomad.nomad.plan.evaluate');
  assert.deepEqual([s.Count, s.Sum, s.Min, s.Max, s.Mean], [2, 6, 2, 4, 3]);
  assert.ok(Math.abs(s.Stddev - Math.SQRT2) < 1e-12);
  assert.deepEqual(j.Gauges, [{ Labels: {}, Name: 'nomad.nomad.plan.queue_depth', Value: 5 }]);
  assert.deepEqual(Object.keys(j), ['Counters', 'Gauges', 'Points', 'Samples', 'Timestamp']);
});

test('series differ by labels; intervals beyond the retention are dropped', () => {
  let now = 0;
  const sink = new IntervalSink(1_000, 3_000, () => now);
  for (let i = 0; i < 10; i++) {
    sink.setGauge('g', i, { cpu: `cpu${i % 2}` });
    now += 1_000;
  }
  assert.equal(sink.data().length, 3);
  const shown = metricsSummary(sink.displayed()).Gauges;
  assert.deepEqual(shown.map((g) => [g.Labels['cpu'], g.Value]), [['cpu1', 9]]);
});

test('go timestamps read as Go prints a UTC time', () => {
  assert.equal(goTimestamp(Date.UTC(2026, 10, 21, 17, 39, 30, 400)), '2026-11-21 17:39:30 +0000 UTC');
});

test('an interval longer than the retention is refused', () => {
  assert.throws(() => new IntervalSink(10_000, 5_000), /interval/);
});

test('the SIGUSR1 dump prints every retained interval, the current one last, as go-metrics does', async () => {
  const { dumpIntervals } = await import('./metrics-dump.js');
  let now = 1_000_000_000_000;
  const sink = new IntervalSink(10_000, 60_000, () => now);
  sink.setGauge('nomad.nomad.plan.queue_depth', 2, { host: 'vm' });
  sink.incrCounter('nomad.raft.apply', 1, undefined);
  sink.addSample('nomad.raft.commitTime', 1, undefined);
  sink.addSample('nomad.raft.commitTime', 3, undefined);
  now += 10_000;
  sink.incrCounter('nomad.raft.apply', 5, undefined);
  const text = dumpIntervals(sink.data());
  const at = goTimestamp(1_000_000_000_000);
  const later = goTimestamp(1_000_000_010_000);
  assert.equal(
    text,
    [
      `[${at}][G] 'nomad.nomad.plan.queue_depth;host=vm': 2.000`,
      `[${at}][C] 'nomad.raft.apply': Count: 1 Sum: 1.000`,
      `[${at}][S] 'nomad.raft.commitTime': Count: 2 Min: 1.000 Mean: 2.000 Max: 3.000 Stddev: 1.414 Sum: 4.000`,
      `[${later}][C] 'nomad.raft.apply': Count: 1 Sum: 5.000`,
      '',
    ].join('\n'),
  );
});
