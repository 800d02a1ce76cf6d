// For tests and benchmarks: a private Docker engine (its own data root, exec root, pid file,
// socket and bridge), started once and stopped by its pid, plus a busybox image built offline
// from Debian's busybox-static. Never a fake: when no engine can run, callers skip.
//
// Test files run in parallel, so several private engines may start at once. Two engines that
// start together race on the host's iptables chains (one fails with "Chain already exists" or
// "No chain/target/match"), and two engines on the default docker0 bridge hand out the same
// container addresses. So each engine gets a bridge and subnet of its own, and engines start one
// at a time, under a lock shared by the machine's test processes.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeHostLock } from './host-lock.js';
import { pipeline } from 'node:stream/promises';
import { DockerClient, drainProgress } from '../../src/drivers/docker-api.js';
import { findExecutable } from '../../src/drivers/isolation/host-tools.js';

const ENGINE_START_TIMEOUT_MS = 30_000;
const ENGINE_STOP_TIMEOUT_MS = 20_000;
/** Engines that start meanwhile wait their turn this long at most. */
const START_LOCK_TIMEOUT_MS = 120_000;
const START_LOCK_DIR = join(tmpdir(), 'nomad-test-dockerd-start.lock');
const BRIDGE_PREFIX = 'nmdtest';
const BUSYBOX_APPLETS = ['sh', 'echo', 'cat', 'sleep', 'ls', 'head', 'dd', 'env', 'id', 'true', 'false', 'printf', 'tail', 'wc', 'touch', 'mkdir', 'kill', 'hostname', 'httpd', 'nc'];

export interface TestEngine {
  socketPath: string;
  client: DockerClient;
  dir: string;
  stop(): Promise<void>;
}

export async function startTestEngine(): Promise<TestEngine | { skip: string }> {
  if (process.getuid?.() !== 0) return { skip: 'starting a Docker engine needs root' };
  const dockerd = findExecutable('dockerd');
  if (!dockerd) return { skip: 'dockerd is not installed (apt-get install docker.io)' };
  if (!findExecutable('ip')) return { skip: 'ip is not installed (apt-get install iproute2)' };
  const release = await takeHostLock(START_LOCK_DIR, START_LOCK_TIMEOUT_MS);
  try {
    return await startEngine(dockerd);
  } finally {
    release();
  }
}

/** Makes a bridge of its own for one engine: the first free 10.213.N.0/24 of the host. */
function makeBridge(): { name: string; remove(): void } | { skip: string } {
  const used = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  for (let n = 1; n < 255; n++) {
    if (used.includes(` 10.213.${n}.`)) continue;
    const name = `${BRIDGE_PREFIX}${n}`;
    try {
      execFileSync('ip', ['link', 'add', 'name', name, 'type', 'bridge'], { stdio: 'pipe' });
    } catch {
      continue; // left by an engine whose test process died; its address is gone, its name is not
    }
    const remove = (): void => {
      try {
        execFileSync('ip', ['link', 'del', name], { stdio: 'pipe' });
      } catch {
        // already gone
      }
    };
    try {
      execFileSync('ip', ['addr', 'add', `10.213.${n}.1/24`, 'dev', name], { stdio: 'pipe' });
      execFileSync('ip', ['link', 'set', name, 'up'], { stdio: 'pipe' });
    } catch (e) {
      remove();
      return { skip: `could not set up bridge ${name}: ${(e as Error).message}` };
    }
    return { name, remove };
  }
  return { skip: 'no free 10.213.N.0/24 subnet for a test bridge' };
}

async function startEngine(dockerd: string): Promise<TestEngine | { skip: string }> {
  const bridgeIf = makeBridge();
  if ('skip' in bridgeIf) return bridgeIf;
  const dir = mkdtempSync(join(tmpdir(), 'nomad-dockerd-'));
  const socketPath = join(dir, 'docker.sock');
  const child: ChildProcess = spawn(
    dockerd,
    ['--bridge', bridgeIf.name, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'docker.pid'), '-H', `unix://${socketPath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (b: Buffer) => {
    // Keep the tail only: enough to explain a failed start.
    log = (log + b.toString('utf8')).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client = new DockerClient(socketPath);
  const deadline = Date.now() + ENGINE_START_TIMEOUT_MS;
  let up = false;
  let gone = false;
  void exited.then(() => (gone = true));
  // Wait for the engine's own readiness signal (/_ping answering), bounded.
  while (!up && !gone && Date.now() < deadline) {
    up = await client.call('GET', '/_ping', { timeoutMs: 500 }).then(
      () => true,
      () => false,
    );
    if (!up) await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async (): Promise<void> => {
    if (!gone) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, ENGINE_STOP_TIMEOUT_MS)))]);
      clearTimeout(timer);
      if (!gone) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    bridgeIf.remove();
  };
  if (!up) {
    await stop();
    return { skip: `dockerd did not start: ${log.split('\n').filter((l) => /level=(error|fatal)|^failed to start daemon/.test(l)).slice(-2).join(' | ') || 'no answer on its socket'}` };
  }
  // The engine answers before its default bridge network exists: ready means that one too.
  let bridge = false;
  while (!bridge && !gone && Date.now() < deadline) {
    bridge = await client.json<{ IPAM?: { Config?: Array<{ Gateway?: string }> } }>('GET', '/networks/bridge', { timeoutMs: 500 }).then(
      (n) => (n.IPAM?.Config ?? []).some((c) => Boolean(c.Gateway)),
      () => false,
    );
    if (!bridge) await new Promise((r) => setTimeout(r, 50));
  }
  if (!bridge) {
    await stop();
    return { skip: 'dockerd started but created no default bridge network in time' };
  }
  return { socketPath, client, dir, stop };
}

/** Imports a root file system of busybox (plus applet links) as the image `tag`. */
export async function importBusyboxImage(engine: TestEngine, tag: string): Promise<void> {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox-static is not installed (apt-get install busybox-static)');
  const root = join(engine.dir, `rootfs-${tag.replace(/[^a-z0-9]/gi, '_')}`);
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  copyFileSync(busybox, join(root, 'bin', 'busybox'));
  for (const a of BUSYBOX_APPLETS) symlinkSync('busybox', join(root, 'bin', a));
  const tarball = `${root}.tar`;
  execFileSync('tar', ['-C', root, '-cf', tarball, '.']);
  const { repo, tagName } = splitTag(tag);
  const res = await engine.client.stream('POST', '/images/create', { query: { fromSrc: '-', repo, tag: tagName }, body: createReadStream(tarball), headers: { 'Content-Type': 'application/x-tar' } });
  await drainProgress(res);
}

function splitTag(tag: string): { repo: string; tagName: string } {
  const i = tag.lastIndexOf(':');
  return i > 0 ? { repo: tag.slice(0, i), tagName: tag.slice(i + 1) } : { repo: tag, tagName: 'latest' };
}

/** Writes `docker save` of an image to a file (for the `load` option). */
export async function saveImage(engine: TestEngine, image: string, file: string): Promise<void> {
  const res = await engine.client.stream('GET', `/images/${encodeURIComponent(image)}/get`);
  await pipeline(res, createWriteStream(file));
}
