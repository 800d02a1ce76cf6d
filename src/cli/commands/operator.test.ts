// The operator commands run in-process against a real server of one over HTTP: their output,
// messages and exit codes, and files written and read by the snapshot commands.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../main.js';
import { testIo } from '../../../test/unit/cli-harness.js';
import { jobInput, startInProcessApi, type InProcessApi } from '../../../test/unit/http-harness.js';

let api: InProcessApi;
let dir = '';

before(async () => {
  api = await startInProcessApi();
  dir = await mkdtemp(join(tmpdir(), 'nomad-operator-cli-'));
});
after(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

async function nomad(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const io = testIo(`http://127.0.0.1:${api.port}`, '2026-03-05T10:00:00Z', dir);
  const code = await runCli(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

test('operator raft list-peers prints the configuration table', async () => {
  const r = await nomad('operator', 'raft', 'list-peers');
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(r.out, [
    'Node         ID   Address         State   Voter  RaftProtocol',
    'test.global  dev  127.0.0.1:4647  leader  true   3',
  ]);
  assert.equal((await nomad('operator', 'raft', 'list-peers', '-stale')).code, 0);
  const extra = await nomad('operator', 'raft', 'list-peers', 'x');
  assert.equal(extra.code, 1);
  assert.equal(extra.err[0], 'This command takes no arguments');
});

test('operator raft remove-peer: Nomad messages for missing, doubled and unknown peers', async () => {
  const none = await nomad('operator', 'raft', 'remove-peer');
  assert.deepEqual([none.code, none.err], [1, ['Error removing peer: an address or ID is required for the peer to remove']]);
  const both = await nomad('operator', 'raft', 'remove-peer', '-peer-id=a', '-peer-address=b:1');
  assert.deepEqual([both.code, both.err], [1, ['Error removing peer: cannot give both an address and ID']]);
  const unknown = await nomad('operator', 'raft', 'remove-peer', '-peer-id=nope');
  assert.deepEqual([unknown.code, unknown.err], [1, ['Error removing peer: Unexpected response code: 500 (id "nope" was not found in the Raft configuration)']]);
  const byAddress = await nomad('operator', 'raft', 'remove-peer', '-peer-address=10.1.1.1:4647');
  assert.deepEqual(byAddress.err, ['Error removing peer: Unexpected response code: 500 (address "10.1.1.1:4647" was not found in the Raft configuration)']);
});

test('operator autopilot get-config and set-config: only the flags given change; bad values are usage errors', async () => {
  const before = await nomad('operator', 'autopilot', 'get-config');
  assert.equal(before.code, 0);
  assert.deepEqual(before.out, [
    'CleanupDeadServers = true',
    'LastContactThreshold = 200ms',
    'MaxTrailingLogs = 250',
    'MinQuorum = 0',
    'ServerStabilizationTime = 10s',
    'EnableRedundancyZones = false',
    'DisableUpgradeMigration = false',
    'EnableCustomUpgrades = false',
  ]);
  const set = await nomad('operator', 'autopilot', 'set-config', '-cleanup-dead-servers=false', '-last-contact-threshold=1m30s', '-max-trailing-logs=500', '-min-quorum=3');
  assert.deepEqual([set.code, set.out, set.err], [0, ['Configuration updated!'], []]);
  const after = await nomad('operator', 'autopilot', 'get-config');
  assert.deepEqual(after.out, [
    'CleanupDeadServers = false',
    'LastContactThreshold = 1m30s',
    'MaxTrailingLogs = 500',
    'MinQuorum = 3',
    'ServerStabilizationTime = 10s',
    'EnableRedundancyZones = false',
    'DisableUpgradeMigration = false',
    'EnableCustomUpgrades = false',
  ]);

  const badDuration = await nomad('operator', 'autopilot', 'set-config', '-server-stabilization-time=soon');
  assert.equal(badDuration.code, 1);
  assert.equal(badDuration.err[0], 'invalid value "soon" for flag -server-stabilization-time: time: invalid duration "soon"');
  const badBool = await nomad('operator', 'autopilot', 'set-config', '-cleanup-dead-servers=maybe');
  assert.equal(badBool.err[0], 'invalid value "maybe" for flag -cleanup-dead-servers: parse error');
  const badCount = await nomad('operator', 'autopilot', 'set-config', '-max-trailing-logs=-4');
  assert.equal(badCount.err[0], 'invalid value "-4" for flag -max-trailing-logs: parse error');
  assert.deepEqual((await nomad('operator', 'autopilot', 'get-config')).out, after.out, 'refused commands changed nothing');

  // Stored but not acted on: said so on stderr, and still written.
  const zones = await nomad('operator', 'autopilot', 'set-config', '-enable-redundancy-zones=true');
  assert.equal(zones.code, 0);
  assert.deepEqual(zones.err, ['Warning: -enable-redundancy-zones is stored, but these servers do not act on it (an Enterprise feature in Nomad)']);
  assert.ok((await nomad('operator', 'autopilot', 'get-config')).out.includes('EnableRedundancyZones = true'));
});

test('operator snapshot save, inspect and restore: files, messages and the state coming back', async () => {
  assert.equal((await api.call('PUT', '/v1/jobs', { Job: jobInput('before') })).status, 200);
  const save = await nomad('operator', 'snapshot', 'save', 'backup.snap');
  assert.deepEqual([save.code, save.out, save.err], [0, ['State file written to backup.snap'], []]);
  const again = await nomad('operator', 'snapshot', 'save', 'backup.snap');
  assert.deepEqual([again.code, again.err], [1, ['Destination file already exists: "backup.snap"', "For additional help try 'nomad operator snapshot save -help'"]]);

  const inspect = await nomad('operator', 'snapshot', 'inspect', 'backup.snap');
  assert.equal(inspect.code, 0, inspect.err.join('\n'));
  assert.equal(inspect.out.length, 5);
  const fields = Object.fromEntries(inspect.out.map((l) => l.split(/\s+/) as [string, string]));
  assert.deepEqual(Object.keys(fields), ['ID', 'Size', 'Index', 'Term', 'Version']);
  assert.equal(fields['Term'], '1');
  assert.equal(fields['Version'], '1');
  assert.match(fields['ID']!, new RegExp(`^1-${fields['Index']}-\\d+$`), 'ID is term-index-time');
  assert.ok(Number(fields['Size']) > 0 && Number(fields['Index']) > 0);

  assert.equal((await api.call('PUT', '/v1/jobs', { Job: jobInput('later') })).status, 200);
  const restore = await nomad('operator', 'snapshot', 'restore', 'backup.snap');
  assert.deepEqual([restore.code, restore.out, restore.err], [0, ['Snapshot Restored'], []]);
  assert.deepEqual((await api.call('GET', '/v1/jobs')).json().map((j: { ID: string }) => j.ID), ['before']);

  // Damaged files: refused by the server, and by inspect, with the reason; nothing changes.
  const good = await readFile(join(dir, 'backup.snap'));
  await writeFile(join(dir, 'cut.snap'), new Uint8Array(good.buffer, good.byteOffset, 100));
  const cut = await nomad('operator', 'snapshot', 'restore', 'cut.snap');
  assert.equal(cut.code, 1);
  assert.equal(cut.err[0], 'Failed to get restore snapshot: Unexpected response code: 400 (snapshot archive: the file is damaged or is not a snapshot (the file is cut short))');
  const cutInspect = await nomad('operator', 'snapshot', 'inspect', 'cut.snap');
  assert.deepEqual([cutInspect.code, cutInspect.err], [1, ['Error verifying snapshot: snapshot archive: the file is damaged or is not a snapshot (the file is cut short)']]);
  assert.deepEqual((await api.call('GET', '/v1/jobs')).json().map((j: { ID: string }) => j.ID), ['before']);

  const missing = await nomad('operator', 'snapshot', 'restore', 'missing.snap');
  assert.deepEqual([missing.code, missing.err], [1, ['Error opening snapshot file: "open missing.snap: no such file or directory"']]);
  const missingInspect = await nomad('operator', 'snapshot', 'inspect', 'missing.snap');
  assert.deepEqual(missingInspect.err, ['Error opening snapshot file: open missing.snap: no such file or directory']);
  for (const sub of ['restore', 'inspect']) {
    const noArg = await nomad('operator', 'snapshot', sub);
    assert.deepEqual([noArg.code, noArg.err[0]], [1, 'This command takes one argument: <filename>']);
  }
  const twoArgs = await nomad('operator', 'snapshot', 'save', 'a', 'b');
  assert.deepEqual([twoArgs.code, twoArgs.err[0]], [1, 'This command takes either no arguments or one: <filename>']);

  // Without a name: Nomad's nomad-state-<year><month><day>-<unix>.snap (the day unpadded).
  const unnamed = await nomad('operator', 'snapshot', 'save');
  assert.equal(unnamed.code, 0);
  assert.deepEqual(unnamed.out, [`State file written to nomad-state-2026035-${Date.parse('2026-03-05T10:00:00Z') / 1000}.snap`]);
});
