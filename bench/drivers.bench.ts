// Time from startTask to the task running, per driver: raw_exec (a plain child), exec (cgroups,
// namespaces, chroot), java (the same plus a JVM launch) and docker (a container on a private
// engine). Prints `bench drivers.FIGURE VALUE ms`, the median of the runs, or a line saying why
// a driver was skipped.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importBusyboxImage, startTestEngine } from '../src/drivers/docker-test-engine.js';
import { DockerDriver } from '../src/drivers/docker.js';
import type { DriverContext, TaskConfig, TaskDriver } from '../src/drivers/driver.js';
import { ExecDriver } from '../src/drivers/exec.js';
import { findExecutable } from '../src/drivers/isolation/host-tools.js';
import { isolationSupport } from '../src/drivers/isolation/isolated-driver.js';
import { JavaDriver } from '../src/drivers/java.js';
import { RawExecDriver } from '../src/drivers/raw_exec.js';
import { MemorySink, taskConfig } from '../src/drivers/test-support.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const base = mkdtempSync(join(tmpdir(), 'drivers-bench-'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function ctx(plugin: Record<string, Record<string, unknown>> = {}): DriverContext {
  return { devMode: true, options: {}, pluginConfig: plugin, cpuMhzPerCore: () => 2000, stateDir: join(base, 'state') };
}

function task(name: string, i: number, config: Record<string, unknown>, memoryMB = 64): TaskConfig {
  const allocDir = join(base, `${name}-${i}`);
  for (const d of ['alloc/logs', 'alloc/data', 'alloc/tmp', 'web/local', 'web/secrets', 'web/tmp']) mkdirSync(join(allocDir, d), { recursive: true });
  const cfg = taskConfig(`${name}-${i}`, config, join(allocDir, 'web'), new MemorySink(), new MemorySink());
  return { ...cfg, allocId: `bench-${name}-${i}`, allocDir, resources: { cpuShares: 500, memoryMB, memoryMaxMB: 0 } };
}

async function measure(figure: string, driver: TaskDriver, make: (i: number) => TaskConfig): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const cfg = make(i);
    const t0 = performance.now();
    await driver.startTask(cfg);
    times.push(performance.now() - t0);
    await driver.stopTask(cfg.id, 2_000, 'SIGKILL');
    await driver.destroyTask(cfg.id, true);
  }
  console.log(`bench drivers.${figure} ${median(times).toFixed(1)} ms`);
}

const sleepCmd = { command: '/bin/sh', args: ['-c', 'while true; do sleep 1; done'] };
try {
  await measure('raw_exec_start_ms', new RawExecDriver(ctx()), (i) => task('raw', i, sleepCmd));

  const sup = await isolationSupport();
  if (!sup.ok) {
    console.log(`bench drivers.exec_start_ms skipped: ${sup.reason}`);
    console.log(`bench drivers.java_start_ms skipped: ${sup.reason}`);
  } else {
    await measure('exec_start_ms', new ExecDriver(ctx({ exec: { cgroup_parent: '/nomad-bench' } })), (i) => task('exec', i, sleepCmd));
    const javac = findExecutable('javac');
    const jar = findExecutable('jar');
    if (!javac || !jar) console.log('bench drivers.java_start_ms skipped: javac and jar are not installed');
    else {
      const build = join(base, 'jar');
      mkdirSync(build, { recursive: true });
      writeFileSync(join(build, 'Sleep.java'), 'public class Sleep { public static void main(String[] a) throws Exception { Thread.sleep(60000); } }\n');
      execFileSync(javac, ['-d', build, join(build, 'Sleep.java')]);
      execFileSync(jar, ['cfe', join(build, 'sleep.jar'), 'Sleep', '-C', build, 'Sleep.class']);
      await measure('java_start_ms', new JavaDriver(ctx({ java: { cgroup_parent: '/nomad-bench' } })), (i) => {
        const cfg = task('java', i, { jar_path: '/alloc/data/sleep.jar', jvm_options: ['-Xmx64m'] }, 256);
        execFileSync('cp', [join(build, 'sleep.jar'), join(cfg.allocDir, 'alloc', 'data', 'sleep.jar')]);
        return cfg;
      });
    }
  }

  const engine = await startTestEngine();
  if ('skip' in engine) console.log(`bench drivers.docker_start_ms skipped: ${engine.skip}`);
  else {
    try {
      await importBusyboxImage(engine, 'nomad-bench/busybox:1');
      const d = new DockerDriver(ctx({ docker: { endpoint: `unix://${engine.socketPath}` } }));
      await measure('docker_start_ms', d, (i) => task('docker', i, { image: 'nomad-bench/busybox:1', command: '/bin/sh', args: ['-c', 'while true; do sleep 1; done'] }));
    } finally {
      await engine.stop();
    }
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
