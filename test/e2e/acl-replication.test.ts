// ACLs across two federated regions, as separate processes: east is authoritative, west names it
// (authoritative_region) and copies from it with a replication token. A policy and a global
// token made through west's API are written in east and come back to west, as does east's
// bootstrap token; a local token of west stays in west. With east killed, west goes on serving
// with what it has, and refuses global ACL writes with an error that says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, waitFor } from './cluster-harness.js';
import { Federation } from './federation-harness.js';
import { runNomad } from './harness.js';

const MANAGEMENT_SECRET = '3f0e8a52-8d8e-4c51-a1a4-7c2d5b9e6f01';

test('ACL replication between regions: global writes go to the authoritative region, local tokens stay', { timeout: 240_000 }, async () => {
  const fed = await Federation.start([
    { region: 'east', servers: 1, base: 71, options: { extraConfig: 'acl {\n  enabled = true\n}\n' } },
    {
      region: 'west',
      servers: 1,
      base: 72,
      options: { extraConfig: `acl {\n  enabled = true\n  replication_token = "${MANAGEMENT_SECRET}"\n}\nserver {\n  authoritative_region = "east"\n}\n` },
    },
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'nomad-acl-replication-'));
  try {
    const east = fed.server('east');
    const west = fed.server('west');
    // Joining needs agent:write, so east is bootstrapped first.
    const boot = await http<{ SecretID: string; Global: boolean }>(east.addr, 'PUT', '/v1/acl/bootstrap', { BootstrapSecret: MANAGEMENT_SECRET });
    assert.equal(boot.status, 200, boot.text);
    assert.equal(boot.body.Global, true);
    const asManager = { env: { NOMAD_TOKEN: MANAGEMENT_SECRET } };
    // West does not know the token yet: it has nothing copied.
    const unknown = await runNomad(['server', 'join', `${east.ip}:${east.serf}`], west.addr, asManager);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /ACL token not found/);
    await fed.join(east, west, { token: MANAGEMENT_SECRET });
    await waitFor('west has the bootstrap token', async () => ((await http(west.addr, 'GET', '/v1/acl/token/self', undefined, 5_000, MANAGEMENT_SECRET)).status === 200 ? true : undefined), 60_000);
    const again = await http(west.addr, 'PUT', '/v1/acl/bootstrap', {});
    assert.equal(again.status, 400);
    assert.match(again.text, /^ACL bootstrap already done \(reset index: \d+\)$/, 'a bootstrap through west is made (and refused) in east');

    const rules = join(dir, 'readonly.hcl');
    writeFileSync(rules, 'namespace "default" {\n  policy = "read"\n}\nnode {\n  policy = "read"\n}\n');
    const applied = await runNomad(['acl', 'policy', 'apply', '-description', 'read only', 'readonly', rules], west.addr, asManager);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal((await http(east.addr, 'GET', '/v1/acl/policy/readonly', undefined)).status, 403, 'reading a policy needs a token');

    const created = await runNomad(['acl', 'token', 'create', '-name', 'everywhere', '-global', '-policy', 'readonly', '-json'], west.addr, asManager);
    assert.equal(created.code, 0, created.stderr);
    const global = JSON.parse(created.stdout) as { AccessorID: string; SecretID: string };
    const local = JSON.parse((await runNomad(['acl', 'token', 'create', '-name', 'west-only', '-policy', 'readonly', '-json'], west.addr, asManager)).stdout) as { AccessorID: string; SecretID: string };

    // Everything global is east's, and comes back to west; west's local token is west's alone.
    const info = (addr: string, accessor: string): Promise<number> => runNomad(['acl', 'token', 'info', accessor], addr, asManager).then((r) => r.code ?? -1);
    assert.equal(await info(east.addr, global.AccessorID), 0, 'the global token was made in east');
    assert.equal(await info(east.addr, local.AccessorID), 1, 'the local token is not in east');
    await waitFor('west has the replicated policy and tokens', async () => {
      const policy = await runNomad(['acl', 'policy', 'info', 'readonly'], west.addr, asManager);
      return policy.code === 0 && (await info(west.addr, global.AccessorID)) === 0 ? true : undefined;
    }, 60_000);
    assert.equal(await info(west.addr, local.AccessorID), 0);

    for (const s of [east, west]) {
      const r = await runNomad(['node', 'status'], s.addr, { env: { NOMAD_TOKEN: global.SecretID } });
      assert.equal(r.code, 0, `the global token works in ${s.name}: ${r.stderr}`);
    }
    const localInEast = await runNomad(['job', 'status'], east.addr, { env: { NOMAD_TOKEN: local.SecretID } });
    assert.equal(localInEast.code, 1);
    assert.match(localInEast.stderr, /ACL token not found/);

    // Namespaces are the authoritative region's too: applied through west, made in east, copied back.
    const nsApplied = await runNomad(['namespace', 'apply', '-description', 'team a', 'team-a'], west.addr, asManager);
    assert.equal(nsApplied.code, 0, nsApplied.stderr);
    assert.equal((await http(east.addr, 'GET', '/v1/namespace/team-a', undefined, 5_000, MANAGEMENT_SECRET)).status, 200, 'the namespace was made in east');
    await waitFor('west has the namespace', async () => ((await http(west.addr, 'GET', '/v1/namespace/team-a?stale', undefined, 5_000, MANAGEMENT_SECRET)).status === 200 ? true : undefined), 60_000);

    // The authoritative region is lost: west serves with what it has, and says why global writes fail.
    await fed.cluster('east').kill('east-s1');
    for (const token of [global.SecretID, local.SecretID, MANAGEMENT_SECRET]) {
      const r = await runNomad(['job', 'status'], west.addr, { env: { NOMAD_TOKEN: token } });
      assert.equal(r.code, 0, r.stderr);
    }
    const refused = await runNomad(['acl', 'policy', 'apply', 'later', rules], west.addr, asManager);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /(Failed to reach region "east"|No path to region)/);
    const nsRefused = await runNomad(['namespace', 'apply', 'team-b'], west.addr, asManager);
    assert.equal(nsRefused.code, 1);
    assert.match(nsRefused.stderr, /(Failed to reach region "east"|No path to region)/);
    const nsKept = await runNomad(['namespace', 'status', 'team-a'], west.addr, asManager);
    assert.equal(nsKept.code, 0, 'west still serves its copy of the namespace: ' + nsKept.stderr);
    const stillLocal = await runNomad(['acl', 'token', 'create', '-name', 'during-outage', '-policy', 'readonly'], west.addr, asManager);
    assert.equal(stillLocal.code, 0, 'local tokens are still made in west: ' + stillLocal.stderr);
  } finally {
    await fed.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});
