// A docker task's output while its client agent is down: a server on 127.0.0.91 and a
// client-only agent on .92 with a private Docker engine. The client stops (its container runs
// on), the container prints more, the client starts again and reattaches: `alloc logs` has
// every line once, those printed while the client was down included. It runs on the engine of
// docker-walk.test.ts, so that no two test engines start at once.
import assert from 'node:assert/strict';
import { importBusyboxImage, type TestEngine } from '../unit/docker-test-engine.js';
import { Cluster, http, waitFor } from './cluster-harness.js';
import { Clients, jobAllocs, waitNodes } from './client-harness.js';

const IMAGE = 'nomad-restart/busybox:1';

export async function dockerOutputWhileClientDown(engine: TestEngine): Promise<void> {
  const cluster = await Cluster.create(1, { base: 91, bootstrapExpect: 1 });
  const clients = new Clients(cluster);
  try {
    await importBusyboxImage(engine, IMAGE);
    await cluster.startAll();
    const server = cluster.specs[0]!;
    await clients.create('dc', '127.0.0.92', `plugin "docker" {\n  config {\n    endpoint = "unix://${engine.socketPath}"\n  }\n}\n`);
    await clients.start('dc').waitForOutput(/node registration complete/, 30_000);
    await waitNodes(server.addr, ['dc'], 'ready');
    const job = {
      Job: {
        ID: 'counter',
        Name: 'counter',
        Type: 'service',
        Datacenters: ['dc1'],
        TaskGroups: [
          {
            Name: 'g',
            Count: 1,
            Tasks: [
              {
                Name: 't',
                Driver: 'docker',
                Config: { image: IMAGE, network_mode: 'none', command: '/bin/sh', args: ['-c', 'i=0; while true; do i=$((i+1)); echo n-$i; sleep 0.2; done'] },
                Resources: { CPU: 50, MemoryMB: 32 },
              },
            ],
          },
        ],
      },
    };
    assert.equal((await http(server.addr, 'PUT', '/v1/jobs', job)).status, 200);
    const alloc = await waitFor('the container running', async () => (await jobAllocs(server.addr, 'counter')).find((a) => a.ClientStatus === 'running'), 60_000);
    const logs = async (): Promise<number[]> => {
      const r = await http<string>(server.addr, 'GET', `/v1/client/fs/logs/${alloc.ID}?task=t&type=stdout&plain=true`);
      assert.equal(r.status, 200, r.text);
      return String(r.body)
        .split('\n')
        .filter((l) => l.startsWith('n-'))
        .map((l) => Number(l.slice(2)));
    };
    await waitFor('a few lines collected', async () => ((await logs()).length >= 3 ? true : undefined), 20_000);

    await clients.stop('dc');
    const atStop = (await logs().catch(() => [])).length;
    // The container goes on printing: wait until the engine holds lines past what was collected.
    const containers = await engine.client.json<Array<{ Id: string; Image: string }>>('GET', '/containers/json');
    const container = containers.find((c) => c.Image === IMAGE);
    assert.ok(container, 'the container outlives its client');
    const engineLines = async (): Promise<number> => {
      const res = await engine.client.stream('GET', `/containers/${container.Id}/logs`, { query: { stdout: 1 } });
      let text = '';
      for await (const chunk of res) text += (chunk as Buffer).toString("latin1");
      return (text.match(/n-\d+/g) ?? []).length;
    };
    await waitFor('the container printed more while its client was down', async () => ((await engineLines()) >= Math.max(atStop, 3) + 10 ? true : undefined), 20_000);

    await clients.start('dc').waitForOutput(/restored allocations allocs=1/, 30_000);
    const after = await waitFor(
      'alloc logs caught up past the lines printed while the client was down',
      async () => {
        const n = await logs();
        return n.length >= atStop + 12 ? n : undefined;
      },
      30_000,
    );
    // Every line once, in order, none missing: the gap was filled from the engine.
    assert.deepEqual(after, after.map((_, i) => i + 1));
  } finally {
    await clients.shutdown();
    await cluster.shutdown();
  }
}
