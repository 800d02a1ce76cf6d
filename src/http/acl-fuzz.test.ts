// Seeded fuzz of the ACL surface of a real HTTP server: random token strings are refused with
// 403, random policy texts are stored or refused with 400 naming a line and column; the server
// never answers 500 and keeps serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { StateStore } from '../state/store.js';
import { FSM } from '../state/fsm.js';
import { InMemoryConsensus } from '../server/consensus-memory.js';
import { Server } from '../server/server.js';
import { TokenResolver } from '../acl/resolver.js';
import { HttpServer } from './http-server.js';
import { mutatedPolicy, randomToken, seededRandom } from '../../test/unit/seeded-random.js';

const SEED = Number(process.env.FUZZ_SEED ?? 41);
let port = 0;
let server: Server;
let http: HttpServer;
let consensus: InMemoryConsensus;
let root = '';

function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: token ? { 'X-Nomad-Token': token } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

before(async () => {
  const store = new StateStore();
  consensus = new InMemoryConsensus(new FSM(store), { rpcAddr: '127.0.0.1:4647' });
  server = new Server({ region: 'global', datacenter: 'dc1', nodeName: 'fuzz', store, consensus, rpcAddr: '127.0.0.1:4647', numSchedulers: 1 });
  const leader = new Promise<void>((r) => consensus.onLeadershipChange(() => r()));
  server.start();
  await leader;
  await server.whenSettled();
  http = new HttpServer({ server, store, client: null, agent: null, port: 0, acl: new TokenResolver({ state: () => store.snapshot(), nowMs: () => Date.now() }) });
  port = (await http.listen()).port;
  root = (JSON.parse((await call('PUT', '/v1/acl/bootstrap', '')).text) as { SecretID: string }).SecretID;
});

after(async () => {
  await http.close();
  await server.shutdown();
  await consensus.shutdown();
});

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
