// RPC transport benchmark: a caller here, a server in a child process, one connection over
// loopback TCP. Prints:
//   bench rpc.calls_per_s_64_inflight     small calls, 64 kept in flight on one connection
//   bench rpc.call_p50_us / call_p99_us   one small call at a time
//   bench rpc.upload_mb_per_s             a 100 MB upload alone
//   bench rpc.call_p99_during_upload_us   the small call, one at a time, while a 100 MB upload runs
//   bench rpc.msgpack_*                   encode+decode of a job, 1,000 allocations and a node,
//                                         with msgpackr's native string decoder and without
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { RpcPool, silentRpcLogger } from '../src/rpc/index.js';
import { cpuCalibrationMs } from './calibrate.js';
import { runMsgpackBench } from './rpc-msgpack.js';

function report(figure: string, value: number, unit: string): void {
  console.log(`bench rpc.${figure} ${Number(value.toFixed(3))} ${unit}`);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const SMALL_ARGS = { NodeID: '5b1f2c9e-9d3c-4c7e-8b7a-0d0c8f4b1a2e', Status: 'ready', WriteRequest: { Region: 'global', AuthToken: '' } };
const UPLOAD_BYTES = 100 * 1024 * 1024;

async function startPeer(): Promise<{ child: ChildProcess; addr: string }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./rpc-peer.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const addr = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the peer did not start within 10 s')), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('exit', (code) => reject(new Error(`the peer exited with ${code}`)));
  });
  return { child, addr };
}

async function* uploadData(totalBytes: number): AsyncGenerator<Uint8Array> {
  const chunk = new Uint8Array(1024 * 1024).fill(7);
  for (let sent = 0; sent < totalBytes; sent += chunk.length) yield chunk;
}

async function callsPerSecond(pool: RpcPool, addr: string, inflight: number, total: number): Promise<number> {
  let started = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (started < total) {
      started++;
      await pool.call(addr, 'Node.UpdateStatus', SMALL_ARGS);
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  return total / ((performance.now() - t0) / 1000);
}

async function sequentialLatenciesUs(pool: RpcPool, addr: string, count: number, until?: () => boolean): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count && !(until?.() ?? false); i++) {
    const t0 = performance.now();
    await pool.call(addr, 'Node.UpdateStatus', SMALL_ARGS);
    out.push((performance.now() - t0) * 1000);
  }
  return out.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  if (process.argv.includes('--msgpack-only')) {
    runMsgpackBench(report);
    return;
  }
  report('cpu_calibration_ms', cpuCalibrationMs(), 'ms');
  const { child, addr } = await startPeer();
  const pool = new RpcPool({ logger: silentRpcLogger });
  try {
    await callsPerSecond(pool, addr, 64, 20_000); // warm up JIT and the connection
    report('calls_per_s_64_inflight', await callsPerSecond(pool, addr, 64, 100_000), 'per_s');

    await sequentialLatenciesUs(pool, addr, 2000);
    const alone = await sequentialLatenciesUs(pool, addr, 5000);
    report('call_p50_us', percentile(alone, 50), 'us');
    report('call_p99_us', percentile(alone, 99), 'us');

    const t0 = performance.now();
    const n = await pool.upload<number>(addr, 'Snapshot.Install', null, uploadData(UPLOAD_BYTES));
    if (n !== UPLOAD_BYTES) throw new Error(`the peer received ${n} bytes of ${UPLOAD_BYTES}`);
    report('upload_mb_per_s', UPLOAD_BYTES / (1024 * 1024) / ((performance.now() - t0) / 1000), 'MB/s');

    let uploading = true;
    const upload = pool.upload<number>(addr, 'Snapshot.Install', null, uploadData(UPLOAD_BYTES)).finally(() => (uploading = false));
    const during = await sequentialLatenciesUs(pool, addr, 100_000, () => !uploading);
    await upload;
    report('call_p99_during_upload_us', percentile(during, 99), 'us');
    report('calls_during_upload', during.length, 'calls');
  } finally {
    await pool.close();
    child.kill('SIGTERM');
  }

  // msgpack in fresh processes: msgpackr picks its string decoder when it loads.
  for (const [variant, env] of [
    ['js', { MSGPACKR_NATIVE_ACCELERATION_DISABLED: 'true' }],
    ['native', {}],
  ] as const) {
    const r = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--msgpack-only'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let out = '';
    r.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve) => r.once('exit', () => resolve()));
    for (const line of out.trim().split('\n')) {
      // bench rpc.msgpack_job_us 12.3 us -> bench rpc.msgpack_job_us_js 12.3 us
      const m = /^bench (\S+) (\S+) (\S+)$/.exec(line);
      if (m) console.log(`bench ${m[1]}_${variant} ${m[2]} ${m[3]}`);
    }
  }
}

await main();
