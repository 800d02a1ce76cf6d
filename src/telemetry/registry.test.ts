import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricLabels } from '../structs/metrics.js';
import { parsePrefixRules, PrefixFilter } from './prefix-filter.js';
import { MetricsRegistry, type RegistryOptions } from './registry.js';
import type { MetricSink } from './sink.js';

class Recorder implements MetricSink {
  readonly seen: Array<[string, string, number, MetricLabels | undefined]> = [];
  setGauge(n: string, v: number, l: MetricLabels | undefined): void {
    this.seen.push(['gauge', n, v, l]);
  }
  incrCounter(n: string, v: number, l: MetricLabels | undefined): void {
    this.seen.push(['counter', n, v, l]);
  }
  addSample(n: string, v: number, l: MetricLabels | undefined): void {
    this.seen.push(['sample', n, v, l]);
  }
}

function registry(over: Partial<RegistryOptions>): { r: MetricsRegistry; rec: Recorder } {
  const rec = new Recorder();
  const r = new MetricsRegistry({ serviceName: 'nomad', hostname: 'vm', hostLabel: true, hostPrefixOnGauges: false, filter: null, sinks: [rec], ...over });
  return { r, rec };
}

test('names get the service prefix and every metric the host label', () => {
  const { r, rec } = registry({});
  r.incrCounter('nomad.rpc.request');
  r.setGauge('client.host.cpu.user', 3, { cpu: 'cpu0' });
  r.addSample('nomad.fsm.register_job', 0.5);
  assert.deepEqual(rec.seen, [
    ['counter', 'nomad.nomad.rpc.request', 1, { host: 'vm' }],
    ['gauge', 'nomad.client.host.cpu.user', 3, { cpu: 'cpu0', host: 'vm' }],
    ['sample', 'nomad.nomad.fsm.register_job', 0.5, { host: 'vm' }],
  ]);
});

test('without the host label, gauge names may carry the hostname (use_node_name with disable_hostname)', () => {
  const { r, rec } = registry({ hostLabel: false, hostPrefixOnGauges: true, hostname: 'node-1' });
  r.setGauge('runtime.alloc_bytes', 7);
  r.incrCounter('raft.apply', 2);
  assert.deepEqual(rec.seen, [
    ['gauge', 'nomad.node-1.runtime.alloc_bytes', 7, undefined],
    ['counter', 'nomad.raft.apply', 2, undefined],
  ]);
});

test('the prefix filter sees full names and drops what it blocks', () => {
  const rules = parsePrefixRules(['-nomad.raft', '+nomad.raft.apply']);
  assert.ok(!('error' in rules));
  const { r, rec } = registry({ filter: new PrefixFilter(rules, true) });
  r.incrCounter('raft.apply');
  r.addSample('raft.commitTime', 1);
  r.setGauge('raft.lastIndex', 9);
  r.setGauge('nomad.plan.queue_depth', 0);
  assert.deepEqual(rec.seen.map((s) => s[1]), ['nomad.raft.apply', 'nomad.nomad.plan.queue_depth']);
});

test('measureSince samples the milliseconds on the registry clock', () => {
  let now = 100;
  const { r, rec } = registry({ hostLabel: false, nowMs: () => now });
  const start = r.now();
  now = 112.5;
  r.measureSince('nomad.plan.apply', start);
  assert.deepEqual(rec.seen, [['sample', 'nomad.nomad.plan.apply', 12.5, undefined]]);
});
