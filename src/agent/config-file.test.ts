import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, loadConfigPath } from './config-file.js';
import { applyDevMode, defaultConfig, mergeConfig, rawExecEnabled } from './config.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'agent-config-'));
}

test('an HCL file sets the keys it names', () => {
  const dir = tempDir();
  const f = join(dir, 'agent.hcl');
  writeFileSync(
    f,
    `name       = "node-a"
region     = "europe"
datacenter = "dc2"
data_dir   = "/var/lib/nomad"
bind_addr  = "0.0.0.0"
log_level  = "WARN"
disable_update_check = true
advertise {
  http = "10.0.0.5"
  rpc  = "10.0.0.5:5647"
}
ports {
  http = 5646
  rpc  = 5647
  serf = 5648
}
server {
  enabled          = true
  bootstrap_expect = 1
}
client {
  enabled    = true
  node_class = "edge"
  options {
    "driver.raw_exec.enable" = "1"
  }
  meta {
    rack = "r1"
  }
  max_kill_timeout = "45s"
}
acl {
  enabled = true
}
telemetry {
  prometheus_metrics         = true
  publish_allocation_metrics = true
  collection_interval        = "5s"
}
`,
  );
  const r = loadConfigFile(f);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.warnings, []);
  const c = mergeConfig(defaultConfig(), r.config);
  assert.equal(c.name, 'node-a');
  assert.equal(c.region, 'europe');
  assert.equal(c.datacenter, 'dc2');
  assert.equal(c.dataDir, '/var/lib/nomad');
  assert.equal(c.logLevel, 'WARN');
  assert.equal(c.disableUpdateCheck, true);
  assert.deepEqual(c.advertise, { http: '10.0.0.5', rpc: '10.0.0.5:5647', serf: '' });
  assert.deepEqual(c.ports, { http: 5646, rpc: 5647, serf: 5648 });
  assert.equal(c.server.enabled, true);
  assert.equal(c.server.bootstrapExpect, 1);
  assert.equal(c.client.enabled, true);
  assert.equal(c.client.nodeClass, 'edge');
  assert.deepEqual(c.client.meta, { rack: 'r1' });
  assert.equal(c.client.maxKillTimeoutMs, 45_000);
  assert.equal(c.acl.enabled, true);
  assert.equal(c.telemetry.prometheusMetrics, true);
  assert.equal(c.telemetry.collectionIntervalMs, 5000);
  assert.equal(rawExecEnabled(c), true);
  assert.deepEqual(c.files, [f]);
  rmSync(dir, { recursive: true });
});

test('a JSON file, as the API test harness writes it, and a file with no extension', () => {
  const dir = tempDir();
  const json = { bind_addr: '127.0.0.1', data_dir: '/tmp/x', ports: { http: 6001, rpc: 6002, serf: 6003 }, server: { enabled: true, bootstrap_expect: 1 }, client: { enabled: false }, log_level: 'DEBUG' };
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'noext'), JSON.stringify({ region: 'r9' }));
  writeFileSync(join(dir, 'noext-hcl'), 'datacenter = "east"\n');
  const a = loadConfigFile(join(dir, 'cfg.json'));
  assert.deepEqual(a.errors, []);
  const c = mergeConfig(defaultConfig(), a.config);
  assert.deepEqual(c.ports, { http: 6001, rpc: 6002, serf: 6003 });
  assert.equal(c.server.bootstrapExpect, 1);
  assert.equal(c.client.enabled, false);
  assert.equal(mergeConfig(defaultConfig(), loadConfigFile(join(dir, 'noext')).config).region, 'r9');
  assert.equal(mergeConfig(defaultConfig(), loadConfigFile(join(dir, 'noext-hcl')).config).datacenter, 'east');
  rmSync(dir, { recursive: true });
});

test('unknown keys are errors that name the key and where it is', () => {
  const dir = tempDir();
  const f = join(dir, 'bad.hcl');
  writeFileSync(f, 'region = "x"\nbogus_key = 1\nserver {\n  enabled = true\n  not_a_thing = 2\n}\n');
  const r = loadConfigFile(f);
  assert.equal(r.errors.length, 2, r.errors.join('\n'));
  assert.match(r.errors[0]!, new RegExp(`^${f.replace(/[.]/g, '\\.')}:2:1: unknown configuration key "bogus_key"$`));
  assert.match(r.errors[1]!, /bad\.hcl:5:3: unknown configuration key "server\.not_a_thing"$/);
  const j = join(dir, 'bad.json');
  writeFileSync(j, JSON.stringify({ client: { enabled: true, wat: 1 } }));
  const rj = loadConfigFile(j);
  assert.equal(rj.errors.length, 1);
  assert.match(rj.errors[0]!, /unknown configuration key "client\.wat"/);
  rmSync(dir, { recursive: true });
});

