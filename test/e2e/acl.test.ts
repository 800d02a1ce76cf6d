// ACLs through the real CLI against a real agent with acl { enabled = true }: bootstrap once,
// policies and tokens, the anonymous policy, denials with Nomad's messages, a deleted token
// refused at once, a reset of the bootstrap through the reset file, and no secret in the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNomad, startDevAgent, waitForState, type CommandResult } from './harness.js';
import { rawExecJob } from './job-files.js';

function kv(out: string, key: string): string {
  const m = new RegExp(`^${key}\\s+= (.*)$`, 'm').exec(out);
  assert.ok(m, `"${key}" in:\n${out}`);
  return m[1]!;
}

function ok(r: CommandResult): string {
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout;
}

test('ACLs end to end through the CLI', { timeout: 120_000 }, async () => {
  // A data dir holds the bootstrap reset file.
  const dataDir = mkdtempSync(join(tmpdir(), 'nomad-acl-data-'));
  const agent = await startDevAgent({ extraConfig: 'acl {\n  enabled = true\n}\n', args: ['-data-dir', dataDir] });
  try {
    await agent.waitForOutput(/Nomad agent started/);
    const nomad = (args: string[], token = '', input?: string) => runNomad(args, agent.addr, { env: { NOMAD_TOKEN: token }, cwd: agent.dir, ...(input !== undefined ? { input } : {}) });

    // Nothing but the open routes answers before the bootstrap.
    const early = await nomad(['job', 'status']);
    assert.equal(early.code, 1);
    assert.equal(early.stderr.trim(), 'Error querying jobs: Unexpected response code: 403 (Permission denied)');

    const boot = ok(await nomad(['acl', 'bootstrap']));
    const root = kv(boot, 'Secret ID');
    assert.equal(kv(boot, 'Name'), 'Bootstrap Token');
    assert.equal(kv(boot, 'Type'), 'management');
    assert.equal(kv(boot, 'Policies'), 'n/a');
    assert.match(kv(boot, 'Create Time'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/);
    const bootIndex = Number(kv(boot, 'Create Index'));
    const again = await nomad(['acl', 'bootstrap']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), `Error bootstrapping: Unexpected response code: 400 (ACL bootstrap already done (reset index: ${bootIndex}))`);

    // Policies: a bad one is refused with where the problem is; good ones are listed.
    writeFileSync(join(agent.dir, 'bad.hcl'), 'namespace "default" {\n  policy = "reed"\n}\n');
    const bad = await nomad(['acl', 'policy', 'apply', 'bad', 'bad.hcl'], root);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Error writing ACL policy: Unexpected response code: 400 \(.*failed to parse rules: 2:12: invalid namespace policy "reed"/s);
    writeFileSync(join(agent.dir, 'ro.hcl'), 'namespace "default" {\n  policy = "read"\n}\nnode {\n  policy = "read"\n}\n');
    assert.equal(ok(await nomad(['acl', 'policy', 'apply', '-description', 'read only', 'readonly', 'ro.hcl'], root)).trim(), 'Successfully wrote "readonly" ACL policy!');
    writeFileSync(join(agent.dir, 'dev.hcl'), 'namespace "default" {\n  policy = "write"\n}\n');
    ok(await nomad(['acl', 'policy', 'apply', 'developer', '-'], root, 'namespace "default" {\n  policy = "write"\n}\n'));
    const policies = ok(await nomad(['acl', 'policy', 'list'], root)).split('\n');
    assert.match(policies[0]!, /^Name\s+Description$/);
    assert.ok(policies.some((l) => /^readonly\s+read only$/.test(l)), policies.join('\n'));
    const info = ok(await nomad(['acl', 'policy', 'info', 'readonly'], root));
    assert.equal(kv(info, 'Description'), 'read only');
    assert.match(info, /\nRules\n\nnamespace "default" \{\n  policy = "read"\n\}/);

    // Tokens: a read-only one reads and is refused writes.
    const created = ok(await nomad(['acl', 'token', 'create', '-name', 'reader', '-policy', 'readonly'], root));
    const reader = kv(created, 'Secret ID');
    const readerAccessor = kv(created, 'Accessor ID');
    assert.equal(kv(created, 'Policies'), '[readonly]');
    const dev = kv(ok(await nomad(['acl', 'token', 'create', '-name', 'dev', '-policy', 'developer', '-ttl', '1h'], root)), 'Secret ID');
    writeFileSync(join(agent.dir, 'say.nomad'), rawExecJob({ name: 'say', type: 'batch', command: '/bin/echo', args: ['hello from acl'], cpu: 20, memoryMB: 10 }));
    const denied = await nomad(['job', 'run', '-detach', 'say.nomad'], reader);
    assert.equal(denied.code, 1);
    assert.equal(denied.stderr.trim(), 'Error submitting job: Unexpected response code: 403 (Permission denied)');
    ok(await nomad(['job', 'run', '-detach', 'say.nomad'], dev));
    const allocs = await waitForState<Array<{ ID: string; ClientStatus: string }>>(agent.addr, '/v1/job/say/allocations', (a) => a.length === 1 && a[0]!.ClientStatus === 'complete', 30_000, reader);
    assert.match(ok(await nomad(['job', 'status', 'say'], reader)), /^ID\s+= say$/m);
    // Logs need read-logs, which "read" does not grant.
    const logsDenied = await nomad(['alloc', 'logs', allocs[0]!.ID], reader);
    assert.equal(logsDenied.code, 1);
    assert.match(logsDenied.stderr, /403 \(Permission denied\)/);
    assert.equal(ok(await nomad(['alloc', 'logs', allocs[0]!.ID], dev)), 'hello from acl\n');

    // Self, info and list; without a token self fails as Nomad's does.
    assert.equal(kv(ok(await nomad(['acl', 'token', 'self'], reader)), 'Name'), 'reader');
    const selfless = await nomad(['acl', 'token', 'self']);
    assert.equal(selfless.code, 1);
    assert.match(selfless.stderr, /^Error fetching self token: Unexpected response code: 500 \(acl token lookup failed: missing secret id\)/);
    assert.equal(kv(ok(await nomad(['acl', 'token', 'info', readerAccessor], reader)), 'Name'), 'reader', 'a token may read itself');
    const tokens = ok(await nomad(['acl', 'token', 'list'], root)).trimEnd().split('\n');
    assert.match(tokens[0]!, /^Name\s+Type\s+Global\s+Accessor ID\s+Expired$/);
    assert.equal(tokens.length, 4, tokens.join('\n'));
    const listDenied = await nomad(['acl', 'token', 'list'], reader);
    assert.equal(listDenied.stderr.trim(), 'Error listing ACL tokens: Unexpected response code: 403 (Permission denied)');
    const updated = ok(await nomad(['acl', 'token', 'update', '-name', 'reader2', readerAccessor], root));
    assert.equal(kv(updated, 'Name'), 'reader2');

    // The anonymous policy opens reads to callers without a token.
    writeFileSync(join(agent.dir, 'anon.hcl'), 'namespace "*" {\n  policy = "read"\n}\n');
    ok(await nomad(['acl', 'policy', 'apply', 'anonymous', 'anon.hcl'], root));
    assert.match(ok(await nomad(['job', 'status'])), /^ID\s+Type\s+Priority\s+Status\s+Submit Date$/m);
    assert.equal((await nomad(['job', 'stop', 'say'])).code, 1);

    // A deleted token is refused on the next request; an unknown one is "ACL token not found".
    assert.equal(ok(await nomad(['acl', 'token', 'delete', readerAccessor], root)).trim(), `Token ${readerAccessor} successfully deleted`);
    const gone = await nomad(['job', 'status'], reader);
    assert.equal(gone.stderr.trim(), 'Error querying jobs: Unexpected response code: 403 (ACL token not found)');
    assert.equal(ok(await nomad(['acl', 'policy', 'delete', 'readonly'], root)).trim(), 'Successfully deleted readonly policy!');

    // A reset: the operator writes the bootstrap's index into the reset file.
    mkdirSync(join(dataDir, 'server'), { recursive: true });
    writeFileSync(join(dataDir, 'server', 'acl-bootstrap-reset'), `${bootIndex}\n`);
    const reset = ok(await nomad(['acl', 'bootstrap']));
    assert.notEqual(kv(reset, 'Secret ID'), root);
    const twice = await nomad(['acl', 'bootstrap']);
    assert.match(twice.stderr, /Invalid bootstrap reset index \(specified \d+, reset index: \d+\)/);

    for (const secret of [root, reader, dev, kv(reset, 'Secret ID')]) assert.ok(!agent.output().includes(secret), 'no secret in the agent log');
  } finally {
    await agent.stop();
    agent.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
