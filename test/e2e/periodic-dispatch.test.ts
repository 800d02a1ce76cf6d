// Periodic and parameterized jobs and namespaces through the real CLI against a real dev agent:
// a periodic job launching children on its own and when forced, dispatches with payloads from a
// file and from stdin that the task reads from its local dir, and jobs kept in namespaces.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getJson, runNomad, startDevAgent, waitForState, type AgentProcess } from './harness.js';

let agent: AgentProcess;

before(async () => {
  agent = await startDevAgent();
  await agent.waitForOutput(/client: node registration complete/);
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
});

function cli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  return runNomad(args, agent.addr, { timeoutMs: 30_000, cwd: agent.dir, ...opts });
}

function jobFile(name: string, text: string): string {
  const file = join(agent.dir, `${name}.nomad`);
  writeFileSync(file, text);
  return file;
}

interface JobStub {
  ID: string;
  ParentID: string;
  Status: string;
  Namespace: string;
}

test('a periodic job launches children on its schedule and when forced; status lists them', { timeout: 60_000 }, async () => {
  const file = jobFile(
    'tick',
    `job "tick" {
  datacenters = ["dc1"]
  type        = "batch"
  periodic {
    cron             = "*/2 * * * * * *"
    prohibit_overlap = true
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo tick"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`,
  );
  const run = await cli(['job', 'run', file]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Job registration successful\nApproximate next launch time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+s from now\)\n$/);
  const children = await waitForState<JobStub[]>(agent.addr, '/v1/jobs?prefix=tick/periodic-', (jobs) => jobs.some((j) => j.Status === 'dead'));
  assert.ok(children.every((j) => j.ParentID === 'tick'));
  const status = await cli(['job', 'status', 'tick']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Periodic\s+= true\nParameterized\s+= false\nNext Periodic Launch = \S+ \(\d+s from now\)/);
  assert.match(status.stdout, /\nChildren Job Summary\nPending\s+Running\s+Dead\n/);
  assert.match(status.stdout, /\nPreviously Launched Jobs\nID\s+Status\ntick\/periodic-\d+\s+(dead|running|pending)/);
  const force = await cli(['job', 'periodic', 'force', '-detach', 'tick']);
  assert.equal(force.code, 0, force.stderr);
  assert.match(force.stdout, /^Force periodic successful\nEvaluation ID: [0-9a-f-]{36}\n$/);
  const evalId = /Evaluation ID: (\S+)/.exec(force.stdout)![1]!;
  const ev = await getJson<{ JobID: string; TriggeredBy: string }>(agent.addr, `/v1/evaluation/${evalId}`);
  assert.match(ev.body.JobID, /^tick\/periodic-\d+$/);
  assert.equal(ev.body.TriggeredBy, 'periodic-job');
  const notPeriodic = await cli(['job', 'periodic', 'force', 'nothing-here']);
  assert.equal(notPeriodic.code, 1);
  assert.match(notPeriodic.stderr, /No periodic job\(s\) with prefix or ID "nothing-here" found/);
  const stop = await cli(['job', 'stop', '-purge', 'tick']);
  assert.equal(stop.code, 0, stop.stderr);
});

test('dispatch writes the payload into the task dir and passes meta; bad dispatches are refused', { timeout: 60_000 }, async () => {
  const file = jobFile(
    'render',
    `job "render" {
  datacenters = ["dc1"]
  type        = "batch"
  parameterized {
    payload       = "required"
    meta_required = ["who"]
    meta_optional = ["mood"]
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      dispatch_payload {
        file = "in/payload.txt"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "echo \\"who=$NOMAD_META_who\\"; cat $NOMAD_TASK_DIR/in/payload.txt"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`,
  );
  assert.equal((await cli(['job', 'run', file])).code, 0);
  const payload = join(agent.dir, 'payload.txt');
  writeFileSync(payload, 'hello from a file\n');
  const d1 = await cli(['job', 'dispatch', '-meta', 'who=alice', 'render', payload]);
  assert.equal(d1.code, 0, d1.stderr);
  assert.match(d1.stdout, /^Dispatched Job ID = render\/dispatch-\d+-[0-9a-f]{8}\nEvaluation ID\s+= [0-9a-f]{8}\n\n==> /);
  const child1 = /Dispatched Job ID = (\S+)/.exec(d1.stdout)![1]!;
  const d2 = await cli(['job', 'dispatch', '-detach', '-meta', 'who=bob', '-idempotency-token', 'once', 'render', '-'], { input: 'hello from stdin\n' });
  assert.equal(d2.code, 0, d2.stderr);
  const child2 = /Dispatched Job ID = (\S+)/.exec(d2.stdout)![1]!;
  const again = await cli(['job', 'dispatch', '-detach', '-meta', 'who=bob', '-idempotency-token', 'once', 'render', '-'], { input: 'other\n' });
  assert.equal(/Dispatched Job ID = (\S+)/.exec(again.stdout)?.[1], child2, 'the same token returns the same child');

  for (const [child, expected] of [
    [child1, 'who=alice\nhello from a file\n'],
    [child2, 'who=bob\nhello from stdin\n'],
  ] as const) {
    const allocs = await waitForState<Array<{ ID: string; ClientStatus: string }>>(agent.addr, `/v1/job/${encodeURIComponent(child)}/allocations`, (a) => a.length === 1 && a[0]!.ClientStatus === 'complete');
    const logs = await cli(['alloc', 'logs', allocs[0]!.ID]);
    assert.equal(logs.stdout, expected);
  }

  const missing = await cli(['job', 'dispatch', 'render', payload]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Failed to dispatch job: Unexpected response code: 400 \(Dispatch did not provide required meta keys: \[who\]\)/);
  const extra = await cli(['job', 'dispatch', '-meta', 'who=a', '-meta', 'color=red', 'render', payload]);
  assert.match(extra.stderr, /unpermitted metadata keys: \[color\]/);
  const noPayload = await cli(['job', 'dispatch', '-meta', 'who=a', 'render']);
  assert.match(noPayload.stderr, /Payload is not provided but required by parameterized job/);

  const status = await cli(['job', 'status', 'render']);
  assert.match(status.stdout, /\nParameterized Job\nPayload\s+= required\nRequired Metadata = who\nOptional Metadata = mood\n/);
  assert.match(status.stdout, /\nParameterized Job Summary\nPending\s+Running\s+Dead\n/);
  assert.match(status.stdout, new RegExp(`\\nDispatched Jobs\\nID\\s+Status\\n(.|\\n)*${child1.replace('/', '\\/')}\\s+dead`));
});

