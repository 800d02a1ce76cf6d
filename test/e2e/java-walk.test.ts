// The java driver through a real dev agent: a jar compiled here with javac/jar, served over
// HTTP to the task's artifact block, walked through run, status, stats, logs, scale, update and
// stop. Needs root with cgroup v1 (the same isolation as exec) and a JDK; otherwise it skips.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolationSupport } from '../../src/drivers/isolation/isolated-driver.js';
import { getJson, startDevAgent, waitForState, type AgentProcess } from './harness.js';
import { buildAndServeHelloJar, jdkMissing, type ServedJar } from './hello-jar.js';
import { driverWalk, walkJob } from './driver-walk.js';

const support = await isolationSupport();
const skip = !support.ok ? `java runs isolated like exec, which is not available here: ${support.reason}` : (jdkMissing() ?? false);

let agent: AgentProcess;
let jar: ServedJar | null = null;

before(async () => {
  if (skip) return;
  jar = await buildAndServeHelloJar();
  agent = await startDevAgent();
  await agent.waitForOutput(/client: node registration complete/);
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
  jar?.close();
});

function javaJob(count: number, word: string): string {
  const task = `      driver = "java"
      artifact {
        source = "${jar!.url}"
      }
      config {
        jar_path    = "local/hello.jar"
        jvm_options = ["-Xmx32m", "-Xss512k", "-XX:+UseSerialGC", "-Xshare:auto"]
        args        = ["${word}"]
      }
      resources {
        cpu    = 200
        memory = 256
      }
`;
  return walkJob('java-walk', count, task);
}

interface NodeDrivers {
  Drivers: Record<string, { Detected: boolean; Healthy: boolean; HealthDescription: string }>;
  Attributes: Record<string, string>;
}

test('java: the driver turns healthy as soon as its version probe ends', { skip, timeout: 20_000 }, async () => {
  const nodes = await getJson<Array<{ ID: string }>>(agent.addr, '/v1/nodes');
  const id = nodes.body[0]!.ID;
  // Well inside the 30 s periodic fingerprint: the probe's end itself triggers the update.
  const node = await waitForState<NodeDrivers>(agent.addr, `/v1/node/${id}`, (n) => n.Drivers['java']?.Healthy === true, 10_000);
  assert.equal(node.Drivers['java']!.HealthDescription, 'Healthy');
  assert.match(node.Attributes['driver.java.version'] ?? '', /^\d+/);
});

test('java: run, status, stats, logs, scale, update, stop', { skip, timeout: 60_000 }, async () => {
  await driverWalk({ agent, job: 'java-walk', group: 'g', task: 't', jobText: javaJob });
});
