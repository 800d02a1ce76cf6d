import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcessApi, type InProcessApi } from '../../test/unit/http-harness.js';
import type { AgentInfo } from './agent-info.js';
import { takeProfile } from '../agent/profiler.js';

let api: InProcessApi;
let debugEnabled = true;

/** The parts of an agent the profiling routes use: the real profiler of this process. */
const agent = {
  profile: (kind: 'cpu' | 'heap' | 'allocs', seconds: number) => takeProfile(kind, seconds),
  get debugEnabled() {
    return debugEnabled;
  },
  serverNames: () => ['test', 'test.global'],
} as unknown as AgentInfo;

before(async () => {
  api = await startInProcessApi({ http: { agent } });
});

after(async () => {
  await api.close();
});

test('pprof answers with V8 profiles of this process: a CPU profile, a heap snapshot, allocations, the command line', async () => {
  const cpu = await api.call('GET', '/v1/agent/pprof/profile?seconds=1');
  assert.equal(cpu.status, 200);
  assert.equal(cpu.headers['content-type'], 'application/octet-stream');
  assert.equal(cpu.headers['content-disposition'], 'attachment; filename="profile"');
  const profile = cpu.json();
  assert.ok(Array.isArray(profile.nodes) && profile.nodes.length > 0);
  assert.ok(profile.endTime - profile.startTime >= 900_000, 'about one second of samples (microseconds)');
  const heap = await api.call('GET', '/v1/agent/pprof/heap');
  assert.equal(heap.status, 200);
  assert.ok(heap.json().snapshot.node_count > 0);
  const allocs = await api.call('GET', '/v1/agent/pprof/allocs?seconds=1');
  assert.ok(allocs.json().head);
  const cmdline = await api.call('GET', '/v1/agent/pprof/cmdline');
  assert.equal(cmdline.text, process.argv.join('\0'));
});

test('pprof refuses what it cannot give, and gives nothing without enable_debug', async () => {
  const go = await api.call('GET', '/v1/agent/pprof/goroutine');
  assert.equal(go.status, 404);
  assert.match(go.text, /^Pprof profile not found profile: goroutine/);
  const long = await api.call('GET', '/v1/agent/pprof/profile?seconds=301');
  assert.deepEqual([long.status, long.text], [400, 'seconds must be at most 300, got 301']);
  const both = await api.call('GET', '/v1/agent/pprof/heap?node_id=a&server_id=b');
  assert.deepEqual([both.status, both.text], [400, 'Cannot target node and server simultaneously']);
  const unknownNode = await api.call('GET', '/v1/agent/pprof/heap?node_id=c9b83144-0000-0000-0000-000000000000');
  assert.deepEqual([unknownNode.status, unknownNode.text], [404, 'Unknown node']);
  const otherServer = await api.call('GET', '/v1/agent/pprof/heap?server_id=elsewhere.global');
  assert.equal(otherServer.status, 400);
  assert.match(otherServer.text, /not this agent's server/);
  debugEnabled = false;
  try {
    const denied = await api.call('GET', '/v1/agent/pprof/heap');
    assert.deepEqual([denied.status, denied.text], [403, 'Permission denied']);
  } finally {
    debugEnabled = true;
  }
});

test('monitor parameters are checked before anything streams', async () => {
  const cases: Array<[string, number, string]> = [
    ['/v1/agent/monitor?log_level=loud', 400, 'Unknown log level: loud'],
    ['/v1/agent/monitor?log_json=maybe', 400, 'Unknown option for log json: strconv.ParseBool: parsing "maybe": invalid syntax'],
    ['/v1/agent/monitor?node_id=a&server_id=b', 400, 'Cannot target node and server simultaneously'],
    ['/v1/agent/monitor?log_include_location=true', 400, 'log_include_location is not supported by this agent: its log lines carry no source locations'],
  ];
  for (const [path, status, text] of cases) {
    const r = await api.call('GET', path);
    assert.deepEqual([r.status, r.text], [status, text], path);
  }
});