test('keys Nomad knows but this agent does not act on are warnings that name them', () => {
  const dir = tempDir();
  const f = join(dir, 'w.hcl');
  writeFileSync(f, 'vault {\n  enabled = true\n}\nconsul {\n  address = "127.0.0.1:8500"\n}\naudit {\n  enabled = true\n}\nserver {\n  non_voting_server = true\n  rejoin_after_leave = true\n}\n');
  const r = loadConfigFile(f);
  assert.deepEqual(r.errors, []);
  assert.equal(r.warnings.length, 4, r.warnings.join('\n'));
  for (const key of ['vault', 'consul', 'audit', 'server.non_voting_server']) {
    assert.ok(r.warnings.some((w) => w.includes(`"${key}"`)), `a warning names ${key}: ${r.warnings.join('\n')}`);
  }
  // raft_protocol is acted on now (the Raft server announces it), and rejoin_after_leave (the
  // gossip snapshot): no warning.
  assert.ok(!r.warnings.some((w) => w.includes('raft_protocol') || w.includes('rejoin_after_leave')), r.warnings.join('\n'));
  assert.equal(r.config.server?.rejoinAfterLeave, true);
  rmSync(dir, { recursive: true });
});

test('wrong types and syntax errors are reported with positions', () => {
  const dir = tempDir();
  const f = join(dir, 't.hcl');
  writeFileSync(f, 'ports {\n  http = "abc"\n}\nserver {\n  enabled = "maybe"\n}\n');
  const r = loadConfigFile(f);
  assert.equal(r.errors.length, 2, r.errors.join('\n'));
  assert.match(r.errors[0]!, /t\.hcl:2:3: "ports\.http": expected a whole number/);
  assert.match(r.errors[1]!, /t\.hcl:5:3: "server\.enabled": expected true or false/);
  const s = join(dir, 's.hcl');
  writeFileSync(s, 'server {\n  enabled = true\n');
  const rs = loadConfigFile(s);
  assert.ok(rs.errors.length >= 1);
  assert.match(rs.errors[0]!, /s\.hcl:\d+:\d+/);
  rmSync(dir, { recursive: true });
});

test('a directory loads its .hcl and .json files in name order; later files win', () => {
  const dir = tempDir();
  const d = join(dir, 'conf.d');
  mkdirSync(d);
  writeFileSync(join(d, '10-base.hcl'), 'region = "one"\ndatacenter = "a"\nclient {\n  meta {\n    x = "1"\n  }\n}\n');
  writeFileSync(join(d, '20-over.json'), JSON.stringify({ region: 'two', client: { meta: { y: '2' } } }));
  writeFileSync(join(d, 'ignored.txt'), 'region = "three"');
  const r = loadConfigPath(d);
  assert.deepEqual(r.errors, []);
  let c = defaultConfig();
  for (const part of r.configs) c = mergeConfig(c, part);
  assert.equal(c.region, 'two');
  assert.equal(c.datacenter, 'a');
  assert.deepEqual(c.client.meta, { x: '1', y: '2' });
  assert.equal(c.files.length, 2);
  assert.match(loadConfigPath(join(dir, 'missing.hcl')).errors[0]!, /no such file or directory/);
  rmSync(dir, { recursive: true });
});

test('dev mode: server and client on loopback with raw_exec enabled', () => {
  const c = applyDevMode(defaultConfig());
  assert.equal(c.devMode, true);
  assert.equal(c.bindAddr, '127.0.0.1');
  assert.equal(c.server.enabled, true);
  assert.equal(c.server.bootstrapExpect, 1);
  assert.equal(c.client.enabled, true);
  assert.equal(rawExecEnabled(c), true);
  assert.equal(rawExecEnabled(defaultConfig()), false);
  const withPlugin = mergeConfig(defaultConfig(), { plugins: { raw_exec: { config: { enabled: true } } } });
  assert.equal(rawExecEnabled(withPlugin), true);
});

test('plugin blocks keep their configuration', () => {
  const dir = tempDir();
  const f = join(dir, 'p.hcl');
  writeFileSync(f, 'plugin "raw_exec" {\n  config {\n    enabled = true\n  }\n}\nplugin "docker" {\n  config {\n    endpoint = "unix:///tmp/d.sock"\n  }\n}\n');
  const r = loadConfigFile(f);
  assert.deepEqual(r.errors, []);
  const c = mergeConfig(defaultConfig(), r.config);
  assert.deepEqual(c.plugins['raw_exec'], { config: { enabled: true } });
  assert.deepEqual(c.plugins['docker'], { config: { endpoint: 'unix:///tmp/d.sock' } });
  rmSync(dir, { recursive: true });
});

