// The walk every driver must survive on a real dev agent, step by step as a user types it:
// run, status, alloc status (with live stats), alloc logs, scale 1 -> 2, a destructive update,
// stop. Each driver's test file supplies the job text and what its task prints.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getJson, runNomad, waitForState, type AgentProcess } from './harness.js';

/**
 * The job each walk runs: `count` allocations of group "g", task "t", updated two at a time.
 * `taskBody` is what the task block holds (driver, config, resources) and `groupBody` any
 * group-level block before the task (a network), each line indented as it stands in the file.
 */
export function walkJob(name: string, count: number, taskBody: string, groupBody = ''): string {
  return `job "${name}" {
  datacenters = ["dc1"]
  update {
    max_parallel     = 2
    min_healthy_time = "1s"
    healthy_deadline = "30s"
  }
  group "g" {
    count = ${count}
${groupBody}    task "t" {
${taskBody}    }
  }
}
`;
}

export interface AllocStub {
  ID: string;
  ClientStatus: string;
  DesiredStatus: string;
  JobVersion: number;
  TaskStates?: Record<string, { State: string; Events?: Array<{ Type: string; DisplayMessage?: string }> }>;
}

export interface WalkSpec {
  agent: AgentProcess;
  job: string;
  group: string;
  task: string;
  /** The job file for `count` allocations whose task prints `word` (a new word is a destructive change). */
  jobText(count: number, word: string): string;
  /** Extra checks on a running allocation (ports, driver attributes), run after the first start. */
  checkRunning?(allocId: string): Promise<void>;
}

const LOG_WAIT_MS = 20_000;

/** Well inside the test's own bound, so that a stuck command fails with its output. */
const CLI_TIMEOUT_MS = 30_000;

function cli(spec: WalkSpec, args: string[]) {
  return runNomad(args, spec.agent.addr, { timeoutMs: CLI_TIMEOUT_MS });
}

/** Runs one step; a failure names the step and carries the end of the agent's log. */
async function step<T>(spec: WalkSpec, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const tail = spec.agent.output().split('\n').slice(-40).join('\n');
    throw new Error(`${spec.job}: step "${name}" failed: ${(err as Error).message}\n--- agent log (tail) ---\n${tail}`, { cause: err });
  }
}

export function allocsOf(spec: WalkSpec, ok: (a: AllocStub[]) => boolean, timeoutMs = 30_000): Promise<AllocStub[]> {
  return waitForState<AllocStub[]>(spec.agent.addr, `/v1/job/${spec.job}/allocations`, ok, timeoutMs);
}

const running = (a: AllocStub[]) => a.filter((x) => x.ClientStatus === 'running' && x.DesiredStatus === 'run');

