// Seeded fuzzing of a real dev agent process: job JSON, HCL job files, query parameters and raw
// HTTP requests, most of them bad. For every input: an answer within a bound; a 4xx with a message
// for bad input (a 5xx only where Nomad answers one); anything registered reads back valid; the
// health route answers meanwhile; the agent's memory stays bounded. A failure names the seed,
// the case and the input, and FUZZ_SEED=s FUZZ_CASE=i replays that one case.
// FUZZ_ITERATIONS raises the number of cases (default: a CI-sized run).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { startDevAgent, type AgentProcess } from './harness.js';
import { Picker, mutatedHcl, mutatedJob, mutatedQuery, mutatedRawRequest, rng } from './fuzz-inputs.js';
import { decodeApiBody } from '../../src/structs/api-decode.js';
import { JOB_REGISTER_REQUEST } from '../../src/structs/job-shape.js';
import { validateJob } from '../../src/structs/validate.js';
import type { Job } from '../../src/structs/job.js';

const SEED = Number(process.env.FUZZ_SEED ?? 1);
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 2_000);
const ONLY_CASE = process.env.FUZZ_CASE === undefined ? null : Number(process.env.FUZZ_CASE);
const CONCURRENCY = 6;
const ANSWER_BOUND_MS = 10_000;
const HEALTH_BOUND_MS = 3_000;
const RSS_BOUND_BYTES = 1.5 * 1024 ** 3;
const RSS_GROWTH_BOUND_BYTES = 512 * 1024 ** 2;

let agent: AgentProcess;
before(async () => {
  agent = await startDevAgent();
  await agent.waitForOutput(/client: node registration complete/);
});
after(() => agent?.cleanup());

interface Answer {
  status: number;
  text: string;
}

/** Answers that may carry a 5xx: the ones Nomad gives for these inputs too. */
function allowedServerError(a: Answer): boolean {
  return (a.status === 500 && a.text === 'No path to region') || (a.status === 501 && a.text === 'Unsupported transfer encoding');
}

/** What is wrong with an answer to input that may be bad, or null. */
function answerProblem(a: Answer): string | null {
  if (a.status >= 500 && !allowedServerError(a)) return `answered ${a.status}: ${a.text.slice(0, 500)}`;
  if (a.status >= 400 && a.text.trim() === '') return `answered ${a.status} without saying why`;
  return null;
}

