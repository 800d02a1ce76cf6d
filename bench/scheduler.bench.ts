// Scheduler throughput on a 5,000-node cluster: one service job of 10,000 allocations, and 100
// jobs of 100 allocations, each placed by one evaluation against the in-memory harness.
import { performance } from 'node:perf_hooks';
import { Harness } from '../src/scheduler/testing/harness.js';
import { mockEval, mockJob, mockNode, sequentialIds } from '../src/scheduler/testing/mock.js';

const NODE_COUNT = 5000;
const NOW_MS = 1_795_282_745_000;

function cluster(): Harness {
  const h = new Harness();
  for (let i = 0; i < NODE_COUNT; i++) {
    h.upsertNode(
      mockNode({
        id: `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
        datacenter: i % 2 === 0 ? 'dc1' : 'dc2',
        nodeClass: i % 10 === 0 ? 'large' : '',
        cpuShares: 16000,
        memoryMB: 32768,
      }),
    );
  }
  return h;
}

function serviceJob(id: string, count: number) {
  return mockJob({ ID: id, Name: id, Datacenters: ['dc1', 'dc2'] }, count);
}

async function oneBigJob(): Promise<{ perS: number; perCpuS: number; evalMs: number }> {
  const h = cluster();
  const job = h.registerJob(serviceJob('big', 10_000));
  const ev = mockEval(job);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await h.process(ev, { nowMs: () => NOW_MS, generateId: sequentialIds() });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const placed = h.allocs().length;
  if (placed !== 10_000) throw new Error(`expected 10000 placements, got ${placed}`);
  return { perS: (placed / ms) * 1000, perCpuS: (placed / cpuMs) * 1000, evalMs: ms };
}

async function hundredJobs(): Promise<{ perS: number; perCpuS: number; evalMs: number }> {
  const h = cluster();
  const jobs = [];
  for (let i = 0; i < 100; i++) jobs.push(h.registerJob(serviceJob(`job-${i}`, 100)));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const job of jobs) await h.process(mockEval(job), { nowMs: () => NOW_MS, generateId: sequentialIds(jobs.indexOf(job)) });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const placed = h.allocs().length;
  if (placed !== 10_000) throw new Error(`expected 10000 placements, got ${placed}`);
  return { perS: (placed / ms) * 1000, perCpuS: (placed / cpuMs) * 1000, evalMs: ms / jobs.length };
}

// One warm-up round so that the figures reflect steady-state code, not compilation.
await oneBigJob();
const big = await oneBigJob();
const many = await hundredJobs();
console.log(`bench scheduler.placements_per_s ${Math.round(big.perS)} per_s`);
console.log(`bench scheduler.placements_per_s_100x100 ${Math.round(many.perS)} per_s`);
// CPU-time figures too: on a shared machine wall time also counts other processes' turns.
console.log(`bench scheduler.placements_per_cpu_s ${Math.round(big.perCpuS)} per_s`);
console.log(`bench scheduler.placements_per_cpu_s_100x100 ${Math.round(many.perCpuS)} per_s`);
console.log(`bench scheduler.eval_ms_10000_allocs ${big.evalMs.toFixed(1)} ms`);
console.log(`bench scheduler.eval_ms_100_allocs ${many.evalMs.toFixed(2)} ms`);
