// Search on a real dev agent after the real CLI ran a job: fuzzy search finds the job by a
// piece of its name and expands it into its group, task and command; prefix search finds IDs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevAgent, runNomad, type AgentProcess } from './harness.js';
import { sleepJob } from './job-files.js';

let agent: AgentProcess;

before(async () => {
  agent = await startDevAgent({ args: ['-log-level', 'WARN'], extraConfig: 'server {\n  search {\n    min_term_length = 3\n  }\n}\n' });
  await agent.waitForOutput(/Nomad agent started/, 30_000);
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
});

async function post(path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(agent.addr + path, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

test('fuzzy and prefix search over what the CLI registered, bounded by the agent\'s search block', async () => {
  const file = join(agent.dir, 'billing.nomad');
  writeFileSync(file, sleepJob('billing-api', 20, 16));
  const run = await runNomad(['job', 'run', '-detach', file], agent.addr);
  assert.equal(run.code, 0, run.stderr);

  const fuzzy = await post('/v1/search/fuzzy', { Text: 'ling', Context: 'all' });
  assert.equal(fuzzy.status, 200, fuzzy.text);
  const { Matches } = JSON.parse(fuzzy.text);
  assert.deepEqual(Matches.jobs, [{ ID: 'billing-api', Scope: ['default'] }]);
  const sleep = await post('/v1/search/fuzzy', { Text: 'sleep', Context: 'jobs' });
  assert.deepEqual(JSON.parse(sleep.text).Matches.commands, [{ ID: '/bin/sleep', Scope: ['default', 'billing-api', 'g', 't'] }]);
  // The agent's min_term_length is 3.
  const short = await post('/v1/search/fuzzy', { Text: 'bi' });
  assert.deepEqual([short.status, short.text], [400, 'fuzzy search query must be at least 3 characters, got 2']);

  const prefix = await post('/v1/search', { Prefix: 'bill', Context: 'jobs' });
  assert.equal(prefix.status, 200);
  assert.deepEqual(JSON.parse(prefix.text).Matches, { jobs: ['billing-api'] });
});