async function send(method: string, path: string, body?: string): Promise<Answer> {
  const res = await fetch(agent.addr + path, { method, body, signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
  return { status: res.status, text: await res.text() };
}

/** Raw bytes in, the status and body out; a close without a status line is a problem. */
function rawExchange(request: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(agent.httpPort, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${ANSWER_BOUND_MS} ms`));
    }, ANSWER_BOUND_MS);
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      // The first answer: its body by Content-Length (a request cut short may draw a second one).
      const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(data);
      const length = m ? /^content-length: (\d+)$/im.exec(m[2]!) : null;
      if (m) resolve({ status: Number(m[1]), text: length ? m[3]!.slice(0, Number(length[1])) : m[3]!.replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, '') });
      else reject(new Error(`the connection closed without an answer (${JSON.stringify(data.slice(0, 100))})`));
    });
    socket.write(request, 'latin1', () => socket.end());
  });
}

/** The last value a JSON object gives a field, matched regardless of case as Go matches it. */
function field(o: unknown, name: string): unknown {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
  let v: unknown;
  for (const [k, x] of Object.entries(o)) if (k === name || k.toLowerCase() === name.toLowerCase()) v = x;
  return v;
}

/** A registered job must read back whole: Go's types, valid, in this region. */
async function checkStored(input: Record<string, unknown>): Promise<string | null> {
  const rawId = field(input, 'ID');
  if (typeof rawId !== 'string') return `registered a job whose ID is ${JSON.stringify(rawId)}`;
  const id = rawId.replace(/\p{Surrogate}/gu, '\ufffd');
  const got = await send('GET', `/v1/job/${encodeURIComponent(id)}`);
  if (got.status !== 200) return `registered job ${JSON.stringify(id)} reads back as ${got.status}: ${got.text.slice(0, 200)}`;
  const stored = JSON.parse(got.text) as Job;
  try {
    decodeApiBody({ Job: stored }, JOB_REGISTER_REQUEST);
  } catch (e) {
    return `stored job has a field of the wrong type: ${(e as Error).message}`;
  }
  const errors = validateJob(stored);
  if (errors.length > 0) return `stored job is invalid: ${errors.join('; ')}`;
  if (stored.Region !== 'global' || stored.Namespace !== 'default') return `stored job is in ${stored.Region}/${stored.Namespace}`;
  const del = await send('DELETE', `/v1/job/${encodeURIComponent(id)}?purge=true`);
  return del.status === 200 ? null : `registered job ${JSON.stringify(id)} cannot be deleted: ${del.status} ${del.text}`;
}

/** Count values anywhere in the task groups, so that no huge count gets scheduled. */
function largestCount(job: unknown): number {
  const groups = field(job, 'TaskGroups');
  if (!Array.isArray(groups)) return 0;
  return Math.max(0, ...groups.map((g) => (typeof field(g, 'Count') === 'number' ? (field(g, 'Count') as number) : 0)));
}

async function runCase(i: number): Promise<{ kind: string; input: string; problem: string | null }> {
  const p = new Picker(rng(SEED * 1_000_003 + i));
  const kind = p.pick(['job', 'job', 'job', 'hcl', 'hcl', 'query', 'raw'] as const);
  if (kind === 'job') {
    const job = mutatedJob(p, `fuzz-${i}`);
    const id = typeof field(job, 'ID') === 'string' ? (field(job, 'ID') as string) : `fuzz-${i}`;
    let route = p.pick(['register', 'register', 'register', 'validate', 'plan'] as const);
    if (route !== 'validate' && largestCount(job) > 50) route = 'validate';
    const body = JSON.stringify({ Job: job });
    const input = `${route} ${body}`;
    const path = route === 'register' ? '/v1/jobs' : route === 'validate' ? '/v1/validate/job' : `/v1/job/${encodeURIComponent(id.replace(/\p{Surrogate}/gu, '\ufffd'))}/plan`;
    const a = await send('PUT', path, body);
    const problem = answerProblem(a) ?? (route === 'register' && a.status === 200 ? await checkStored(job) : null);
    return { kind, input, problem };
  }
  if (kind === 'hcl') {
    const hcl = mutatedHcl(p, `fuzz-hcl-${i}`);
    const a = await send('POST', '/v1/jobs/parse', JSON.stringify({ JobHCL: hcl, Canonicalize: p.chance(0.5) }));
    let problem = answerProblem(a);
    if (!problem && a.status === 200) {
      try {
        decodeApiBody({ Job: JSON.parse(a.text) }, JOB_REGISTER_REQUEST);
      } catch (e) {
        problem = `parsed job has a field of the wrong type: ${(e as Error).message}`;
      }
      if (/root:|shadow/.test(a.text)) problem = 'the parse answer holds an agent file';
    }
    return { kind, input: hcl, problem };
  }
  if (kind === 'query') {
    const path = mutatedQuery(p);
    return { kind, input: path, problem: answerProblem(await send('GET', path)) };
  }
  const request = mutatedRawRequest(p, agent.httpPort);
  const a = await rawExchange(request);
  return { kind, input: request, problem: answerProblem(a) };
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

test(`fuzzed input never breaks the agent (seed ${SEED}, ${ONLY_CASE ?? ITERATIONS} cases)`, { timeout: 15 * 60_000 }, async () => {
  const pid = agent.child.pid!;
  const rssBefore = rssBytes(pid);
  let probing = true;
  const healthLatenciesMs: number[] = [];
  const healthFailures: string[] = [];
  const prober = (async () => {
    while (probing) {
      const started = performance.now();
      try {
        const r = await fetch(`${agent.addr}/v1/agent/health`, { signal: AbortSignal.timeout(HEALTH_BOUND_MS) });
        await r.text();
        if (r.status !== 200) healthFailures.push(`health answered ${r.status}`);
      } catch (e) {
        healthFailures.push(`health did not answer: ${(e as Error).message}`);
      }
      healthLatenciesMs.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const cases = ONLY_CASE !== null ? [ONLY_CASE] : Array.from({ length: ITERATIONS }, (_, i) => i);
  const failures: string[] = [];
  const counts: Record<string, number> = {};
  const timesMs: Record<string, number> = {};
  let nextCase = 0;
  const worker = async (): Promise<void> => {
    while (nextCase < cases.length) {
      const i = cases[nextCase++]!;
      let result: Awaited<ReturnType<typeof runCase>> | null = null;
      const started = performance.now();
      try {
        result = await runCase(i);
        if (process.env.FUZZ_TIMES) timesMs[result.kind] = (timesMs[result.kind] ?? 0) + performance.now() - started;
      } catch (e) {
        // Regenerate the input to report it: the case is a pure function of seed and index.
        failures.push(`seed ${SEED} case ${i}: ${(e as Error).message}`);
        continue;
      }
      counts[result.kind] = (counts[result.kind] ?? 0) + 1;
      if (result.problem) failures.push(`seed ${SEED} case ${i} (${result.kind}): ${result.problem}\n  input: ${JSON.stringify(result.input.slice(0, 1_500))}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  probing = false;
  if (process.env.FUZZ_TIMES) console.log('fuzz time by kind (ms):', JSON.stringify(timesMs), 'worst health (ms):', Math.max(...healthLatenciesMs).toFixed(0));
  await prober;

  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failing cases; replay one with FUZZ_SEED=${SEED} FUZZ_CASE=<case>`);
  assert.ok(Object.keys(counts).length === 4 || ONLY_CASE !== null, `every kind of input was sent: ${JSON.stringify(counts)}`);
  assert.deepEqual(healthFailures.slice(0, 5), []);
  assert.ok(healthLatenciesMs.length > 0);
  const worstHealthMs = Math.max(...healthLatenciesMs);
  assert.ok(worstHealthMs < HEALTH_BOUND_MS, `health took ${worstHealthMs.toFixed(0)} ms at worst`);
  const rssAfter = rssBytes(pid);
  assert.ok(rssAfter < RSS_BOUND_BYTES, `agent RSS ${rssAfter} bytes`);
  assert.ok(rssAfter - rssBefore < RSS_GROWTH_BOUND_BYTES, `agent RSS grew from ${rssBefore} to ${rssAfter} bytes`);
  // The agent still does its job.
  assert.equal((await send('GET', '/v1/jobs')).status, 200);
});
