// msgpack cost of what the RPC transport and the log carry: a job, 1,000 allocations (each with
// its job, as Alloc.GetAllocs answers) and a node with a realistic set of attributes.
import { isNativeAccelerationEnabled } from 'msgpackr';
import { decodePayload, encodePayload } from '../src/rpc/codec.js';
import { mockAlloc, mockJob, mockNode, taskGroup, uuidFrom } from '../test/unit/state-fixtures.js';

type Report = (figure: string, value: number, unit: string) => void;

function nodeAttributes(): Record<string, string> {
  const a: Record<string, string> = {};
  for (const k of ['arch', 'kernel.name', 'kernel.version', 'os.name', 'os.version', 'cpu.arch', 'cpu.modelname', 'cpu.numcores', 'cpu.frequency', 'cpu.totalcompute', 'memory.totalbytes', 'unique.hostname', 'unique.network.ip-address', 'unique.storage.volume', 'unique.storage.bytestotal', 'unique.storage.bytesfree', 'nomad.version', 'nomad.revision', 'nomad.advertise.address', 'driver.raw_exec', 'driver.exec', 'driver.docker', 'driver.docker.version', 'driver.docker.os_type', 'driver.java', 'driver.java.version', 'driver.java.vm', 'driver.java.runtime']) {
    a[k] = `${k}-value-${k.length}`;
  }
  for (let i = 0; i < 60; i++) a[`unique.platform.aws.tag.${i}`] = `value-${i}-${'x'.repeat(i % 20)}`;
  return a;
}

/**
 * Mean CPU microseconds (user + system of this process) of one encode+decode, over enough
 * rounds to take about `budgetMs` of CPU. CPU time, not wall time: the machine is shared, and
 * what others run changes wall time far more than it changes the work done here.
 */
function measureUs(value: unknown, budgetMs: number): { us: number; bytes: number } {
  const bytes = encodePayload(value).length;
  for (let i = 0; i < 5; i++) decodePayload(encodePayload(value)); // warm up
  const cpuUs = (): number => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  let rounds = 0;
  const t0 = cpuUs();
  while (cpuUs() - t0 < budgetMs * 1000) {
    decodePayload(encodePayload(value));
    rounds++;
  }
  return { us: (cpuUs() - t0) / rounds, bytes };
}

export function runMsgpackBench(report: Report): void {
  const job = mockJob('web', { TaskGroups: [taskGroup('web', 3), taskGroup('cache', 2)], Meta: { owner: 'team-a', tier: 'frontend' } });
  const allocs = Array.from({ length: 1000 }, (_, i) => mockAlloc(uuidFrom(i, 1), uuidFrom(i % 50, 2), { Job: job, JobID: job.ID, Name: `web.web[${i}]` }));
  const node = mockNode(uuidFrom(1, 3), { Attributes: nodeAttributes(), Meta: { rack: 'r1', zone: 'a' } });
  report('msgpack_native_loaded', isNativeAccelerationEnabled ? 1 : 0, 'bool');
  const j = measureUs(job, 1000);
  report('msgpack_job_cpu_us', j.us, 'us');
  const a = measureUs(allocs, 3000);
  report('msgpack_allocs1000_cpu_ms', a.us / 1000, 'ms');
  const n = measureUs(node, 1000);
  report('msgpack_node_cpu_us', n.us, 'us');
  report('msgpack_job_bytes', j.bytes, 'bytes');
  report('msgpack_allocs1000_bytes', a.bytes, 'bytes');
  report('msgpack_node_bytes', n.bytes, 'bytes');
}
