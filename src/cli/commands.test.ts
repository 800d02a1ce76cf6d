// Each command's output against the Nomad 1.1.2 transcript, served from captured API answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from './main.js';
import { captureHandler, fixture, startServer, testIo, transcriptBlock, type Handler } from '../../test/unit/cli-harness.js';

async function run(handler: Handler, argv: string[], nowIso: string, cwd?: string) {
  const server = await startServer(handler);
  try {
    const io = testIo(server.address, nowIso, cwd);
    const code = await runCli(argv, io);
    return { code, out: io.stdout, err: io.stderr, requests: server.requests };
  } finally {
    await server.close();
  }
}

const stage1 = captureHandler('01');

test('node status lists nodes exactly as the reference', async () => {
  const r = await run(stage1, ['node', 'status'], '2026-11-21T17:39:30Z');
  const ref = transcriptBlock('nomad node status');
  assert.deepEqual(r.out, ref.lines);
  assert.equal(r.code, ref.exitCode);
});

test('node status -verbose shows full IDs, address and version', async () => {
  const r = await run(stage1, ['node', 'status', '-verbose'], '2026-11-21T17:39:30Z');
  assert.deepEqual(r.out, transcriptBlock('nomad node status -verbose').lines);
});

test('node status -self prints the node block (uptime masked)', async () => {
  const r = await run(stage1, ['node', 'status', '-self'], '2026-11-21T17:39:30Z');
  const ref = transcriptBlock('nomad node status -self | head -12').lines;
  const mask = (l: string) => l.replace(/^(Uptime\s+= ).*/, '$1X');
  assert.deepEqual(r.out.slice(0, 12).map(mask), ref.map(mask));
  assert.equal(r.out[12], 'Driver Status   = exec,java,raw_exec');
  const i = r.out.indexOf('Allocated Resources');
  assert.ok(i > 0);
  assert.match(r.out[i + 1]!, /^CPU +Memory +Disk$/);
  assert.equal(r.out[i + 2], '100/5198 MHz  64 MiB/24 GiB  300 MiB/77 GiB');
  assert.ok(r.out.includes('Host Resource Utilization'));
  assert.ok(r.out.includes('Node Events'));
});

test('server members and raft peers match the reference', async () => {
  let r = await run(stage1, ['server', 'members'], '2026-11-21T17:39:30Z');
  assert.deepEqual(r.out, transcriptBlock('nomad server members').lines);
  r = await run(stage1, ['operator', 'raft', 'list-peers'], '2026-11-21T17:39:30Z');
  assert.deepEqual(r.out, transcriptBlock('nomad operator raft list-peers').lines);
  r = await run(stage1, ['server', 'members', '-detailed'], '2026-11-21T17:39:30Z');
  assert.equal(r.out[0], 'Name       Address    Port  Tags');
  assert.match(r.out[1]!, /^vm\.global  127\.0\.0\.1  4648  bootstrap=1,build=1\.1\.2,/);
});

test('status with no jobs prints "No running jobs"', async () => {
  const r = await run((_m, u) => (u.pathname === '/v1/jobs' ? { body: [] } : undefined), ['status'], '2026-11-21T17:39:00Z');
  assert.deepEqual(r.out, transcriptBlock('nomad status').lines);
  assert.equal(r.code, 0);
});

test('status <job> shows the full job view of the reference', async () => {
  const r = await run(stage1, ['status', 'example'], '2026-11-21T17:39:17Z');
  const ref = transcriptBlock('nomad status example');
  assert.deepEqual(r.out, ref.lines);
  assert.equal(r.code, 0);
});

test('job status with an unknown job fails with Nomad message', async () => {
  const r = await run(stage1, ['job', 'status', 'doesnotexist'], '2026-11-21T17:39:17Z');
  const ref = transcriptBlock('nomad job status doesnotexist');
  assert.deepEqual(r.err, ref.lines);
  assert.equal(r.code, 1);
});

