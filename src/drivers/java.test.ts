import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { DriverContext, TaskConfig } from './driver.js';
import { findExecutable } from './isolation/host-tools.js';
import { isolationSupport } from './isolation/isolated-driver.js';
import { JavaDriver } from './java.js';
import { parseJavaVersion } from './java-version.js';
import { LogFileSink, taskConfig } from '../../test/unit/driver-support.js';

const support = await isolationSupport();
const javac = findExecutable('javac');
const jarTool = findExecutable('jar');
const skip = !support.ok ? `java needs exec isolation: ${support.reason}` : !javac || !jarTool ? 'javac and jar are not installed' : false;
const base = mkdtempSync(join(tmpdir(), 'java-test-'));
after(() => rmSync(base, { recursive: true, force: true }));

function context(): DriverContext {
  return { devMode: true, options: {}, pluginConfig: { java: { cgroup_parent: '/nomad-test' } }, cpuMhzPerCore: () => 2000, stateDir: join(base, 'state') };
}

function javaTask(id: string, config: Record<string, unknown>, out: LogFileSink): TaskConfig {
  const allocDir = join(base, id);
  for (const d of ['alloc/logs', 'alloc/data', 'alloc/tmp', 'web/local', 'web/secrets', 'web/tmp']) mkdirSync(join(allocDir, d), { recursive: true });
  const cfg = taskConfig(id, config, join(allocDir, 'web'), out);
  return { ...cfg, allocDir, env: {}, resources: { cpuShares: 500, memoryMB: 256, memoryMaxMB: 0 } };
}

let built: string | null = null;

/** Compiles Hello.java and packs it into hello.jar (Main-Class: Hello) once, then copies both into `dest`. */
function buildJar(dest: string): void {
  if (built === null) {
    built = join(base, 'build');
    compileJar(built);
  }
  for (const f of ['hello.jar', 'Hello.class']) copyFileSync(join(built, f), join(dest, f));
}

function compileJar(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'Hello.java'),
    'public class Hello { public static void main(String[] a) { System.out.println("hello from " + System.getProperty("user.name") + " greeting=" + System.getProperty("greeting") + " args=" + String.join(",", a)); } }\n',
  );
  execFileSync(javac!, ['-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC', '-d', dir, join(dir, 'Hello.java')]);
  execFileSync(jarTool!, ['cfe', join(dir, 'hello.jar'), 'Hello', '-C', dir, 'Hello.class']);
}

describe('java driver', () => {
  it('parses java -version output', () => {
    const text = 'Picked up JAVA_TOOL_OPTIONS: -Xss1m\nopenjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)\nOpenJDK 64-Bit Server VM (build 17.0.15+6-Debian-1deb12u1, mixed mode, sharing)\n';
    assert.deepEqual(parseJavaVersion(text), {
      version: '17.0.15',
      runtime: 'OpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)',
      vm: 'OpenJDK 64-Bit Server VM (build 17.0.15+6-Debian-1deb12u1, mixed mode, sharing)',
    });
    assert.equal(parseJavaVersion('bash: java: command not found'), null);
  });

  it('validates config', () => {
    const d = new JavaDriver(context());
    assert.deepEqual(d.validateConfig({ jar_path: 'local/a.jar', jvm_options: ['-Xmx64m'] }), []);
    assert.deepEqual(d.validateConfig({ jvm_options: '-Xmx1g', command: 'x' }), [
      'config: jar_path or class must be specified',
      'config.jvm_options: must be a list of strings',
      'config.command: unknown field for the java driver',
    ]);
  });

  it('fingerprints without waiting for the JVM, then reports its version', { skip }, async () => {
    const d = new JavaDriver(context());
    // The first answer comes before the JVM's probe has finished: it says the probe runs.
    const first = await d.fingerprint();
    assert.equal(first.Detected, false);
    assert.equal(first.HealthDescription, 'Java version probe in progress');
    await d.probeDone();
    const fp = await d.fingerprint();
    assert.equal(fp.Detected, true);
    assert.match(fp.Attributes['driver.java.version'] ?? '', /^\d+(\.\d+)*/);
    assert.match(fp.Attributes['driver.java.runtime'] ?? '', /Runtime Environment/);
    assert.match(fp.Attributes['driver.java.vm'] ?? '', /VM/);
    // The next agent start answers from the cache at once.
    assert.equal((await new JavaDriver(context()).fingerprint()).Detected, true);
  });

  it('runs a jar and a main class inside the chroot, as nobody, with jvm options and args', { skip }, async () => {
    const d = new JavaDriver(context());
    const out = new LogFileSink();
    const cfg = javaTask('jar', { jar_path: 'local/hello.jar', jvm_options: ['-Xmx64m', '-Dgreeting=hi'], args: ['a', 'b'] }, out);
    buildJar(join(cfg.taskDir, 'local'));
    const handle = await d.startTask(cfg);
    assert.deepEqual(await d.waitTask('jar'), { ExitCode: 0, Signal: 0, OOMKilled: false, Err: null }, out.text());
    assert.match(out.text(), /hello from nobody greeting=hi args=a,b/);
    assert.ok(String((handle.driverState['cgroups'] as Record<string, string>)['memory']).includes('/nomad-test/'));
    await d.destroyTask('jar', true);

    const out2 = new LogFileSink();
    const cfg2 = javaTask('cls', { class: 'Hello', class_path: '/local', jvm_options: ['-Xmx64m'] }, out2);
    buildJar(join(cfg2.taskDir, 'local'));
    await d.startTask(cfg2);
    assert.equal((await d.waitTask('cls')).ExitCode, 0, out2.text());
    assert.match(out2.text(), /hello from nobody greeting=null args=\n/);
    await d.destroyTask('cls', true);
  });
});
