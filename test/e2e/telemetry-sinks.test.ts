// The telemetry block acted on by a real agent: StatsD over UDP receives what the agent
// measures, prefix_filter drops what it blocks from every sink, disable_hostname removes the
// host label, and /v1/metrics shows the in-memory sink's last interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { getJson, startDevAgent } from './harness.js';

interface MetricsJson {
  Gauges: Array<{ Name: string; Labels: Record<string, string> }>;
  Samples: Array<{ Name: string; Labels: Record<string, string>; Count: number }>;
}

test('statsd_address, prefix_filter and disable_hostname reach every sink; SIGUSR1 dumps the intervals', { timeout: 90_000 }, async () => {
  const sock = createSocket('udp4');
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  sock.on('message', (b) => {
    lines.push(...b.toString('utf8').split('\n').filter((l) => l !== ''));
    wake?.();
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = (sock.address() as AddressInfo).port;
  const agent = await startDevAgent({
    extraConfig: `telemetry {
  collection_interval           = "1s"
  in_memory_collection_interval = "1s"
  in_memory_retention_period    = "10s"
  disable_hostname              = true
  prometheus_metrics            = false
  statsd_address                = "127.0.0.1:${port}"
  prefix_filter                 = ["-nomad.runtime", "+nomad.runtime.alloc_bytes", "-nomad.client.host"]
}
`,
  });
  try {
    await agent.waitForOutput(/Nomad agent started/);
    // Node gauges carry their labels' values in the name, as go-metrics' StatsD sink writes them.
    const nodeGauge = /^nomad\.client\.allocations\.running\.[0-9a-f-]{36}\.dc1\.none\.ready\.eligible:0\|g$/;
    // Wait (bounded) for the server's gauges, a node registration's timing and the node's gauges.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`StatsD lines so far: ${lines.slice(-50).join(' | ')}`)), 30_000);
      const check = (): void => {
        if (lines.some((l) => l.startsWith('nomad.nomad.broker.total_ready:')) && lines.some((l) => /^nomad\.nomad\.client\.register:[\d.]+\|ms$/.test(l)) && lines.some((l) => nodeGauge.test(l))) {
          clearTimeout(timer);
          resolve();
        }
      };
      wake = check;
      check();
    });
    assert.ok(lines.some((l) => /^nomad\.runtime\.alloc_bytes:\d+\|g$/.test(l)), 'the longer + rule lets alloc_bytes through');
    assert.ok(!lines.some((l) => l.startsWith('nomad.runtime.sys_bytes') || l.startsWith('nomad.client.host.')), 'blocked prefixes never leave');

    const deadline = Date.now() + 30_000;
    let shown: MetricsJson | null = null;
    while (Date.now() < deadline) {
      shown = (await getJson<MetricsJson>(agent.addr, '/v1/metrics')).body;
      if (shown.Gauges.some((g) => g.Name === 'nomad.nomad.broker.total_ready')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(shown?.Gauges.some((g) => g.Name === 'nomad.nomad.broker.total_ready'));
    assert.ok(shown!.Gauges.every((g) => !('host' in g.Labels)), 'no host label with disable_hostname');
    assert.ok(shown!.Gauges.every((g) => !g.Name.startsWith('nomad.runtime.') || g.Name === 'nomad.runtime.alloc_bytes'));
    // Prometheus is off in this agent (a dev agent's default turned off): the exposition says so.
    const prom = await fetch(`${agent.addr}/v1/metrics?format=prometheus`);
    assert.equal(prom.status, 200);
    assert.match(await prom.text(), /^# prometheus_metrics is not enabled/);
    // SIGUSR1 dumps the finished in-memory intervals to stderr, as Nomad's agent does.
    agent.child.kill('SIGUSR1');
    await agent.waitForOutput(/\]\[G\] 'nomad\.nomad\.broker\.total_ready': \d+\.000\n/, 10_000);
    // A client may register more than once (a fingerprint that changed): the count is not the point.
    assert.match(agent.output(), /\]\[S\] 'nomad\.nomad\.client\.register': Count: \d+ (Min: [\d.]+ Mean: [\d.]+ Max: [\d.]+ Stddev: [\d.]+ )?Sum: [\d.]+\n/);
  } finally {
    await agent.stop();
    agent.cleanup();
    sock.close();
  }
});