test('status with an unknown identifier cannot resolve it', async () => {
  const empty: Handler = (_m, u) => (u.pathname.startsWith('/v1/') ? { body: [] } : undefined);
  const r = await run(empty, ['status', 'example'], '2026-11-21T17:40:34Z');
  assert.deepEqual(r.err, transcriptBlock('nomad status example', 4).lines);
  assert.equal(r.code, 1);
});

test('alloc status matches the reference (live usage masked)', async () => {
  const r = await run(stage1, ['alloc', 'status', '02c05d0f'], '2026-11-21T17:39:19Z');
  const ref = transcriptBlock('nomad alloc status 02c05d0f');
  const mask = (l: string) => l.replace(/^\d+\/100 MHz  \d+ MiB\/64 MiB/, 'U/100 MHz  M MiB/64 MiB');
  assert.deepEqual(r.out.map(mask), ref.lines.map(mask));
  assert.equal(r.code, 0);
});

test('alloc status -verbose adds placement metrics', async () => {
  const r = await run(stage1, ['alloc', 'status', '-verbose', '02c05d0f'], '2026-11-21T17:39:19Z');
  const ref = transcriptBlock('nomad alloc status -verbose 02c05d0f');
  const mask = (l: string) => l.replace(/^\d+\/100 MHz  \d+ MiB\/64 MiB/, 'U/100 MHz  M MiB/64 MiB');
  assert.deepEqual(r.out.map(mask), ref.lines.map(mask));
});

test('alloc status of an unknown prefix exits 1', async () => {
  const r = await run(stage1, ['alloc', 'status', '00000000'], '2026-11-21T17:39:19Z');
  assert.deepEqual(r.err, transcriptBlock('nomad alloc status 00000000').lines);
  assert.equal(r.code, 1);
});

test('deployment list and eval status', async () => {
  let r = await run(stage1, ['deployment', 'list'], '2026-11-21T17:39:19Z');
  const ref = transcriptBlock('nomad deployment list').lines;
  assert.deepEqual(r.out, [ref[0], ref[3]]);
  const evals = fixture('05', 'job_batch100_evaluations');
  const created = (JSON.parse(evals) as Array<{ CreateTime: number }>)[0]!.CreateTime;
  const now = new Date(Math.round(created / 1e6) + (13 * 60 + 15) * 1000).toISOString();
  const handler: Handler = (_m, u) => {
    if (u.pathname === '/v1/evaluations') return { body: (JSON.parse(evals) as Array<{ ID: string }>).filter((e) => e.ID.startsWith(u.searchParams.get('prefix') ?? '')) };
    if (u.pathname.startsWith('/v1/evaluation/')) return { body: (JSON.parse(evals) as unknown[])[0]! };
    return undefined;
  };
  r = await run(handler, ['eval', 'status', 'c2c7451c'], now);
  assert.deepEqual(r.out, transcriptBlock('nomad eval status c2c7451c').lines);
});

test('agent-info prints sections and sorted keys', async () => {
  const r = await run(stage1, ['agent-info'], '2026-11-21T17:39:19Z');
  const ref = transcriptBlock('nomad agent-info | head -40').lines;
  const shape = (l: string) => l.replace(/ = .*/, ' = V');
  assert.deepEqual(r.out.slice(0, 12).map(shape), ref.slice(0, 12).map(shape));
});

