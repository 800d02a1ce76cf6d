// The agent's profiles for /v1/agent/pprof/*, taken with Node's own inspector: a CPU profile
// over some seconds (V8's .cpuprofile JSON, which Chrome DevTools and speedscope open), a heap
// snapshot (.heapsnapshot), and a sampling heap profile of allocations over some seconds.
import { Session } from 'node:inspector';

export type ProfileKind = 'cpu' | 'heap' | 'allocs';

/** One profile at a time: V8 has one CPU profiler per process, and snapshots pause the agent. */
let busy: Promise<unknown> = Promise.resolve();

function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The inspector's commands as promises. */
interface Inspector {
  post(method: string, params?: object): Promise<any>;
  session: Session;
}

async function withSession<T>(fn: (s: Inspector) => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<any> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
  try {
    return await fn({ post, session });
  } finally {
    session.disconnect();
  }
}

async function cpuProfile(seconds: number): Promise<Buffer> {
  return withSession(async (s) => {
    await s.post('Profiler.enable');
    await s.post('Profiler.start');
    await sleepMs(seconds * 1000);
    const { profile } = await s.post('Profiler.stop');
    return Buffer.from(JSON.stringify(profile));
  });
}

async function heapSnapshot(): Promise<Buffer> {
  return withSession(async (s) => {
    const chunks: string[] = [];
    s.session.on('HeapProfiler.addHeapSnapshotChunk', (m: { params: { chunk: string } }) => chunks.push(m.params.chunk));
    await s.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    return Buffer.from(chunks.join(''));
  });
}

async function allocationProfile(seconds: number): Promise<Buffer> {
  return withSession(async (s) => {
    await s.post('HeapProfiler.enable');
    await s.post('HeapProfiler.startSampling');
    await sleepMs(seconds * 1000);
    const { profile } = await s.post('HeapProfiler.stopSampling');
    return Buffer.from(JSON.stringify(profile));
  });
}

/** Takes one profile, after any profile already being taken. */
export function takeProfile(kind: ProfileKind, seconds: number): Promise<Buffer> {
  const run = busy.then(
    () => (kind === 'cpu' ? cpuProfile(seconds) : kind === 'heap' ? heapSnapshot() : allocationProfile(seconds)),
    () => (kind === 'cpu' ? cpuProfile(seconds) : kind === 'heap' ? heapSnapshot() : allocationProfile(seconds)),
  );
  busy = run.catch(() => undefined);
  return run;
}
