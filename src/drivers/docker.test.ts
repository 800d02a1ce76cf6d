import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DockerApiError, dockerSocketPath } from './docker-api.js';
import { parseImageRef, planDockerTask, type DockerSettings } from './docker-config.js';
import { StdStreamDemuxer } from './docker-logs.js';
import { importBusyboxImage, saveImage, startTestEngine, type TestEngine } from '../../test/unit/docker-test-engine.js';
import { DockerDriver, usageFromStats } from './docker.js';
import { DriverStartError, type DriverContext, type TaskConfig } from './driver.js';
import { CpuRateTracker } from './proc-stats.js';
import { LogFileSink, taskConfig } from '../../test/unit/driver-support.js';
import { freePort } from '../../test/e2e/harness.js';

const base = mkdtempSync(join(tmpdir(), 'docker-test-'));
const IMAGE = 'nomad-test/busybox:1';
let engine: TestEngine | null = null;
let skipReason = '';

before(async () => {
  const e = await startTestEngine();
  if ('skip' in e) skipReason = e.skip;
  else {
    engine = e;
    await importBusyboxImage(e, IMAGE);
  }
});
after(async () => {
  await engine?.stop();
  rmSync(base, { recursive: true, force: true });
});

function context(extra: Partial<DriverContext> = {}, plugin: Record<string, unknown> = {}): DriverContext {
  return { devMode: true, options: {}, pluginConfig: { docker: { endpoint: `unix://${engine?.socketPath ?? join(base, 'none.sock')}`, ...plugin } }, cpuMhzPerCore: () => 2000, ...extra };
}

function dockerTask(id: string, config: Record<string, unknown>, out = new LogFileSink(), err = new LogFileSink()): TaskConfig {
  const allocDir = join(base, id);
  for (const d of ['alloc/logs', 'alloc/data', 'web/local', 'web/secrets', 'web/tmp']) mkdirSync(join(allocDir, d), { recursive: true });
  const cfg = taskConfig(id, { image: IMAGE, ...config }, join(allocDir, 'web'), out, err);
  return { ...cfg, allocId: `alloc-${id}`, allocDir, env: { GREETING: 'hello', NOMAD_TASK_DIR: join(allocDir, 'web', 'local') } };
}