test('job init writes the example and refuses to overwrite it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-cli-'));
  let r = await run(() => undefined, ['job', 'init'], '2026-11-21T17:39:00Z', dir);
  assert.deepEqual(r.out, transcriptBlock('nomad job init').lines);
  const text = readFileSync(join(dir, 'example.nomad'), 'utf8');
  const stripped = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const ref = transcriptBlock('cat example.nomad').lines.slice(1);
  assert.deepEqual(stripped, ref);
  r = await run(() => undefined, ['job', 'init'], '2026-11-21T17:39:00Z', dir);
  assert.deepEqual(r.err, ["Job 'example.nomad' already exists"]);
  assert.equal(r.code, 1);
  const dir2 = mkdtempSync(join(tmpdir(), 'nomad-cli-'));
  r = await run(() => undefined, ['job', 'init', '-short'], '2026-11-21T17:39:00Z', dir2);
  const short = readFileSync(join(dir2, 'example.nomad'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  assert.deepEqual(short, transcriptBlock('cat example.nomad', 1).lines.slice(1));
});

function jobDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-cli-'));
  writeFileSync(join(dir, 'example.json'), JSON.stringify({ Job: { ID: 'example', Name: 'example', Type: 'service', TaskGroups: [{ Name: 'cache', Count: 1 }] } }));
  return dir;
}

test('job run -detach prints the evaluation ID', async () => {
  const handler: Handler = (m, u, body) => {
    if (m === 'PUT' && u.pathname === '/v1/jobs') {
      assert.equal((JSON.parse(body) as { Job: { ID: string } }).Job.ID, 'example');
      return { body: { EvalID: 'bd6fb64e-2c4f-96df-748d-37d4e96bb099', EvalCreateIndex: 5, JobModifyIndex: 5, Warnings: '' } };
    }
    return undefined;
  };
  const r = await run(handler, ['job', 'run', '-detach', '-json', 'example.json'], '2026-11-21T17:39:00Z', jobDir());
  assert.deepEqual(r.out, transcriptBlock('nomad job run -detach batch100.nomad').lines);
  assert.equal(r.code, 0);
});

test('job run -check-index with a stale index reports the conflict', async () => {
  const handler: Handler = (m, u, body) => {
    if (m === 'PUT' && u.pathname === '/v1/jobs') {
      const req = JSON.parse(body) as { EnforceIndex: boolean; JobModifyIndex: number };
      assert.equal(req.EnforceIndex, true);
      assert.equal(req.JobModifyIndex, 9);
      return { status: 500, body: 'Enforcing job modify index 9: job exists with conflicting job modify index: 10' };
    }
    return undefined;
  };
  const r = await run(handler, ['job', 'run', '-check-index', '9', '-json', 'example.json'], '2026-11-21T17:39:00Z', jobDir());
  assert.deepEqual(r.err, transcriptBlock('nomad job run -check-index 9 example.nomad').lines);
  assert.equal(r.code, 1);
});

test('job run monitors the evaluation and the deployment', async () => {
  const evalId = '1fac06a3-aaeb-e0f6-9ba5-d231114f0e86';
  const depId = '97daee1b-c22f-13e2-21a9-6f0d79330ca2';
  const dep = JSON.parse(fixture('01', 'deployment')) as Record<string, unknown> & { TaskGroups: Record<string, Record<string, unknown>> };
  let depPolls = 0;
  const handler: Handler = (m, u) => {
    if (m === 'PUT' && u.pathname === '/v1/jobs') return { body: { EvalID: evalId, EvalCreateIndex: 10, JobModifyIndex: 10, Warnings: '' } };
    if (u.pathname === `/v1/evaluation/${evalId}`) return { body: { ...JSON.parse(fixture('01', 'evaluation')), FailedTGAllocs: null } };
    if (u.pathname === `/v1/evaluation/${evalId}/allocations`) {
      const a = (JSON.parse(fixture('01', 'allocations')) as Array<Record<string, unknown>>)[0]!;
      return { body: [{ ...a, ClientStatus: 'pending' }] };
    }
    if (u.pathname === `/v1/deployment/${depId}`) {
      depPolls++;
      const g = dep.TaskGroups['cache']!;
      const body = depPolls === 1
        ? { ...dep, Status: 'running', StatusDescription: 'Deployment is running', TaskGroups: { cache: { ...g, HealthyAllocs: 0, RequireProgressBy: '2026-11-21T17:49:05.5Z' } } }
        : dep;
      return { body, headers: { 'X-Nomad-Index': String(10 + depPolls) } };
    }
    return undefined;
  };
  const r = await run(handler, ['job', 'run', '-json', 'example.json'], '2026-11-21T17:39:05Z', jobDir());
  const ref = transcriptBlock('nomad job run example.nomad').lines;
  const expected = [...ref.slice(0, 18), ...ref.slice(ref.length - 11)];
  const maskClock = (l: string) => l.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'NOW');
  assert.deepEqual(r.out.map(maskClock), expected.map(maskClock));
  assert.equal(r.code, 0);
});