test('namespaces: apply, list, status, inspect; jobs per namespace with -namespace and NOMAD_NAMESPACE; delete', { timeout: 60_000 }, async () => {
  const apply = await cli(['namespace', 'apply', '-description', 'operations team', 'ops']);
  assert.deepEqual([apply.code, apply.stdout], [0, 'Successfully applied namespace "ops"!\n']);
  const specFile = join(agent.dir, 'web.hcl');
  writeFileSync(specFile, 'name = "web"\ndescription = "web tier"\ncapabilities {\n  enabled_task_drivers = ["raw_exec"]\n}\nmeta {\n  owner = "frontend"\n}\n');
  assert.equal((await cli(['namespace', 'apply', specFile])).code, 0);
  const badSpec = join(agent.dir, 'bad.hcl');
  writeFileSync(badSpec, 'name = "x"\ncolour = "blue"\n');
  const bad = await cli(['namespace', 'apply', badSpec]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad\.hcl:2:1: invalid key "colour" in namespace specification/);

  const list = await cli(['namespace', 'list']);
  assert.equal(list.stdout, 'Name     Description\ndefault  Default shared namespace\nops      operations team\nweb      web tier\n');
  const status = await cli(['namespace', 'status', 'web']);
  assert.equal(status.stdout, 'Name            = web\nDescription     = web tier\nQuota           = <none>\nEnabledDrivers  = raw_exec\nDisabledDrivers = <none>\n\nMetadata\nowner = frontend\n');
  const inspect = await cli(['namespace', 'inspect', 'ops']);
  assert.equal(JSON.parse(inspect.stdout).Description, 'operations team');

  const file = jobFile(
    'sleeper',
    `job "sleeper" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "while true; do sleep 1; done"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`,
  );
  assert.equal((await cli(['job', 'run', '-detach', '-namespace', 'ops', file])).code, 0);
  assert.equal((await cli(['job', 'run', '-detach', file], { env: { NOMAD_NAMESPACE: 'web' } })).code, 0);
  const all = await cli(['job', 'status', '-namespace', '*']);
  assert.match(all.stdout, /^ID\s+Namespace\s+Type\s+Priority\s+Status\s+Submit Date\n/);
  assert.match(all.stdout, /sleeper\s+ops\s+service/);
  assert.match(all.stdout, /sleeper\s+web\s+service/);
  const inDefault = await cli(['job', 'status']);
  assert.doesNotMatch(inDefault.stdout, /sleeper/);
  await waitForState<Array<{ ClientStatus: string; Namespace: string }>>(agent.addr, '/v1/allocations?namespace=ops', (a) => a.some((x) => x.ClientStatus === 'running'));

  const busy = await cli(['namespace', 'delete', 'ops']);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /Error deleting namespace: .*namespace "ops" contains at least one non-terminal job "sleeper"/);
  assert.equal((await cli(['job', 'stop', '-purge', '-namespace', 'ops', 'sleeper'])).code, 0);
  const del = await cli(['namespace', 'delete', 'ops']);
  assert.deepEqual([del.code, del.stdout], [0, 'Successfully deleted namespace "ops"!\n']);
  const ghost = await cli(['job', 'run', '-detach', '-namespace', 'ops', file]);
  assert.equal(ghost.code, 1);
  assert.match(ghost.stderr, /nonexistent namespace "ops"/);
  assert.equal((await cli(['job', 'stop', '-purge', '-namespace', 'web', 'sleeper'])).code, 0);
});
