import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrometheusSink, prometheusName } from './prometheus-sink.js';
import { prometheusText } from './prometheus-text.js';

test('families print HELP and TYPE, labels sorted and escaped, summaries with quantiles', () => {
  let now = 0;
  const sink = new PrometheusSink(60_000, () => now);
  sink.setGauge('nomad.client.host.cpu.user', 12.5, { node_id: 'n1', cpu: 'cpu0' });
  sink.incrCounter('nomad.nomad.rpc.request', 1, undefined);
  sink.incrCounter('nomad.nomad.rpc.request', 2, undefined);
  for (let i = 1; i <= 100; i++) sink.addSample('nomad.raft.commitTime', i, { host: 'a"b' });
  sink.setGauge('nomad.nomad.job_summary.running', 1, { job: 'line\nbreak\\' });
  const text = prometheusText(sink.collect());
  assert.equal(
    text,
    [
      '# HELP nomad_client_host_cpu_user nomad_client_host_cpu_user',
      '# TYPE nomad_client_host_cpu_user gauge',
      'nomad_client_host_cpu_user{cpu="cpu0",node_id="n1"} 12.5',
      '# HELP nomad_nomad_job_summary_running nomad_nomad_job_summary_running',
      '# TYPE nomad_nomad_job_summary_running gauge',
      'nomad_nomad_job_summary_running{job="line\\nbreak\\\\"} 1',
      '# HELP nomad_nomad_rpc_request nomad_nomad_rpc_request',
      '# TYPE nomad_nomad_rpc_request counter',
      'nomad_nomad_rpc_request 3',
      '# HELP nomad_raft_commitTime nomad_raft_commitTime',
      '# TYPE nomad_raft_commitTime summary',
      'nomad_raft_commitTime{host="a\\"b",quantile="0.5"} 50',
      'nomad_raft_commitTime{host="a\\"b",quantile="0.9"} 90',
      'nomad_raft_commitTime{host="a\\"b",quantile="0.99"} 99',
      'nomad_raft_commitTime_sum{host="a\\"b"} 5050',
      'nomad_raft_commitTime_count{host="a\\"b"} 100',
      '',
    ].join('\n'),
  );
});

test('quantiles go to NaN once the window passed, sum and count stay; idle series expire', () => {
  let now = 0;
  const sink = new PrometheusSink(60_000, () => now);
  sink.addSample('nomad.nomad.plan.submit', 4, undefined);
  sink.setGauge('nomad.client.allocs.memory.rss', 1, { alloc_id: 'a' });
  now = 30_000;
  sink.setGauge('nomad.client.allocs.memory.rss', 2, { alloc_id: 'b' });
  const text = prometheusText(sink.collect());
  assert.match(text, /nomad_nomad_plan_submit\{quantile="0\.5"\} NaN/);
  assert.match(text, /nomad_nomad_plan_submit_sum 4\nnomad_nomad_plan_submit_count 1/);
  now = 61_000;
  const later = prometheusText(sink.collect());
  assert.doesNotMatch(later, /plan_submit/);
  assert.doesNotMatch(later, /alloc_id="a"/);
  assert.match(later, /nomad_client_allocs_memory_rss\{alloc_id="b"\} 2/);
});

test('a name reported as two types keeps its first type', () => {
  const sink = new PrometheusSink(60_000, () => 0);
  sink.setGauge('x.y', 1, undefined);
  sink.incrCounter('x.y', 5, undefined);
  assert.equal(prometheusText(sink.collect()), '# HELP x_y x_y\n# TYPE x_y gauge\nx_y 1\n');
});

test('names flatten as go-metrics flattens them', () => {
  assert.equal(prometheusName('nomad.nomad.broker._core.ready'), 'nomad_nomad_broker__core_ready');
  assert.equal(prometheusName('nomad.raft.replication.appendEntries.rpc'), 'nomad_raft_replication_appendEntries_rpc');
  assert.equal(prometheusName('nomad.a-b/c d'), 'nomad_a_b_c_d');
});
