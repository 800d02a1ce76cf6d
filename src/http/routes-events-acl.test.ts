import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { startAclApiServer, type AclApiServer } from '../../test/unit/acl-api-server.js';
import { LineReader } from '../../test/unit/line-reader.js';

let api: AclApiServer;
let root = '';
let jobReader = '';

function open(path: string, token: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: api.port, path, headers: { 'X-Nomad-Token': token } }, resolve);
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  api = await startAclApiServer();
  root = JSON.parse((await api.call('PUT', '/v1/acl/bootstrap')).text).SecretID;
  assert.equal((await api.call('PUT', '/v1/acl/policy/jobs', root, { Name: 'jobs', Rules: 'namespace "default" { policy = "read" }' })).status, 200);
  jobReader = JSON.parse((await api.call('PUT', '/v1/acl/token', root, { Name: 'r', Type: 'client', Policies: ['jobs'] })).text).SecretID;
});

after(() => api.close());

test('with ACLs each topic asks for its right: read-job for jobs, node:read for nodes, management for all and ACL topics', async () => {
  for (const [topic, token, status] of [
    ['Job', jobReader, 200],
    ['Evaluation:web', jobReader, 200],
    ['Node', jobReader, 403],
    ['*', jobReader, 403],
    ['ACLToken', jobReader, 403],
    ['Job', '', 403],
  ] as const) {
    const res = await open(`/v1/event/stream?topic=${encodeURIComponent(topic)}`, token);
    assert.equal(res.statusCode, status, `${topic} with ${token ? 'a job reader' : 'no token'}`);
    res.destroy();
  }
});

test('ACL token changes are events for management tokens, without the secret', async () => {
  const res = await open('/v1/event/stream?topic=ACLToken', root);
  assert.equal(res.statusCode, 200);
  const lines = new LineReader(res);
  const created = JSON.parse((await api.call('PUT', '/v1/acl/token', root, { Name: 'watched', Type: 'client', Policies: ['jobs'] })).text);
  const frame = await lines.until((f) => Array.isArray(f.Events) && f.Events.some((e: { Key: string }) => e.Key === created.AccessorID));
  const e = frame.Events.find((x: { Key: string }) => x.Key === created.AccessorID);
  assert.equal(e.Type, 'ACLTokenUpserted');
  assert.equal(e.Payload.ACLToken.Name, 'watched');
  assert.equal(e.Payload.ACLToken.SecretID, '');
  assert.ok(!JSON.stringify(frame).includes(created.SecretID), 'the secret is nowhere in the frame');
  res.destroy();
});
