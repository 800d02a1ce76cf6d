// The monitoring guide end to end with the real programs: Prometheus scrapes the agent's
// /v1/metrics?format=prometheus, an alert rule from examples/monitoring on a Nomad metric fires
// when a task is stopped, and Alertmanager delivers it to a webhook receiver here; then the same
// with Prometheus and Alertmanager run as Nomad jobs (raw_exec), as the guide runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, getJson, REPO_ROOT, runNomad, startDevAgent, waitForState, type AgentProcess } from './harness.js';
import { agreedLeader, Cluster } from './cluster-harness.js';
import {
  ALERTMANAGER_BIN,
  alertmanagerArgs,
  ensureMonitoringTools,
  PROMETHEUS_BIN,
  prometheusArgs,
  PROMTOOL_BIN,
  startReadyProcess,
  startWebhookReceiver,
  waitForQuery,
  writeAlertmanagerConfig,
  writePrometheusConfig,
} from './monitoring-stack.js';

const RULES_FILE = join(REPO_ROOT, 'examples', 'monitoring', 'nomad-alerts.yml');
const DASHBOARD_FILE = join(REPO_ROOT, 'examples', 'monitoring', 'nomad-dashboard.json');
const TELEMETRY = `telemetry {
  collection_interval        = "1s"
  prometheus_metrics         = true
  publish_allocation_metrics = true
  publish_node_metrics       = true
}
`;
const STEP_TIMEOUT_MS = 60_000;

const skip = await ensureMonitoringTools();
const skipReason = skip?.skip;

/** Two sleeping tasks that, once killed, are neither restarted nor rescheduled. */
function webJob(sleepSeconds: number): string {
  return `job "web" {
  datacenters = ["dc1"]
  group "g" {
    count = 2
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["${sleepSeconds}"]
      }
      resources {
        cpu    = 50
        memory = 16
      }
    }
  }
}
`;
}

/** A sleep length no other test uses, so the web job's processes can be told apart. */
function uniqueSleepSeconds(): number {
  return 100_000 + Math.floor(Math.random() * 800_000);
}

/** Kills what is left of the web job's tasks (agents killed with -9 leave their tasks running). */
function killLeftovers(sleepSeconds: number): void {
  for (const pid of pidsOf(['/bin/sleep', String(sleepSeconds)])) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
}