/** Runs the whole walk; every step asserts what the user would see. */
export async function driverWalk(spec: WalkSpec): Promise<void> {
  const file = join(spec.agent.dir, `${spec.job}.nomad`);
  const short = (id: string) => id.slice(0, 8);

  // Run: the monitor shows the placement and the deployment succeeding.
  const first = await step(spec, 'run', async () => {
    writeFileSync(file, spec.jobText(1, 'one'));
    const run = await cli(spec, ['job', 'run', file]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`Allocation "[0-9a-f]{8}" created: node "[0-9a-f]{8}", group "${spec.group}"`));
    return running(await allocsOf(spec, (a) => running(a).length === 1))[0]!;
  });

  await step(spec, 'status', async () => {
    const status = await cli(spec, ['status', spec.job]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^Status\s+= running$/m);
    assert.match(status.stdout, new RegExp(`^${short(first.ID)}\\s+[0-9a-f]{8}\\s+${spec.group}\\s+0\\s+run\\s+running`, 'm'));
    const as = await cli(spec, ['alloc', 'status', short(first.ID)]);
    assert.equal(as.code, 0, as.stderr);
    assert.match(as.stdout, new RegExp(`Task "${spec.task}" is "running"`));
    assert.match(as.stdout, /Started\s+Task started by client/);
  });

  // Logs: what the task printed reaches `nomad alloc logs` through the client's log files.
  await step(spec, 'logs', async () => {
    await waitForLog(spec, first.ID, /^one$/m);
    const logs = await cli(spec, ['alloc', 'logs', short(first.ID), spec.task]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^one$/m);
  });

  // Stats: real memory usage, read from the task's cgroup or the engine, never zero for a live task.
  await step(spec, 'stats', async () => {
    assert.ok((await statsWithMemory(spec, first.ID)) > 0);
    const withStats = await cli(spec, ['alloc', 'status', '-stats', short(first.ID)]);
    assert.equal(withStats.code, 0, withStats.stderr);
    // As Nomad prints them: a row of the measured names, sorted, over a row of their values.
    for (const title of ['Memory Stats', 'CPU Stats']) {
      const table = new RegExp(`^${title}\\n(.+)\\n(.+)$`, 'm').exec(withStats.stdout);
      assert.ok(table, `no ${title} table in:\n${withStats.stdout}`);
      const names = table[1]!.trim().split(/\s{2,}/);
      assert.deepEqual(names, [...names].sort(), `${title} columns sorted: ${table[1]}`);
      assert.equal(table[2]!.trim().split(/\s{2,}/).length, names.length, `${title}: a value per column`);
    }
    const used = /^\s*\d+\/\d+ MHz\s+(\d+(?:\.\d+)?) ([KMG]iB)\/\d+ MiB/m.exec(withStats.stdout);
    assert.ok(used && Number(used[1]) > 0, `no memory usage in:\n${withStats.stdout}`);
  });

  if (spec.checkRunning) await step(spec, 'driver checks', () => spec.checkRunning!(first.ID));

  // Scale 1 -> 2: the first allocation stays, one more starts.
  await step(spec, 'scale', async () => {
    writeFileSync(file, spec.jobText(2, 'one'));
    const scale = await cli(spec, ['job', 'run', file]);
    assert.equal(scale.code, 0, scale.stdout + scale.stderr);
    const two = running(await allocsOf(spec, (a) => running(a).length === 2));
    assert.ok(two.some((a) => a.ID === first.ID), 'scaling up keeps the running allocation');
  });

  // A destructive update (new args): both allocations are replaced by ones of the new version.
  await step(spec, 'update', async () => {
    writeFileSync(file, spec.jobText(2, 'two'));
    const update = await cli(spec, ['job', 'run', file]);
    assert.equal(update.code, 0, update.stdout + update.stderr);
    const updated = running(await allocsOf(spec, (a) => running(a).length === 2 && running(a).every((x) => x.JobVersion === 2)));
    assert.ok(updated.every((a) => a.ID !== first.ID), 'a destructive update replaces the allocation');
    await waitForLog(spec, updated[0]!.ID, /^two$/m);
  });

  await step(spec, 'stop', async () => {
    const stop = await cli(spec, ['job', 'stop', spec.job]);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    await allocsOf(spec, (a) => a.every((x) => x.DesiredStatus === 'stop' && x.ClientStatus !== 'running' && x.ClientStatus !== 'pending'));
    const list = await cli(spec, ['status']);
    assert.match(list.stdout, new RegExp(`^${spec.job}\\s+service\\s+50\\s+dead \\(stopped\\)`, 'm'));
  });
}

/** Waits (bounded) on a following log stream until `re` matches the task's stdout. */
export async function waitForLog(spec: Pick<WalkSpec, 'agent' | 'task'>, allocId: string, re: RegExp, type: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), LOG_WAIT_MS);
  let text = '';
  try {
    const url = `${spec.agent.addr}/v1/client/fs/logs/${allocId}?task=${spec.task}&type=${type}&follow=true&origin=start&offset=0&plain=true`;
    const res = await fetch(url, { signal: ctrl.signal });
    assert.equal(res.status, 200);
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (re.test(text)) break;
    }
  } catch (err) {
    if (!ctrl.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  assert.match(text, re, `the ${type} of ${allocId} never showed ${re}`);
  return text;
}

/**
 * Memory usage in bytes from the allocation's stats endpoint, once non-zero. A task that has
 * just started may not have been sampled yet, so this asks again (bounded) until it has.
 */
async function statsWithMemory(spec: WalkSpec, allocId: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  let last: unknown = null;
  while (Date.now() < deadline) {
    const r = await getJson<{ Tasks?: Record<string, { ResourceUsage: { MemoryStats: { RSS: number; Usage: number } } }> }>(spec.agent.addr, `/v1/client/allocation/${allocId}/stats`);
    last = r.body;
    const m = r.body.Tasks?.[spec.task]?.ResourceUsage.MemoryStats;
    if (m && Math.max(m.RSS, m.Usage) > 0) return Math.max(m.RSS, m.Usage);
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no memory usage reported for ${allocId}: ${JSON.stringify(last)}`);
}