/** Engine-side conditions (an image removed) change without an event to wait on: poll, bounded. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const settings: DockerSettings = { allowPrivileged: false, volumesEnabled: false, cpuMhzPerCore: 2000 };

describe('docker driver: config and streams', () => {
  it('finds the socket from the endpoint, DOCKER_HOST or the default', () => {
    assert.equal(dockerSocketPath('unix:///x/d.sock', {}), '/x/d.sock');
    assert.equal(dockerSocketPath(undefined, { DOCKER_HOST: 'unix:///y.sock' }), '/y.sock');
    assert.equal(dockerSocketPath(undefined, {}), '/var/run/docker.sock');
  });

  it('splits image references', () => {
    assert.deepEqual(parseImageRef('redis'), { repo: 'redis', tag: 'latest' });
    assert.deepEqual(parseImageRef('localhost:5000/app:1.2'), { repo: 'localhost:5000/app', tag: '1.2' });
    assert.deepEqual(parseImageRef('app@sha256:abc'), { repo: 'app', tag: 'sha256:abc' });
  });

  it('maps ports, mounts, limits and labels into the create body', () => {
    const cfg = dockerTask('plan', {
      command: '/bin/sh',
      args: ['-c', `cat ${join(base, 'plan', 'web', 'local')}/x`],
      ports: ['http'],
      port_map: [{ admin: 9000 }],
      volumes: ['data:/data:ro'],
      mounts: [{ type: 'tmpfs', target: '/scratch', tmpfs_options: [{ size: 1048576 }] }],
      labels: [{ team: 'a' }],
      memory_hard_limit: 256,
      cpu_hard_limit: true,
    });
    cfg.env = { ...cfg.env, NOMAD_HOST_PORT_http: '23456', NOMAD_PORT_http: '8080', NOMAD_HOST_IP_http: '127.0.0.1', NOMAD_HOST_PORT_admin: '23457', NOMAD_HOST_IP_admin: '127.0.0.1' };
    cfg.resources = { cpuShares: 500, memoryMB: 128, memoryMaxMB: 0 };
    const { plan, errors } = planDockerTask(cfg, settings);
    assert.deepEqual(errors, []);
    const body = plan!.createBody as { Cmd: string[]; Env: string[]; Labels: Record<string, string>; ExposedPorts: object; HostConfig: Record<string, unknown> };
    assert.deepEqual(body.Cmd, ['/bin/sh', '-c', 'cat /local/x']);
    assert.ok(body.Env.includes('NOMAD_TASK_DIR=/local'));
    assert.equal(body.Labels['team'], 'a');
    assert.equal(body.Labels['com.hashicorp.nomad.alloc_id'], 'alloc-plan');
    const hc = body.HostConfig;
    assert.deepEqual((hc['PortBindings'] as Record<string, unknown>)['8080/tcp'], [{ HostIp: '127.0.0.1', HostPort: '23456' }]);
    assert.deepEqual((hc['PortBindings'] as Record<string, unknown>)['9000/udp'], [{ HostIp: '127.0.0.1', HostPort: '23457' }]);
    assert.ok((hc['Binds'] as string[]).includes(`${join(base, 'plan', 'web', 'data')}:/data:ro`));
    assert.ok((hc['Binds'] as string[]).includes(`${join(base, 'plan', 'alloc')}:/alloc`));
    assert.deepEqual(hc['Mounts'], [{ Type: 'tmpfs', Target: '/scratch', ReadOnly: false, TmpfsOptions: { SizeBytes: 1048576, Mode: undefined } }]);
    assert.equal(hc['Memory'], 256 * 1024 * 1024);
    assert.equal(hc['MemoryReservation'], 128 * 1024 * 1024);
    assert.equal(hc['CpuShares'], 500);
    assert.equal(hc['CpuQuota'], 25_000); // 500 MHz of a 2000 MHz core: a quarter of the period
  });

  it('refuses privileged containers, host volumes and unknown ports unless allowed', () => {
    const cfg = dockerTask('refuse', { privileged: true, volumes: ['/etc:/host-etc'], ports: ['nope'], bogus: 1 });
    assert.deepEqual(planDockerTask(cfg, settings).errors, ['config.bogus: unknown field for the docker driver']);
    delete cfg.config['bogus'];
    assert.deepEqual(planDockerTask(cfg, settings).errors, [
      'config.privileged: Docker privileged mode is disabled on this Nomad agent',
      'config.volumes[0]: volumes are not enabled; cannot mount host paths: "/etc"',
      'Port "nope" not found, check network block',
    ]);
    cfg.config['ports'] = [];
    assert.deepEqual(planDockerTask(cfg, { ...settings, allowPrivileged: true, volumesEnabled: true }).errors, []);
  });

  it('demultiplexes stdout and stderr frames split across chunks', () => {
    const out = new LogFileSink();
    const err = new LogFileSink();
    const frame = (type: number, text: string): number[] => {
      const payload = [...new TextEncoder().encode(text)];
      const n = payload.length;
      return [type, 0, 0, 0, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, ...payload];
    };
    const all = new Uint8Array([...frame(1, 'out-1\n'), ...frame(2, 'err-1\n'), ...frame(1, 'out-2\n')]);
    const d = new StdStreamDemuxer(out, err);
    for (let i = 0; i < all.length; i += 5) d.push(all.subarray(i, i + 5));
    assert.equal(out.text(), 'out-1\nout-2\n');
    assert.equal(err.text(), 'err-1\n');
  });

  it('turns engine stats into Nomad usage', () => {
    const u = usageFromStats({ memory_stats: { usage: 10, max_usage: 20, stats: { rss: 7, cache: 3 } }, cpu_stats: { cpu_usage: { usage_in_usermode: 1e9 } } }, new CpuRateTracker(), 2000);
    assert.equal(u.ResourceUsage.MemoryStats.RSS, 7);
    assert.equal(u.ResourceUsage.MemoryStats.Cache, 3);
    assert.equal(u.ResourceUsage.MemoryStats.MaxUsage, 20);
  });

  it('is undetected when no engine answers', async () => {
    const d = new DockerDriver({ devMode: true, options: {}, pluginConfig: { docker: { endpoint: `unix://${join(base, 'no-such.sock')}` } }, cpuMhzPerCore: () => 2000 });
    assert.deepEqual(await d.fingerprint(), { Detected: false, Healthy: false, HealthDescription: 'Failed to connect to docker daemon', Attributes: {} });
  });
});

describe('docker driver: an engine whose bridge network comes up after it answers', () => {
  it('fingerprints without a bridge address, then tells the client once the bridge exists', async () => {
    // Docker is an external program; where none runs, a socket that answers the two endpoints the
    // fingerprint reads stands in for an engine still creating its default bridge.
    const { createServer } = await import('node:http');
    let bridgeReady = false;
    const socketPath = join(base, 'starting-engine.sock');
    const server = createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url === '/version') return res.end(JSON.stringify({ Version: '24.0.7', Os: 'linux' }));
      if (req.url === '/networks/bridge' && bridgeReady) return res.end(JSON.stringify({ IPAM: { Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] } }));
      res.statusCode = 404;
      res.end(JSON.stringify({ message: 'network bridge not found' }));
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    try {
      let changed: () => void = () => {};
      const told = new Promise<void>((r) => (changed = r));
      const driver = new DockerDriver({ devMode: true, options: {}, pluginConfig: { docker: { endpoint: `unix://${socketPath}` } }, cpuMhzPerCore: () => 2000, onFingerprintChange: () => changed() });
      const first = await driver.fingerprint();
      assert.equal(first.Detected, true);
      assert.equal(first.Attributes['driver.docker.bridge_ip'], undefined);
      bridgeReady = true;
      await Promise.race([told, new Promise((_, rej) => setTimeout(() => rej(new Error('no fingerprint change within 10 s')), 10_000))]);
      assert.equal((await driver.fingerprint()).Attributes['driver.docker.bridge_ip'], '172.17.0.1');
    } finally {
      server.close();
    }
  });
});

describe('docker driver against a real engine', () => {
  it('fingerprints the engine version and bridge address', async (t) => {
    if (!engine) return t.skip(skipReason);
    const fp = await new DockerDriver(context()).fingerprint();
    assert.equal(fp.Detected, true);
    assert.match(fp.Attributes['driver.docker.version'] ?? '', /^\d+\.\d+/);
    assert.match(fp.Attributes['driver.docker.bridge_ip'] ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  });

  it('allows privileged containers only by allow_privileged or the docker.privileged.enabled option', async (t) => {
    if (!engine) return t.skip(skipReason);
    const attr = async (ctx: DriverContext) => (await new DockerDriver(ctx).fingerprint()).Attributes['driver.docker.privileged.enabled'];
    assert.equal(await attr(context()), undefined);
    assert.equal(await attr(context({}, { allow_privileged: true })), '1');
    assert.equal(await attr(context({ options: { 'docker.privileged.enabled': 'true' } })), '1');
  });

  it('runs a container: command and args, env, /local bound, stdout and stderr apart, exit code', async (t) => {
    if (!engine) return t.skip(skipReason);
    const d = new DockerDriver(context());
    const out = new LogFileSink();
    const err = new LogFileSink();
    const cfg = dockerTask('run', { command: '/bin/sh', args: ['-c', 'echo "$GREETING $NOMAD_TASK_DIR"; echo oops >&2; echo made > /local/out.txt; exit 3'], labels: { team: 'x' } }, out, err);
    const handle = await d.startTask(cfg);
    assert.deepEqual(await d.waitTask('run'), { ExitCode: 3, Signal: 0, OOMKilled: false, Err: null });
    assert.equal(out.text(), 'hello /local\n');
    assert.equal(err.text(), 'oops\n');
    assert.equal(readFileSync(join(cfg.taskDir, 'local', 'out.txt'), 'utf8'), 'made\n');
    const info = await engine.client.json<{ Config: { Labels: Record<string, string> } }>('GET', `/containers/${handle.driverState['containerId']}/json`);
    assert.equal(info.Config.Labels['team'], 'x');
    await d.destroyTask('run', false);
    await assert.rejects(engine.client.call('GET', `/containers/${handle.driverState['containerId']}/json`), (e: unknown) => e instanceof DockerApiError && e.status === 404);
  });

  it('publishes the allocation port to the container port, reports stats, stops with the kill signal', async (t) => {
    if (!engine) return t.skip(skipReason);
    const d = new DockerDriver(context());
    const out = new LogFileSink();
    const cfg = dockerTask('ports', { command: '/bin/sh', args: ['-c', 'echo served > /local/index.html; trap "echo bye; exit 0" TERM; httpd -f -p 8080 -h /local & echo up; wait'], ports: ['http'] }, out);
    const hostPort = await freePort();
    cfg.env = { ...cfg.env, NOMAD_HOST_PORT_http: String(hostPort), NOMAD_PORT_http: '8080', NOMAD_HOST_IP_http: '127.0.0.1' };
    await d.startTask(cfg);
    await out.waitFor('up');
    let body = '';
    await until('the published port to answer', async () => {
      body = await new Promise<string>((resolve) => {
        const req = get({ host: '127.0.0.1', port: hostPort, path: '/index.html', timeout: 1_000 }, (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c.toString()));
          res.on('end', () => resolve(b));
        });
        req.on('error', () => resolve(''));
        req.on('timeout', () => req.destroy());
      });
      return body === 'served\n';
    });
    const s = await d.taskStats('ports');
    assert.ok(s.ResourceUsage.MemoryStats.Usage > 0, 'memory usage from the engine');
    await d.stopTask('ports', 5_000, 'SIGTERM');
    const res = await d.waitTask('ports');
    assert.equal(res.ExitCode, 0);
    await out.waitFor('bye');
    await d.destroyTask('ports', true);
  });

  it('reports an OOM kill from the container state', async (t) => {
    if (!engine) return t.skip(skipReason);
    const d = new DockerDriver(context());
    const cfg = dockerTask('oom', { command: '/bin/sh', args: ['-c', 'x=aaaaaaaaaaaaaaaa; while true; do x="$x$x"; done'] });
    cfg.resources = { cpuShares: 100, memoryMB: 16, memoryMaxMB: 0 };
    await d.startTask(cfg);
    assert.deepEqual(await d.waitTask('oom'), { ExitCode: 137, Signal: 0, OOMKilled: true, Err: 'OOM Killed' });
    await d.destroyTask('oom', true);
  });

  it('loads an image from a tarball in the task dir, and fails clearly when a pull cannot work', async (t) => {
    if (!engine) return t.skip(skipReason);
    await engine.client.call('POST', `/images/${encodeURIComponent(IMAGE)}/tag`, { query: { repo: 'nomad-test/loaded', tag: '2' } });
    const cfg = dockerTask('load', { image: 'nomad-test/loaded:2', load: 'img.tar', command: '/bin/echo', args: ['loaded'] });
    await saveImage(engine, 'nomad-test/loaded:2', join(cfg.taskDir, 'local', 'img.tar'));
    await engine.client.call('DELETE', `/images/${encodeURIComponent('nomad-test/loaded:2')}`);
    const d = new DockerDriver(context());
    const out = cfg.stdout as LogFileSink;
    await d.startTask(cfg);
    assert.equal((await d.waitTask('load')).ExitCode, 0);
    assert.equal(out.text(), 'loaded\n');
    await d.destroyTask('load', true);

    await assert.rejects(d.startTask(dockerTask('pull', { image: 'nomad-test/not-here:9', auth: { username: 'u', password: 'p' } })), (e: unknown) => {
      assert.ok(e instanceof DriverStartError);
      assert.equal(e.recoverable, true);
      assert.match(e.message, /^Failed to pull `nomad-test\/not-here:9`: /);
      return true;
    });
  });

  it('reattaches to a running container after a client restart and removes unused images later', async (t) => {
    if (!engine) return t.skip(skipReason);
    // A tag would share its image id with IMAGE: import a separate image so removing it touches nothing else.
    await importBusyboxImage(engine, 'nomad-test/gc-own:1');
    const d1 = new DockerDriver(context());
    const out = new LogFileSink();
    const handle = await d1.startTask(dockerTask('recover', { image: 'nomad-test/gc-own:1', command: '/bin/sh', args: ['-c', 'echo up; trap "exit 5" TERM; while true; do sleep 0.05; done'] }, out));
    await out.waitFor('up');
    const d2 = new DockerDriver(context({}, { gc: [{ image_delay: '10ms' }] }));
    const out2 = new LogFileSink();
    await d2.recoverTask(JSON.parse(JSON.stringify(handle)), out2, new LogFileSink());
    assert.equal(d2.inspectTask('recover').state, 'running');
    await d2.stopTask('recover', 5_000, 'SIGTERM');
    assert.deepEqual(await d2.waitTask('recover'), { ExitCode: 5, Signal: 0, OOMKilled: false, Err: null });
    await d2.destroyTask('recover', true);
    const imageId = String(handle.driverState['imageId']);
    await until('the unused image to be removed', () =>
      engine!.client.call('GET', `/images/${encodeURIComponent(imageId)}/json`).then(
        () => false,
        (e: unknown) => e instanceof DockerApiError && e.status === 404,
      ),
    );
    await d1.waitTask('recover');
  });
});
