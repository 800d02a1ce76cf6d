import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { checkSinkAddress, parseHostPort } from './sink-address.js';
import { StatsdSink } from './statsd-sink.js';

/** A UDP receiver that resolves once `count` lines arrived (bounded). */
async function udpReceiver(): Promise<{ port: number; lines: (count: number) => Promise<string[]>; close: () => void }> {
  const sock = createSocket('udp4');
  const got: string[] = [];
  let waiter: (() => void) | null = null;
  sock.on('message', (buf) => {
    got.push(...buf.toString('utf8').split('\n').filter((l) => l !== ''));
    waiter?.();
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return {
    port: (sock.address() as AddressInfo).port,
    lines: (count) => waitFor(got, count, (w) => (waiter = w)),
    close: () => sock.close(),
  };
}

function waitFor(got: string[], count: number, setWaiter: (w: () => void) => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} lines: ${got.join(' | ')}`)), 5_000);
    const check = (): void => {
      if (got.length >= count) {
        clearTimeout(timer);
        resolve(got.slice());
      }
    };
    setWaiter(check);
    check();
  });
}

test('statsd: label values join the name, types as |g |c |ms', async () => {
  const rx = await udpReceiver();
  const sink = new StatsdSink({ flavor: 'statsd', address: `127.0.0.1:${rx.port}`, onError: (m) => assert.fail(m) });
  sink.setGauge('nomad.client.host.cpu.user', 12.5, { node_id: 'n1', cpu: 'cpu0' });
  sink.incrCounter('nomad.nomad.rpc.request', 2, undefined);
  sink.addSample('nomad.raft.commitTime', 0.75, { host: 'vm' });
  const lines = await rx.lines(3);
  await sink.close();
  rx.close();
  assert.deepEqual(lines, ['nomad.client.host.cpu.user.n1.cpu0:12.5|g', 'nomad.nomad.rpc.request:2|c', 'nomad.raft.commitTime.vm:0.75|ms']);
});

test('datadog: labels and datadog_tags become tags', async () => {
  const rx = await udpReceiver();
  const sink = new StatsdSink({ flavor: 'datadog', address: `127.0.0.1:${rx.port}`, globalTags: ['env:test'], onError: (m) => assert.fail(m) });
  sink.setGauge('nomad.nomad.job_summary.running', 3, { job: 'web', task_group: 'g' });
  const [line] = await rx.lines(1);
  await sink.close();
  rx.close();
  assert.equal(line, 'nomad.nomad.job_summary.running:3|g|#env:test,job:web,task_group:g');
});

test('statsite: the same lines over TCP', async () => {
  const got: string[] = [];
  let waiter: (() => void) | null = null;
  const server = createServer((c) => {
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString('utf8');
      const parts = buf.split('\n');
      buf = parts.pop()!;
      got.push(...parts.filter((l) => l !== ''));
      waiter?.();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const sink = new StatsdSink({ flavor: 'statsite', address: `127.0.0.1:${port}`, onError: (m) => assert.fail(m) });
  sink.incrCounter('nomad.raft.apply', 1, undefined);
  const lines = await waitFor(got, 1, (w) => (waiter = w));
  await sink.close();
  server.close();
  assert.deepEqual(lines, ['nomad.raft.apply:1|c']);
});

test('addresses must be host:port', () => {
  assert.deepEqual(parseHostPort('[::1]:8125'), { host: '::1', port: 8125 });
  assert.deepEqual(parseHostPort('statsd.local:8125'), { host: 'statsd.local', port: 8125 });
  assert.equal(parseHostPort('statsd.local'), null);
  assert.equal(parseHostPort('h:70000'), null);
  assert.match(checkSinkAddress('nope')!, /want "host:port"/);
  assert.equal(checkSinkAddress(''), null);
});
