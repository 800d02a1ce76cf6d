// The event stream: how long from a job registered over the API to its event read by a
// subscriber of a dev agent (median of the runs), and how many events per second one subscriber
// sustains through the HTTP stream (encoding, socket and parsing included) without being dropped.
// Prints `bench events.FIGURE VALUE UNIT` lines.
import { startDevAgent, waitForState } from '../test/e2e/harness.js';
import { startInProcessApi } from '../test/unit/http-harness.js';
import { createClient } from '../src/api/index.js';
import { mockJob } from '../test/unit/state-fixtures.js';
import type { EventBatch } from '../src/state/stream-events.js';

const DELIVERIES = Number(process.env.BENCH_EVENT_DELIVERIES ?? 30);
const THROUGHPUT_EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function serviceJob(id: string): Record<string, unknown> {
  return {
    ID: id,
    Datacenters: ['dc1'],
    TaskGroups: [{ Name: 'g', Count: 0, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/sleep', args: ['1000'] }, Resources: { CPU: 50, MemoryMB: 16 } }] }],
  };
}

async function deliveryMs(): Promise<number> {
  const agent = await startDevAgent({ args: ['-log-level', 'WARN'] });
  try {
    await agent.waitForOutput(/Nomad agent started/);
    await waitForState<Array<{ Status: string }>>(agent.addr, '/v1/nodes', (n) => n.length === 1 && n[0]!.Status === 'ready');
    const client = createClient({ address: agent.addr });
    const ac = new AbortController();
    const frames = client.events.stream({ topics: ['Job'], signal: ac.signal })[Symbol.asyncIterator]();
    const times: number[] = [];
    // The first registration opens the stream's connection; it is not counted.
    for (let i = 0; i <= DELIVERIES; i++) {
      const id = `bench-${i}`;
      const t0 = performance.now();
      const reg = await fetch(`${agent.addr}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: serviceJob(id) }) });
      if (reg.status !== 200) throw new Error(`register failed: ${reg.status} ${await reg.text()}`);
      for (;;) {
        const next = await frames.next();
        if (next.done) throw new Error('event stream ended');
        if (next.value.Events.some((e) => e.Key === id && e.Type === 'JobRegistered')) break;
      }
      if (i > 0) times.push(performance.now() - t0);
    }
    ac.abort();
    client.close();
    return median(times);
  } finally {
    await agent.stop();
    agent.cleanup();
  }
}

/** Publishes as fast as one subscriber takes events, never letting it fall behind the buffer. */
async function eventsPerSecond(): Promise<number> {
  const bufferSize = 100;
  const live = await startInProcessApi({ eventBufferSize: bufferSize });
  const broker = live.server.events!;
  const client = createClient({ address: `http://127.0.0.1:${live.port}` });
  const ac = new AbortController();
  let received = 0;
  let firstAt = 0;
  const reading = (async () => {
    for await (const frame of client.events.stream({ topics: ['Job'], signal: ac.signal })) {
      if (received === 0) firstAt = performance.now();
      received += frame.Events.length;
      if (received >= THROUGHPUT_EVENTS) break;
    }
  })();
  while (broker.subscriberCount === 0) await new Promise((r) => setTimeout(r, 1));
  const job = mockJob('throughput');
  let published = 0;
  while (published < THROUGHPUT_EVENTS) {
    // Keep the reader within half the buffer: the figure is what it sustains, not what it drops.
    if (published - received < bufferSize / 2) {
      published++;
      const batch: EventBatch = { Index: published, Events: [{ Topic: 'Job', Type: 'JobRegistered', Key: job.ID, Namespace: 'default', FilterKeys: null, Index: published, object: { table: 'jobs', value: job } }] };
      broker.publish(batch);
    } else {
      await new Promise((r) => setImmediate(r));
    }
  }
  await reading;
  const elapsedS = (performance.now() - firstAt) / 1000;
  if (broker.subscriberCount !== 0 && received < THROUGHPUT_EVENTS) throw new Error('the subscriber was dropped');
  ac.abort();
  client.close();
  await live.close();
  return received / elapsedS;
}

const delivery = await deliveryMs();
console.log(`bench events.delivery_ms ${delivery.toFixed(2)} ms`);
const rate = await eventsPerSecond();
console.log(`bench events.per_second ${Math.round(rate)} events/s`);