/** The pids of processes whose command line is exactly argv. */
function pidsOf(argv: string[]): number[] {
  const want = argv.join('\0') + '\0';
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8') === want) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Runs the web job, waits for Prometheus to see both running, kills one task, waits for the alert. */
async function stopTaskAndExpectAlert(agent: Pick<AgentProcess, 'addr' | 'dir'>, promAddr: string, hook: Awaited<ReturnType<typeof startWebhookReceiver>>, sleepSeconds: number): Promise<void> {
  const jobFile = join(agent.dir, 'web.nomad');
  writeFileSync(jobFile, webJob(sleepSeconds));
  const run = await runNomad(['job', 'run', '-detach', jobFile], agent.addr);
  assert.equal(run.code, 0, run.stderr);
  await waitForState<Array<{ ClientStatus: string }>>(agent.addr, '/v1/job/web/allocations', (a) => a.length === 2 && a.every((x) => x.ClientStatus === 'running'), STEP_TIMEOUT_MS);
  const running = await waitForQuery(promAddr, 'nomad_nomad_job_summary_running{job="web"}', (r) => r.length === 1 && r[0]!.value === 2, STEP_TIMEOUT_MS);
  assert.equal(running[0]!.metric['task_group'], 'g');
  assert.equal(running[0]!.metric['namespace'], 'default');
  // Per-task figures from the client, labelled as Nomad labels them.
  const rss = await waitForQuery(promAddr, 'nomad_client_allocs_memory_rss{job="web"}', (r) => r.length === 2, STEP_TIMEOUT_MS);
  for (const s of rss) {
    assert.equal(s.metric['task'], 't');
    assert.match(s.metric['alloc_id'] ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(s.value > 0, 'a sleeping task has resident memory');
  }
  const pids = pidsOf(['/bin/sleep', String(sleepSeconds)]);
  assert.equal(pids.length, 2, 'both tasks run as processes');
  process.kill(pids[0]!, 'SIGKILL');
  await waitForState<Array<{ ClientStatus: string }>>(agent.addr, '/v1/job/web/allocations', (a) => a.filter((x) => x.ClientStatus === 'failed').length === 1, STEP_TIMEOUT_MS);
  const alert = await hook.waitFor((a) => a.status === 'firing' && a.labels['alertname'] === 'NomadJobRunningBelowRecent' && a.labels['job'] === 'web', STEP_TIMEOUT_MS);
  assert.equal(alert.labels['task_group'], 'g');
  assert.match(alert.annotations['summary'] ?? '', /web\/g runs 1 allocations/);
}

test('Prometheus scrapes the agent, a rule fires when a task is stopped, Alertmanager delivers it', { skip: skipReason, timeout: 5 * STEP_TIMEOUT_MS }, async () => {
  const hook = await startWebhookReceiver();
  const agent = await startDevAgent({ extraConfig: TELEMETRY });
  const stops: Array<() => Promise<void>> = [];
  const sleepSeconds = uniqueSleepSeconds();
  try {
    await agent.waitForOutput(/Nomad agent started/);
    // The exposition itself must parse as Prometheus' text format (promtool only lints names beyond that).
    const scrape = await fetch(`${agent.addr}/v1/metrics?format=prometheus`);
    assert.equal(scrape.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await scrape.text();
    const check = await promtool(['check', 'metrics'], text);
    assert.doesNotMatch(check, /parsing error|error while linting/, check);
    // The shipped alert rules are valid rules.
    const rules = await promtool(['check', 'rules', RULES_FILE], '');
    assert.match(rules, /SUCCESS: \d+ rules found/, rules);

    // The CLI shows the same figures.
    const cliProm = await runNomad(['operator', 'metrics', '-format', 'prometheus'], agent.addr);
    assert.equal(cliProm.code, 0, cliProm.stderr);
    assert.match(cliProm.stdout, /^# TYPE nomad_nomad_broker_total_ready gauge$/m);
    const cliJson = await runNomad(['operator', 'metrics', '-json'], agent.addr);
    assert.equal(cliJson.code, 0, cliJson.stderr);
    assert.ok((JSON.parse(cliJson.stdout) as { Gauges: Array<{ Name: string }> }).Gauges.some((g) => g.Name === 'nomad.runtime.alloc_bytes'));

    const [amPort, promPort] = [await freePort(), await freePort()];
    const am = await startReadyProcess(ALERTMANAGER_BIN, alertmanagerArgs(writeAlertmanagerConfig(agent.dir, hook.url), amPort), `http://127.0.0.1:${amPort}/-/ready`);
    stops.push(() => am.stop());
    const promFiles = writePrometheusConfig(agent.dir, { targets: [`127.0.0.1:${agent.httpPort}`], rulesFile: RULES_FILE, alertmanager: `127.0.0.1:${amPort}` });
    const prom = await startReadyProcess(PROMETHEUS_BIN, prometheusArgs(promFiles, promPort), `http://127.0.0.1:${promPort}/-/ready`);
    stops.push(() => prom.stop());
    const promAddr = `http://127.0.0.1:${promPort}`;

    const up = await waitForQuery(promAddr, 'up{job="nomad"}', (r) => r.length === 1 && r[0]!.value === 1, STEP_TIMEOUT_MS);
    assert.equal(up[0]!.metric['instance'], `127.0.0.1:${agent.httpPort}`);
    // Server, raft, runtime and node figures are all there under Nomad's names.
    for (const q of ['nomad_nomad_broker_total_ready', 'nomad_raft_appliedIndex', 'nomad_runtime_alloc_bytes', 'nomad_client_host_memory_total', 'nomad_nomad_fsm_register_node_count']) {
      await waitForQuery(promAddr, q, (r) => r.length >= 1, STEP_TIMEOUT_MS);
    }
    await stopTaskAndExpectAlert(agent, promAddr, hook, sleepSeconds);

    // Every query of the shipped dashboard is valid PromQL and finds the agent's series.
    const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    for (const panel of dashboard.panels) {
      for (const t of panel.targets) {
        const expr = t.expr.replace(/\$job/g, '.*');
        await waitForQuery(promAddr, expr, (r) => r.length > 0, STEP_TIMEOUT_MS).catch((e: Error) => assert.fail(`dashboard panel "${panel.title}": ${e.message}`));
      }
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
    await agent.stop();
    agent.cleanup();
    killLeftovers(sleepSeconds);
    await hook.close();
  }
});

test('the same with Prometheus and Alertmanager run as Nomad jobs', { skip: skipReason, timeout: 5 * STEP_TIMEOUT_MS }, async () => {
  const hook = await startWebhookReceiver();
  const agent = await startDevAgent({ extraConfig: TELEMETRY });
  const sleepSeconds = uniqueSleepSeconds();
  try {
    await agent.waitForOutput(/Nomad agent started/);
    const [amPort, promPort] = [await freePort(), await freePort()];
    const amConfig = writeAlertmanagerConfig(agent.dir, hook.url).configFile;
    const promConfig = writePrometheusConfig(agent.dir, { targets: [`127.0.0.1:${agent.httpPort}`], rulesFile: RULES_FILE, alertmanager: `127.0.0.1:${amPort}` }).configFile;
    for (const [file, config, port] of [
      ['alertmanager.nomad', amConfig, amPort],
      ['prometheus.nomad', promConfig, promPort],
    ] as const) {
      const res = await runNomad(['job', 'run', '-detach', '-var', `config_file=${config}`, '-var', `listen=127.0.0.1:${port}`, join(REPO_ROOT, 'examples', 'monitoring', file)], agent.addr);
      assert.equal(res.code, 0, res.stderr);
    }
    for (const port of [amPort, promPort]) {
      await waitUntil(() => fetch(`http://127.0.0.1:${port}/-/ready`).then((r) => r.status === 200, () => false), STEP_TIMEOUT_MS, `the job listening on ${port} to be ready`);
    }
    const promAddr = `http://127.0.0.1:${promPort}`;
    await waitForQuery(promAddr, 'up{job="nomad"}', (r) => r.length === 1 && r[0]!.value === 1, STEP_TIMEOUT_MS);
    // The agent measures the monitoring jobs' own tasks too.
    await waitForQuery(promAddr, 'nomad_client_allocs_cpu_total_ticks{job="prometheus",task="prometheus"}', (r) => r.length === 1, STEP_TIMEOUT_MS);
    await stopTaskAndExpectAlert(agent, promAddr, hook, sleepSeconds);
    const jobs = await getJson<Array<{ ID: string; Status: string }>>(agent.addr, '/v1/jobs');
    assert.deepEqual(jobs.body.map((j) => j.ID).sort(), ['alertmanager', 'prometheus', 'web']);
  } finally {
    // Stopping the agent in dev mode stops its tasks, Prometheus and Alertmanager with them.
    await agent.stop();
    agent.cleanup();
    killLeftovers(sleepSeconds);
    await hook.close();
  }
});

/** promtool's whole output (its exit code says only that it found lint or errors). */
async function promtool(args: string[], input: string): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL_BIN, args, { encoding: 'utf8' }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    child.stdin!.end(input);
  });
}

async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

test('Prometheus scrapes a three-server cluster whose servers run clients; the alert fires from the leader\'s figures', { skip: skipReason, timeout: 8 * STEP_TIMEOUT_MS }, async () => {
  const hook = await startWebhookReceiver();
  const cluster = await Cluster.create(3, {
    base: 41,
    extraConfig: `${TELEMETRY}client {
  enabled = true
}
plugin "raw_exec" {
  config {
    enabled = true
  }
}
`,
  });
  const stops: Array<() => Promise<void>> = [];
  const sleepSeconds = uniqueSleepSeconds();
  try {
    await cluster.startAll();
    const leader = await agreedLeader(cluster.specs);
    for (const s of cluster.specs) {
      await waitForState<Array<{ Status: string }>>(s.addr, '/v1/nodes', (n) => n.length === 3 && n.every((x) => x.Status === 'ready'), STEP_TIMEOUT_MS);
    }
    const [amPort, promPort] = [await freePort(), await freePort()];
    const am = await startReadyProcess(ALERTMANAGER_BIN, alertmanagerArgs(writeAlertmanagerConfig(cluster.root, hook.url), amPort), `http://127.0.0.1:${amPort}/-/ready`);
    stops.push(() => am.stop());
    const targets = cluster.specs.map((s) => `${s.ip}:${s.http}`);
    const promFiles = writePrometheusConfig(cluster.root, { targets, rulesFile: RULES_FILE, alertmanager: `127.0.0.1:${amPort}` });
    const prom = await startReadyProcess(PROMETHEUS_BIN, prometheusArgs(promFiles, promPort), `http://127.0.0.1:${promPort}/-/ready`);
    stops.push(() => prom.stop());
    const promAddr = `http://127.0.0.1:${promPort}`;

    const up = await waitForQuery(promAddr, 'up{job="nomad"} == 1', (r) => r.length === 3, STEP_TIMEOUT_MS);
    assert.deepEqual(up.map((r) => r.metric['instance']).sort(), [...targets].sort());
    // Raft from every server: the leader replicates to two followers and hears from them.
    const replication = await waitForQuery(promAddr, `count by (peer_id) (nomad_raft_replication_appendEntries_rpc_count{instance="${leader.ip}:${leader.http}"})`, (r) => r.length === 2, STEP_TIMEOUT_MS);
    assert.equal(replication.length, 2);
    await waitForQuery(promAddr, `nomad_raft_leader_lastContact_count{instance="${leader.ip}:${leader.http}"}`, (r) => r.length === 1 && r[0]!.value > 0, STEP_TIMEOUT_MS);
    await waitForQuery(promAddr, 'nomad_raft_appliedIndex', (r) => r.length === 3, STEP_TIMEOUT_MS);
    // Every client publishes its host, each under its own node.
    const hosts = await waitForQuery(promAddr, 'count by (node_id) (nomad_client_host_memory_total)', (r) => r.length === 3, STEP_TIMEOUT_MS);
    assert.equal(new Set(hosts.map((h) => h.metric['node_id'])).size, 3);
    // Job figures come from the leader alone.
    const scratch = { addr: leader.addr, dir: cluster.root };
    await stopTaskAndExpectAlert(scratch, promAddr, hook, sleepSeconds);
    const summaries = await waitForQuery(promAddr, 'nomad_nomad_job_summary_running{job="web"}', (r) => r.length >= 1, STEP_TIMEOUT_MS);
    assert.deepEqual([...new Set(summaries.map((r) => r.metric['instance']))], [`${leader.ip}:${leader.http}`]);
  } finally {
    for (const stop of stops.reverse()) await stop();
    await cluster.shutdown();
    killLeftovers(sleepSeconds);
    await hook.close();
  }
});