test('job run reports placement failures and exits 2', async () => {
  const evalId = '1fac06a3-aaeb-e0f6-9ba5-d231114f0e86';
  const handler: Handler = (m, u) => {
    if (m === 'PUT' && u.pathname === '/v1/jobs') return { body: { EvalID: evalId, EvalCreateIndex: 10, JobModifyIndex: 10, Warnings: '' } };
    if (u.pathname === `/v1/evaluation/${evalId}`) {
      return {
        body: {
          ...JSON.parse(fixture('01', 'evaluation')),
          DeploymentID: '',
          BlockedEval: 'f2d1c3b4-0000-0000-0000-000000000000',
          FailedTGAllocs: { cache: { NodesEvaluated: 1, NodesFiltered: 0, NodesAvailable: { dc1: 1 }, NodesExhausted: 1, DimensionExhausted: { memory: 1 }, CoalescedFailures: 0 } },
        },
      };
    }
    if (u.pathname === `/v1/evaluation/${evalId}/allocations`) return { body: [] };
    return undefined;
  };
  const r = await run(handler, ['job', 'run', '-json', 'example.json'], '2026-11-21T17:39:05Z', jobDir());
  const t = '2026-11-21T17:39:05Z';
  assert.deepEqual(r.out, [
    `==> ${t}: Monitoring evaluation "1fac06a3"`,
    `    ${t}: Evaluation triggered by job "example"`,
    `    ${t}: Evaluation status changed: "pending" -> "complete"`,
    `==> ${t}: Evaluation "1fac06a3" finished with status "complete" but failed to place all allocations:`,
    `    ${t}: Task Group "cache" (failed to place 1 allocation):`,
    `      * Resources exhausted on 1 nodes`,
    `      * Dimension "memory" exhausted on 1 nodes`,
    `    ${t}: Evaluation "f2d1c3b4" waiting for additional capacity to place remainder`,
  ]);
  assert.equal(r.code, 2);
});

test('job plan prints the diff, dry run and check-index hint', async () => {
  const handler: Handler = (m, u) => {
    if (m === 'PUT' && u.pathname === '/v1/job/example/plan') {
      return {
        body: {
          JobModifyIndex: 0,
          CreatedEvals: null,
          FailedTGAllocs: null,
          NextPeriodicLaunch: '0001-01-01T00:00:00Z',
          Warnings: '',
          Annotations: { DesiredTGUpdates: { cache: { Ignore: 0, Place: 1, Migrate: 0, Stop: 0, InPlaceUpdate: 0, DestructiveUpdate: 0, Canary: 0, Preemptions: 0 } } },
          Diff: {
            Type: 'Added',
            ID: 'example',
            Fields: [{ Type: 'Added', Name: 'Type', Old: '', New: 'service', Annotations: null }],
            Objects: null,
            TaskGroups: [{ Type: 'Added', Name: 'cache', Fields: null, Objects: null, Updates: { create: 1 }, Tasks: [{ Type: 'Added', Name: 'redis', Fields: null, Objects: null, Annotations: ['forces create'] }] }],
          },
        },
      };
    }
    return undefined;
  };
  const dir = jobDir();
  writeFileSync(join(dir, 'example.nomad'), readFileSync(join(dir, 'example.json'), 'utf8'));
  const r = await run(handler, ['job', 'plan', '-json', 'example.nomad'], '2026-11-21T17:39:00Z', dir);
  const ref = transcriptBlock('nomad job plan example.nomad');
  assert.deepEqual(r.out, ref.lines);
  assert.equal(r.code, ref.exitCode);
});

