// The event stream of a real dev agent while the real CLI runs and stops a job: the subscriber
// sees the job registered, its evaluation, the allocation placed and then running, and the stop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevAgent, runNomad, getJson, type AgentProcess } from './harness.js';
import { sleepJob } from './job-files.js';
import { createClient, type EventFrame, type StreamedEvent } from '../../src/api/index.js';

let agent: AgentProcess;

before(async () => {
  agent = await startDevAgent({ args: ['-log-level', 'INFO'] });
  await agent.waitForOutput(/client: node registration complete/, 30_000);
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
});

/** Reads frames until every wanted event was seen (bounded); returns all events seen. */
async function collect(frames: AsyncIterator<EventFrame>, done: (seen: StreamedEvent[]) => boolean, timeoutMs = 60_000): Promise<StreamedEvent[]> {
  const seen: StreamedEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done(seen)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`events not seen in time; got ${seen.map((e) => `${e.Topic}/${e.Type}`).join(', ')}`);
    const next = await Promise.race([frames.next(), new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no frame within ${left} ms; got ${seen.map((e) => `${e.Topic}/${e.Type}`).join(', ')}`)), left))]);
    if (next.done) throw new Error('the stream ended');
    seen.push(...next.value.Events);
  }
  return seen;
}

test('job run and job stop through the CLI show up on the event stream, filtered by the job', async () => {
  const client = createClient({ address: agent.addr });
  const ac = new AbortController();
  const frames = client.events.stream({ topics: ['Job:evented', 'Evaluation:evented', 'Allocation:evented', 'Node'], signal: ac.signal })[Symbol.asyncIterator]();
  const file = join(agent.dir, 'evented.nomad');
  writeFileSync(file, sleepJob('evented', 50, 32));
  // The backlog comes first: the node registered at start-up is in the server's buffer.
  const run = runNomad(['job', 'run', '-detach', file], agent.addr);
  const seen = await collect(frames, (s) => s.some((e) => e.Topic === 'Allocation' && (e.Payload.Allocation as { ClientStatus: string }).ClientStatus === 'running'));
  assert.equal((await run).code, 0);
  const kinds = new Set(seen.map((e) => `${e.Topic}/${e.Type}`));
  for (const k of ['Node/NodeRegistration', 'Job/JobRegistered', 'Evaluation/JobRegistered', 'Allocation/PlanResult', 'Allocation/AllocationUpdated']) assert.ok(kinds.has(k), `${k} in ${[...kinds].join(', ')}`);
  // Nothing of other jobs, and allocation events carry no job.
  for (const e of seen.filter((x) => x.Topic !== 'Node')) assert.ok(e.Key === 'evented' || e.FilterKeys?.includes('evented'), JSON.stringify(e).slice(0, 200));
  for (const e of seen.filter((x) => x.Topic === 'Allocation')) assert.equal((e.Payload.Allocation as { Job: unknown }).Job, null);
  // Frames come in index order.
  const indexes = seen.map((e) => e.Index);
  assert.deepEqual(indexes, [...indexes].sort((a, b) => a - b));

  const stop = await runNomad(['job', 'stop', '-detach', 'evented'], agent.addr);
  assert.equal(stop.code, 0, stop.stderr);
  const after = await collect(frames, (s) => s.some((e) => e.Type === 'JobDeregistered' && e.Topic === 'Job'));
  const job = after.find((e) => e.Type === 'JobDeregistered' && e.Topic === 'Job')!;
  assert.equal((job.Payload.Job as { Stop: boolean }).Stop, true);
  ac.abort();
  client.close();
});

test('a bad topic is refused with 400 before the stream starts', async () => {
  const r = await getJson<string>(agent.addr, '/v1/event/stream?topic=Jobs');
  assert.equal(r.status, 400);
  assert.match(r.body, /^Invalid topic query: unknown topic "Jobs"/);
});
