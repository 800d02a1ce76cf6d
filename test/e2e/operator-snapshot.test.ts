// A real dev agent and the real `nomad` program: operator commands end to end, and a snapshot
// saved, jobs registered after it, a damaged file refused, the saved state restored, and writes
// going on from there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getJson, runNomad, startDevAgent, type AgentProcess } from './harness.js';

let agent: AgentProcess;

before(async () => {
  agent = await startDevAgent();
  await agent.waitForOutput(/client: node registration complete/);
});
after(async () => {
  await agent.stop();
  agent.cleanup();
});

function jobFile(id: string): string {
  const path = join(agent.dir, `${id}.nomad`);
  writeFileSync(
    path,
    `job "${id}" {\n  datacenters = ["dc1"]\n  type = "batch"\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n      config {\n        command = "/bin/true"\n      }\n    }\n  }\n}\n`,
  );
  return path;
}

async function jobIds(): Promise<string[]> {
  const r = await getJson<Array<{ ID: string }>>(agent.addr, '/v1/jobs');
  assert.equal(r.status, 200);
  return r.body.map((j) => j.ID).sort();
}

async function nomad(...args: string[]) {
  return runNomad(args, agent.addr, { cwd: agent.dir });
}

test('list-peers, autopilot get-config/set-config through the nomad program', async () => {
  const peers = await nomad('operator', 'raft', 'list-peers');
  assert.equal(peers.code, 0, peers.stderr);
  const lines = peers.stdout.trim().split('\n');
  assert.match(lines[0]!, /^Node\s+ID\s+Address\s+State\s+Voter\s+RaftProtocol$/);
  assert.match(lines[1]!, /\sleader\s+true\s+3$/);
  // The ID is the server's UUID, the one gossip tells, as Raft protocol 3 has it.
  const members = await getJson<{ Members: Array<{ Tags: Record<string, string> }> }>(agent.addr, '/v1/agent/members');
  const [, id, address] = lines[1]!.trim().split(/\s+/);
  assert.equal(id, members.body.Members[0]!.Tags['id']);
  assert.match(id!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.match(address!, /^127\.0\.0\.1:\d+$/);
  const set = await nomad('operator', 'autopilot', 'set-config', '-max-trailing-logs=300');
  assert.equal(set.stdout.trim(), 'Configuration updated!');
  const get = await nomad('operator', 'autopilot', 'get-config');
  assert.match(get.stdout, /^MaxTrailingLogs = 300$/m);
});

test('snapshot save, register more, a damaged file refused, restore: the saved state is back and writes go on', async () => {
  for (const id of ['alpha', 'beta']) assert.equal((await nomad('job', 'run', '-detach', jobFile(id))).code, 0);
  const save = await nomad('operator', 'snapshot', 'save', 'backup.snap');
  assert.equal(save.code, 0, save.stderr);
  assert.equal(save.stdout.trim(), 'State file written to backup.snap');
  const inspect = await nomad('operator', 'snapshot', 'inspect', 'backup.snap');
  assert.equal(inspect.code, 0, inspect.stderr);
  const index = Number(/^Index\s+(\d+)$/m.exec(inspect.stdout)?.[1]);
  assert.ok(index > 0, inspect.stdout);

  assert.equal((await nomad('job', 'run', '-detach', jobFile('gamma'))).code, 0);
  assert.deepEqual(await jobIds(), ['alpha', 'beta', 'gamma']);

  const bytes = readFileSync(join(agent.dir, 'backup.snap'));
  bytes[bytes.length - 30] = bytes[bytes.length - 30]! ^ 0xff;
  writeFileSync(join(agent.dir, 'damaged.snap'), new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  const refused = await nomad('operator', 'snapshot', 'restore', 'damaged.snap');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^Failed to get restore snapshot: Unexpected response code: 400 \(snapshot archive: /);
  assert.deepEqual(await jobIds(), ['alpha', 'beta', 'gamma'], 'a refused restore changed nothing');

  const restore = await nomad('operator', 'snapshot', 'restore', 'backup.snap');
  assert.equal(restore.code, 0, restore.stderr);
  assert.equal(restore.stdout.trim(), 'Snapshot Restored');
  assert.deepEqual(await jobIds(), ['alpha', 'beta']);

  assert.equal((await nomad('job', 'run', '-detach', jobFile('delta'))).code, 0);
  assert.deepEqual(await jobIds(), ['alpha', 'beta', 'delta']);
  const delta = await getJson<{ ModifyIndex: number }>(agent.addr, '/v1/job/delta');
  assert.ok(delta.body.ModifyIndex > index, `a write after the restore (${delta.body.ModifyIndex}) goes on beyond the saved index ${index}`);
});
