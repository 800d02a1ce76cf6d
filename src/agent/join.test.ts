// Start-up joins: the two spellings of the join settings, their conflicts, and the retry loop's
// bounds (it stops when joined, when stopped, or after retry_max failed retries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, mergeConfig, type AgentConfig } from './config.js';
import { loadConfigFile } from './config-file.js';
import { checkJoinConfig, DEFAULT_RETRY_INTERVAL_MS, joinPlan, RetryJoiner } from './join.js';
import { silentLogger, type Logger } from './logger.js';

function configFrom(hcl: string): AgentConfig {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-join-'));
  try {
    const file = join(dir, 'agent.hcl');
    writeFileSync(file, hcl);
    const res = loadConfigFile(file);
    assert.deepEqual(res.errors, []);
    assert.deepEqual(res.warnings, []);
    return mergeConfig(defaultConfig(), res.config);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('server_join is read from the server block with its retry settings', () => {
  const c = configFrom(`server {
  enabled = true
  server_join {
    start_join     = ["10.0.0.1"]
    retry_join     = ["10.0.0.2:4648", "10.0.0.3"]
    retry_interval = "15s"
    retry_max      = 3
  }
}
`);
  assert.equal(checkJoinConfig(c), null);
  assert.deepEqual(joinPlan(c), { startJoin: ['10.0.0.1'], retryJoin: ['10.0.0.2:4648', '10.0.0.3'], retryIntervalMs: 15_000, retryMax: 3 });
});

test('the older server-level spelling works and defaults to 30s with no limit', () => {
  const c = configFrom('server {\n  retry_join = ["a"]\n  start_join = ["b"]\n}\n');
  assert.equal(checkJoinConfig(c), null);
  assert.deepEqual(joinPlan(c), { startJoin: ['b'], retryJoin: ['a'], retryIntervalMs: DEFAULT_RETRY_INTERVAL_MS, retryMax: 0 });
});

test('mixing server_join with the older keys is refused with Nomad wording', () => {
  const c = configFrom('server {\n  retry_join = ["a"]\n  server_join {\n    retry_join = ["b"]\n  }\n}\n');
  assert.equal(checkJoinConfig(c), 'server_join and retry_join cannot both be defined; prefer setting the server_join stanza');
  const d = configFrom('server {\n  retry_interval = "5s"\n  server_join {\n    start_join = ["b"]\n  }\n}\n');
  assert.equal(checkJoinConfig(d), 'server_join and retry_interval cannot both be defined; prefer setting the server_join stanza');
  const e = configFrom('server {\n  server_join {\n    retry_max = -1\n  }\n}\n');
  assert.equal(checkJoinConfig(e), 'retry_max must not be negative');
});

/** A logger that keeps its lines, to check what operators would read. */
function recordingLogger(lines: string[]): Logger {
  const rec = (level: string) => (msg: string, fields?: object) => lines.push(`${level} ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}`);
  return { trace: rec('TRACE'), debug: rec('DEBUG'), info: rec('INFO'), warn: rec('WARN'), error: rec('ERROR'), named: () => silentLogger };
}

test('retry join tries again after failures and stops once joined', async () => {
  const lines: string[] = [];
  let calls = 0;
  const joiner = new RetryJoiner({
    addrs: ['127.0.0.1:1'],
    intervalMs: 1,
    maxRetries: 0,
    join: async () => {
      calls++;
      if (calls < 3) throw new Error('no answer');
      return 2;
    },
    logger: recordingLogger(lines),
    onExhausted: () => assert.fail('must not give up without a limit'),
  });
  joiner.start();
  assert.equal(await joiner.done, 'joined');
  assert.equal(calls, 3);
  assert.equal(lines[0], 'INFO starting retry join {"servers":"127.0.0.1:1"}');
  assert.equal(lines.filter((l) => l.startsWith('WARN join failed')).length, 2);
  assert.equal(lines.at(-1), 'INFO retry join completed {"initial_servers":2,"agent_mode":"server"}');
});

test('retry join gives up after retry_max failed retries and says so once', async () => {
  const lines: string[] = [];
  let exhausted = 0;
  let calls = 0;
  const joiner = new RetryJoiner({
    addrs: ['x'],
    intervalMs: 1,
    maxRetries: 2,
    join: async () => {
      calls++;
      throw new Error('refused');
    },
    logger: recordingLogger(lines),
    onExhausted: () => exhausted++,
  });
  joiner.start();
  assert.equal(await joiner.done, 'exhausted');
  // The first attempt plus two retries, as Nomad counts retry_max.
  assert.equal(calls, 3);
  assert.equal(exhausted, 1);
  assert.equal(lines.at(-1), 'ERROR max join retry exhausted, exiting');
});

test('a stopped retry join makes no further attempt', async () => {
  let calls = 0;
  let release: () => void = () => undefined;
  const firstAttempt = new Promise<void>((r) => (release = r));
  const joiner = new RetryJoiner({
    addrs: ['x'],
    intervalMs: 60_000,
    maxRetries: 0,
    join: async () => {
      calls++;
      release();
      throw new Error('refused');
    },
    logger: silentLogger,
    onExhausted: () => assert.fail('stopped, not exhausted'),
  });
  joiner.start();
  await firstAttempt;
  joiner.stop();
  assert.equal(await joiner.done, 'stopped');
  assert.equal(calls, 1);
  assert.throws(() => new RetryJoiner({ addrs: [], intervalMs: 0, maxRetries: 0, join: async () => 0, logger: silentLogger, onExhausted: () => undefined }), RangeError);
});
