// Three server agents with ACLs on: a request sent to a follower is checked there and again on
// the leader it is forwarded to, with the caller's token; a stranger speaking to the leader's RPC
// port directly gets nothing done without a token that allows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcPool, silentRpcLogger } from '../../src/rpc/index.js';
import { Cluster, agreedLeader, jobBody, type ServerSpec } from './cluster-harness.js';
import { runNomad } from './harness.js';

async function post(s: ServerSpec, path: string, body: unknown, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(s.addr + path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(token ? { 'X-Nomad-Token': token } : {}) },
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, text: await res.text() };
}

test('three servers with ACLs: forwarded writes carry the caller\'s token and the leader checks it', { timeout: 120_000 }, async () => {
  const cluster = await Cluster.create(3, { base: 20, namePrefix: 'acl', extraConfig: 'acl {\n  enabled = true\n}\n' });
  const pool = new RpcPool({ logger: silentRpcLogger, connectTimeoutMs: 2_000 });
  try {
    await cluster.startAll();
    const leader = await agreedLeader(cluster.specs);
    const follower = cluster.specs.find((s) => s !== leader)!;

    const boot = await post(follower, '/v1/acl/bootstrap', {});
    assert.equal(boot.status, 200, boot.text);
    const root = (JSON.parse(boot.text) as { SecretID: string }).SecretID;

    const anonymous = await post(follower, '/v1/jobs', jobBody('acl-job'));
    assert.equal(anonymous.status, 403);
    assert.equal(anonymous.text, 'Permission denied');
    const allowed = await post(follower, '/v1/jobs', jobBody('acl-job'), root);
    assert.equal(allowed.status, 200, allowed.text);

    // The CLI through the follower, with and without NOMAD_TOKEN.
    const denied = await runNomad(['job', 'status', 'acl-job'], follower.addr);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /403 \(Permission denied\)/);
    const shown = await runNomad(['job', 'status', 'acl-job'], follower.addr, { env: { NOMAD_TOKEN: root } });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /ID +\s*= acl-job/);

    // Straight to the leader's RPC port: the forwarded-call method without a token does nothing.
    const rpcAddr = `${leader.ip}:${leader.rpc}`;
    const call = { Endpoint: 'Job', Method: 'deregister', Args: ['default', 'acl-job', true] };
    await assert.rejects(() => pool.call(rpcAddr, 'Server.Forward', call), /Permission denied/);
    await assert.rejects(() => pool.call(rpcAddr, 'Server.Forward', { ...call, AuthToken: '00000000-0000-4000-8000-000000000000' }), /ACL token not found/);
    const still = await fetch(`${leader.addr}/v1/job/acl-job`, { headers: { 'X-Nomad-Token': root } });
    assert.equal(still.status, 200, 'the job is still there');
    await pool.call(rpcAddr, 'Server.Forward', { ...call, AuthToken: root });
    const gone = await fetch(`${leader.addr}/v1/job/acl-job`, { headers: { 'X-Nomad-Token': root } });
    assert.equal(gone.status, 404, 'purged with the management token');
  } finally {
    await pool.close();
    await cluster.shutdown();
  }
});
