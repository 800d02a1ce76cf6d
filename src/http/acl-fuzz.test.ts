// Seeded fuzz of the ACL surface of a real HTTP server: random token strings are refused with
// 403, random policy texts are stored or refused with 400 naming a line and column; the server
// never answers 500 and keeps serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mutatedPolicy, randomToken, seededRandom } from '../../test/unit/acl-fuzz-inputs.js';
import { startAclApiServer, type AclApiServer } from '../../test/unit/acl-api-server.js';

const SEED = Number(process.env.FUZZ_SEED ?? 41);
let api: AclApiServer;
let root = '';

function call(method: string, path: string, token: string, body?: unknown) {
  return api.call(method, path, token, body);
}

before(async () => {
  api = await startAclApiServer();
  root = (JSON.parse((await call('PUT', '/v1/acl/bootstrap', '')).text) as { SecretID: string }).SecretID;
});

after(() => api.close());

test(`random tokens are refused with 403 (seed ${SEED})`, async () => {
  const rand = seededRandom(SEED);
  for (let i = 0; i < 300; i++) {
    const token = randomToken(rand);
    const res = await call('GET', rand() < 0.5 ? '/v1/jobs' : '/v1/acl/token/self', token);
    assert.equal(res.status, 403, `round ${i}: ${JSON.stringify(token)} -> ${res.status} ${res.text}`);
    assert.ok(res.text === 'ACL token not found' || res.text === 'Permission denied', `round ${i}: ${res.text}`);
  }
});

test(`random policies are stored or refused with a position, never a 500 (seed ${SEED})`, async () => {
  const rand = seededRandom(SEED + 1);
  let stored = 0;
  for (let i = 0; i < 300; i++) {
    const rules = mutatedPolicy(rand);
    const res = await call('PUT', '/v1/acl/policy/fuzz', root, { Name: 'fuzz', Rules: rules });
    if (res.status === 200) {
      stored++;
      continue;
    }
    assert.equal(res.status, 400, `round ${i}: ${JSON.stringify(rules)} -> ${res.status} ${res.text}`);
    assert.match(res.text, /failed to parse rules: \d+:\d+: /, `round ${i}: ${res.text}`);
  }
  assert.ok(stored > 0, 'some mutations are still valid policies');
  assert.equal((await call('GET', '/v1/status/leader', '')).status, 200, 'the server still serves');
});