test('the telemetry block: every key lands in the configuration, bad rules and addresses are errors with positions', () => {
  const dir = tempDir();
  const f = join(dir, 'telemetry.hcl');
  writeFileSync(
    f,
    `telemetry {
  collection_interval                    = "2s"
  in_memory_collection_interval          = "5s"
  in_memory_retention_period             = "30s"
  disable_hostname                       = true
  use_node_name                          = true
  prometheus_metrics                     = true
  publish_allocation_metrics             = true
  publish_node_metrics                   = true
  filter_default                         = false
  prefix_filter                          = ["+nomad.raft", "-nomad.raft.apply"]
  disable_dispatched_job_summary_metrics = true
  statsd_address                         = "127.0.0.1:8125"
  statsite_address                       = "statsite.local:8125"
  datadog_address                        = "[::1]:8125"
  datadog_tags                           = ["env:test"]
}
`,
  );
  const r = loadConfigFile(f);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.warnings, []);
  const t = mergeConfig(defaultConfig(), r.config).telemetry;
  assert.deepEqual(t, {
    collectionIntervalMs: 2000,
    inMemoryCollectionIntervalMs: 5000,
    inMemoryRetentionPeriodMs: 30000,
    disableHostname: true,
    useNodeName: true,
    prometheusMetrics: true,
    publishAllocationMetrics: true,
    publishNodeMetrics: true,
    filterDefault: false,
    prefixFilter: ['+nomad.raft', '-nomad.raft.apply'],
    disableDispatchedJobSummaryMetrics: true,
    statsdAddress: '127.0.0.1:8125',
    statsiteAddress: 'statsite.local:8125',
    datadogAddress: '[::1]:8125',
    datadogTags: ['env:test'],
  });
  const bad = join(dir, 'bad.hcl');
  writeFileSync(bad, 'telemetry {\n  prefix_filter = ["+ok", "nomad.raft"]\n  statsd_address = "statsd"\n  collection_interval = "0s"\n  circonus_api_token = "x"\n}\n');
  const rb = loadConfigFile(bad);
  assert.equal(rb.errors.length, 3, rb.errors.join('\n'));
  assert.match(rb.errors[0]!, /bad\.hcl:2:3: "telemetry\.prefix_filter": filter rule must begin with either '\+' or '-': "nomad\.raft"/);
  assert.match(rb.errors[1]!, /bad\.hcl:3:3: "telemetry\.statsd_address": want "host:port", got "statsd"/);
  assert.match(rb.errors[2]!, /bad\.hcl:4:3: "telemetry\.collection_interval": must be greater than zero/);
  // Circonus is not a sink this agent has: the key warns rather than being silently taken.
  assert.match(rb.warnings.join('\n'), /"telemetry\.circonus_api_token" is accepted but not supported yet/);
  rmSync(dir, { recursive: true });
});

test('a dev agent publishes Prometheus, node and allocation metrics, as today\'s Nomad', () => {
  const t = applyDevMode(defaultConfig()).telemetry;
  assert.deepEqual([t.prometheusMetrics, t.publishNodeMetrics, t.publishAllocationMetrics], [true, true, true]);
  assert.deepEqual([defaultConfig().telemetry.prometheusMetrics, defaultConfig().telemetry.publishNodeMetrics], [false, false]);
});

test('client drain_on_shutdown: an empty block turns it on with the defaults; settings are checked', () => {
  const dir = tempDir();
  try {
    const f = join(dir, 'agent.hcl');
    writeFileSync(f, 'client {\n  enabled = true\n  drain_on_shutdown {}\n}\n');
    let res = loadConfigFile(f);
    assert.deepEqual(res.errors, []);
    assert.deepEqual(mergeConfig(defaultConfig(), res.config).client.drainOnShutdown, { enabled: true, deadlineMs: 3600_000, force: false, ignoreSystemJobs: false });
    assert.equal(mergeConfig(defaultConfig(), {}).client.drainOnShutdown.enabled, false);

    writeFileSync(f, 'client {\n  drain_on_shutdown {\n    deadline = "90s"\n    force = true\n    ignore_system_jobs = true\n  }\n}\n');
    res = loadConfigFile(f);
    assert.deepEqual(res.errors, []);
    assert.deepEqual(mergeConfig(defaultConfig(), res.config).client.drainOnShutdown, { enabled: true, deadlineMs: 90_000, force: true, ignoreSystemJobs: true });

    writeFileSync(f, 'client {\n  drain_on_shutdown {\n    deadline = "0s"\n    grace = "1s"\n  }\n}\n');
    res = loadConfigFile(f);
    assert.equal(res.errors.length, 2, res.errors.join('\n'));
    assert.match(res.errors[0]!, /agent\.hcl:3:\d+: "client\.drain_on_shutdown\.deadline": must be a positive duration/);
    assert.match(res.errors[1]!, /agent\.hcl:4:\d+: unknown configuration key "client\.drain_on_shutdown\.grace"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
