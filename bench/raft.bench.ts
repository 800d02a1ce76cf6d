// Raft benchmark: three server processes on loopback TCP with durable file
// stores and the default timing (100 ms ticks, heartbeat 100 ms, election
// timeout 1 s, as hashicorp/raft). Prints:
//   bench raft.commits_per_s            many concurrent writers, batched into shared appends/fsyncs
//   bench raft.commits_per_s_unbatched  one writer, each commit waits for the previous one
//   bench raft.commit_p99_ms            p99 latency of the unbatched commits
//   bench raft.failover_ms              leader SIGKILLed to a new leader accepting a write
import { performance } from 'node:perf_hooks';
import {
  call, findLeader, kill, makeTempRoot, removeTempRoot, startCluster, waitUntil,
} from '../test/e2e/fixtures/raft-cluster.js';
import type { ServerProcess } from '../test/e2e/fixtures/raft-cluster.js';

interface LoadResult {
  readonly committed: number;
  readonly failures: number;
  readonly elapsedMs: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function load(leader: ServerProcess, count: number, concurrency: number, sizeBytes: number): Promise<LoadResult> {
  const r = await call<LoadResult>(leader, 'POST', `/load?count=${count}&concurrency=${concurrency}&size=${sizeBytes}`, '', 120_000);
  if (r.status !== 200) throw new Error(`load failed: ${JSON.stringify(r.json)}`);
  return r.json;
}

async function firstAcceptedWrite(candidates: readonly ServerProcess[], deadlineMs: number): Promise<ServerProcess> {
  for (;;) {
    for (const s of candidates) {
      try {
        const r = await call(s, 'PUT', '/kv/failover', 'x', 2000);
        if (r.status === 200) return s;
      } catch {
        // Not reachable or timed out: try the next one.
      }
    }
    if (performance.now() > deadlineMs) throw new Error('no leader accepted a write after the failover');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main(): Promise<void> {
  const root = await makeTempRoot('raft-bench-');
  let servers: ServerProcess[] = [];
  try {
    servers = await startCluster(root, 3, []);
    const leader = await waitUntil('a leader', () => findLeader(servers), 20_000);
    await load(leader, 5000, 256, 64); // warm up JIT, connections, files

    const batched = await load(leader, 60_000, 1024, 64);
    console.log(`bench raft.commits_per_s ${Math.round(batched.perSecond)} per_s`);

    const unbatched = await load(leader, 1500, 1, 64);
    console.log(`bench raft.commits_per_s_unbatched ${Math.round(unbatched.perSecond)} per_s`);
    console.log(`bench raft.commit_p99_ms ${unbatched.p99Ms.toFixed(2)} ms`);

    const survivors = servers.filter((s) => s !== leader);
    const killedAt = performance.now();
    await kill(leader, 'SIGKILL');
    await firstAcceptedWrite(survivors, killedAt + 30_000);
    console.log(`bench raft.failover_ms ${Math.round(performance.now() - killedAt)} ms`);
    if (batched.failures + unbatched.failures > 0) console.error(`note: ${batched.failures + unbatched.failures} writes failed during the load`);
  } finally {
    for (const s of servers) await kill(s, 'SIGKILL');
    await removeTempRoot(root);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
