// For the monitoring scenario: Debian's Prometheus and Alertmanager (installed when missing, as
// root, like the driver tests' tools), each started as a plain process with its own data dir and
// free port, and a webhook receiver that records what Alertmanager delivers. Never a fake: when
// the real programs cannot be had, callers skip and say why.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';
export const PROMTOOL_BIN = '/usr/bin/promtool';
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const READY_TIMEOUT_MS = 60_000;

/** Installs Debian's prometheus and prometheus-alertmanager when missing; a reason to skip when that cannot be done. */
export async function ensureMonitoringTools(): Promise<{ skip: string } | null> {
  const missing = [PROMETHEUS_BIN, ALERTMANAGER_BIN, PROMTOOL_BIN].filter((p) => !existsSync(p));
  if (missing.length === 0) return null;
  if (process.getuid?.() !== 0) return { skip: `${missing.join(', ')} not installed and installing needs root (apt-get install prometheus prometheus-alertmanager)` };
  if (!existsSync('/usr/bin/apt-get')) return { skip: `${missing.join(', ')} not installed and there is no apt-get to install them` };
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await run('apt-get', ['update', '-qq'], { env, timeout: INSTALL_TIMEOUT_MS });
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus', 'prometheus-alertmanager'], { env, timeout: INSTALL_TIMEOUT_MS });
  } catch (e) {
    return { skip: `installing prometheus and prometheus-alertmanager failed: ${(e as Error).message.split('\n')[0]}` };
  }
  const still = [PROMETHEUS_BIN, ALERTMANAGER_BIN, PROMTOOL_BIN].filter((p) => !existsSync(p));
  return still.length === 0 ? null : { skip: `${still.join(', ')} still missing after apt-get install` };
}

export interface ManagedProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a program and waits (bounded) for its /-/ready to answer 200. */
export async function startReadyProcess(bin: string, args: string[], readyUrl: string): Promise<ManagedProcess> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let gone = false;
  void exited.then(() => (gone = true));
  const proc: ManagedProcess = {
    child,
    output: () => out,
    async stop() {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && !gone) {
    const ok = await fetch(readyUrl).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return proc;
    await new Promise((r) => setTimeout(r, 100));
  }
  await proc.stop();
  throw new Error(`${bin} did not become ready at ${readyUrl}:\n${out}`);
}

export interface AlertmanagerFiles {
  configFile: string;
  dataDir: string;
}

/** Alertmanager's configuration: every alert to the webhook, grouped and sent within a second. */
export function writeAlertmanagerConfig(dir: string, webhookUrl: string): AlertmanagerFiles {
  mkdirSync(join(dir, 'alertmanager-data'), { recursive: true });
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(
    configFile,
    [
      'route:',
      '  receiver: test-webhook',
      '  group_by: [alertname, job]',
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: test-webhook',
      '    webhook_configs:',
      `      - url: ${JSON.stringify(webhookUrl)}`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  return { configFile, dataDir: join(dir, 'alertmanager-data') };
}

export function alertmanagerArgs(files: AlertmanagerFiles, port: number): string[] {
  // No HA gossip: a single Alertmanager would otherwise bind the cluster port 9094.
  return [`--config.file=${files.configFile}`, `--storage.path=${files.dataDir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='];
}

export interface PrometheusFiles {
  configFile: string;
  dataDir: string;
}

/** Prometheus' configuration: Nomad's agents scraped every second, the given rule file, one Alertmanager. */
export function writePrometheusConfig(dir: string, opts: { targets: string[]; rulesFile: string; alertmanager: string }): PrometheusFiles {
  mkdirSync(join(dir, 'prometheus-data'), { recursive: true });
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${JSON.stringify(opts.rulesFile)}`,
      'alerting:',
      '  alertmanagers:',
      '    - static_configs:',
      `        - targets: [${JSON.stringify(opts.alertmanager)}]`,
      'scrape_configs:',
      '  - job_name: nomad',
      // Nomad's metrics carry their own "job" label (the Nomad job): it must win over the scrape job's.
      '    honor_labels: true',
      '    metrics_path: /v1/metrics',
      '    params:',
      '      format: [prometheus]',
      '    static_configs:',
      `      - targets: [${opts.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
      '',
    ].join('\n'),
  );
  return { configFile, dataDir: join(dir, 'prometheus-data') };
}

export function prometheusArgs(files: PrometheusFiles, port: number): string[] {
  return [`--config.file=${files.configFile}`, `--storage.tsdb.path=${files.dataDir}`, `--web.listen-address=127.0.0.1:${port}`];
}

export interface ReceivedAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** An HTTP endpoint that records Alertmanager's webhook notifications. */
export async function startWebhookReceiver(): Promise<{ url: string; alerts: ReceivedAlert[]; waitFor(pred: (a: ReceivedAlert) => boolean, timeoutMs: number): Promise<ReceivedAlert>; close(): Promise<void> }> {
  const alerts: ReceivedAlert[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        const payload = JSON.parse(body) as { alerts?: ReceivedAlert[] };
        alerts.push(...(payload.alerts ?? []));
      } catch {
        // not a notification: nothing to record
      }
      res.writeHead(200).end();
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    alerts,
    waitFor(pred, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = alerts.find(pred);
          if (!hit) return false;
          waiters.delete(onChange);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const onChange = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(onChange);
          reject(new Error(`no matching alert within ${timeoutMs} ms; received: ${JSON.stringify(alerts)}`));
        }, timeoutMs);
        waiters.add(onChange);
        check();
      });
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Prometheus' instant query; the vector's samples as [labels, value]. */
export async function promQuery(promAddr: string, query: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
  const res = await fetch(`${promAddr}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${query} failed: ${body.error}`);
  return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** Polls a Prometheus query (it has no blocking form) until `check` holds, bounded. */
export async function waitForQuery(promAddr: string, query: string, check: (r: Array<{ metric: Record<string, string>; value: number }>) => boolean, timeoutMs: number): Promise<Array<{ metric: Record<string, string>; value: number }>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    const r = await promQuery(promAddr, query).catch((e: Error) => (last = e.message, null));
    if (r) {
      last = r;
      if (check(r)) return r;
    }
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`query ${query} did not satisfy the condition within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}