test('job plan of a missing file exits 255', async () => {
  const r = await run(() => undefined, ['job', 'plan', 'example-doesnotexist.nomad'], '2026-11-21T17:39:00Z', mkdtempSync(join(tmpdir(), 'nomad-cli-')));
  assert.deepEqual(r.err, transcriptBlock('nomad job plan example-doesnotexist.nomad').lines);
  assert.equal(r.code, 255);
});

test('a refused connection prints Go-style error and exits 1', async () => {
  const server = http.createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((res) => server.close(() => res()));
  const io = (await import('../../test/unit/cli-harness.js')).testIo(`http://127.0.0.1:${port}`, '2026-11-21T17:39:00Z');
  const code = await runCli(['status'], io);
  assert.deepEqual(io.stderr, [`Error querying jobs: Get "http://127.0.0.1:${port}/v1/jobs": dial tcp 127.0.0.1:${port}: connect: connection refused`]);
  assert.equal(code, 1);
});

test('unknown flag is a usage error with exit 1; -h prints help with exit 0', async () => {
  let r = await run(() => undefined, ['job', 'status', '-bogus'], '2026-11-21T17:39:00Z');
  assert.equal(r.err[0], 'flag provided but not defined: -bogus');
  assert.equal(r.code, 1);
  r = await run(() => undefined, ['job', 'run', '-h'], '2026-11-21T17:39:00Z');
  assert.match(r.out[0]!, /^Usage: nomad job run/);
  assert.equal(r.code, 0);
});

test('alloc logs decodes streamed frames for the only task', async () => {
  const b64 = 'aGkK'; // base64 of "hi\n"
  const frames = [{ Offset: 3, Data: b64, File: 'alloc/logs/redis.stdout.0' }, {}, { Offset: 6, Data: b64 }];
  const handler: Handler = (_m, u) => {
    if (u.pathname.startsWith('/v1/client/fs/logs/')) {
      assert.equal(u.searchParams.get('task'), 'redis');
      assert.equal(u.searchParams.get('type'), 'stdout');
      return { body: frames.map((f) => JSON.stringify(f)).join('') };
    }
    return stage1('GET', u, '');
  };
  const r = await run(handler, ['alloc', 'logs', '02c05d0f'], '2026-11-21T17:39:19Z');
  assert.equal(r.out.join(''), 'hi\nhi\n');
  assert.equal(r.code, 0);
});

test('job run: file() in a job file reads relative to the job file, not the working directory', async () => {
  const jobDir = mkdtempSync(join(tmpdir(), 'nomad-cli-job-'));
  writeFileSync(join(jobDir, 'motd.txt'), 'hello from beside the job');
  writeFileSync(
    join(jobDir, 'fs.nomad'),
    'job "fs" {\n  datacenters = ["dc1"]\n  meta {\n    motd = file("motd.txt")\n  }\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n      config { command = "/bin/true" }\n    }\n  }\n}\n',
  );
  let registered: any = null;
  const r = await run(
    (method, url, body) => {
      if (method === 'PUT' && url.pathname === '/v1/jobs') {
        registered = JSON.parse(body);
        return { body: { EvalID: '', EvalCreateIndex: 0, JobModifyIndex: 10, Warnings: '', Index: 10 } };
      }
      return undefined;
    },
    ['job', 'run', '-detach', join(jobDir, 'fs.nomad')],
    '2026-11-21T17:39:00Z',
    mkdtempSync(join(tmpdir(), 'nomad-cli-cwd-')),
  );
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.equal(registered?.Job?.Meta?.motd, 'hello from beside the job');
});
