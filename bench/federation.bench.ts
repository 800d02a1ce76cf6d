// Federation figures on two regions of one server (with a client) each, as separate agent
// processes on loopback:
//   members_converge_ms    PUT /v1/agent/join until both servers see both alive
//   job_other_region_ms    a job registered through the other region's server until it runs
//   forward_overhead_ms    a read through the other region's server minus the same read made
//                          locally (medians over interleaved runs on kept-alive connections)
//   region_down_error_ms   a request for a region whose server was just killed, to its error
//   restart_lead_ms        the killed server restarted from its data_dir, until it serves its
//                          job as its region's leader
//   rejoin_ms              the same restart, until the other region reaches it again
// Prints `bench federation.FIGURE VALUE UNIT`.
import { Agent, request } from 'node:http';
import { http, jobBody, waitFor } from '../test/e2e/cluster-harness.js';
import { Federation, leaderOf } from '../test/e2e/federation-harness.js';

const READS = 400;
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

function print(figure: string, value: number, unit: string): void {
  console.log(`bench federation.${figure} ${value.toFixed(value < 10 ? 3 : 1)} ${unit}`);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One GET on a kept-alive connection; resolves with its milliseconds (throws on a non-200). */
function timedGet(addr: string, path: string): Promise<number> {
  const u = new URL(addr + path);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent: keepAlive }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${path}: ${res.statusCode}`));
        resolve(Number(process.hrtime.bigint() - started) / 1e6);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const fed = await Federation.start([
  { region: 'east', servers: 1, base: 81, options: { withClient: true } },
  { region: 'west', servers: 1, base: 82, options: { withClient: true } },
]);
try {
  const east = fed.server('east');
  const west = fed.server('west');

  const joinStarted = Date.now();
  const joined = await http<{ num_joined: number }>(east.addr, 'PUT', `/v1/agent/join?address=${west.ip}:${west.serf}`);
  if (joined.body.num_joined !== 1) throw new Error(`join failed: ${joined.text}`);
  await fed.waitConverged(15_000);
  print('members_converge_ms', Date.now() - joinStarted, 'ms');

  const job = jobBody('bench-job');
  job.Job.Region = 'west';
  (job.Job.TaskGroups as Array<{ Tasks: Array<{ Config: Record<string, unknown> }> }>)[0]!.Tasks[0]!.Config = { command: '/bin/sleep', args: ['1'] };
  const runStarted = Date.now();
  const reg = await http(east.addr, 'PUT', '/v1/jobs', job);
  if (reg.status !== 200) throw new Error(`register: ${reg.text}`);
  await waitFor(
    'the job runs in west',
    async () => {
      const allocs = await http<Array<{ ClientStatus: string }>>(west.addr, 'GET', '/v1/job/bench-job/allocations');
      return allocs.body.some((a) => a.ClientStatus === 'running' || a.ClientStatus === 'complete') ? true : undefined;
    },
    30_000,
    10,
  );
  print('job_other_region_ms', Date.now() - runStarted, 'ms');

  // Warm both paths, then interleave so that both see the same machine load.
  for (let i = 0; i < 20; i++) {
    await timedGet(west.addr, '/v1/job/bench-job');
    await timedGet(east.addr, '/v1/job/bench-job?region=west');
  }
  const local: number[] = [];
  const forwarded: number[] = [];
  for (let i = 0; i < READS; i++) {
    local.push(await timedGet(west.addr, '/v1/job/bench-job'));
    forwarded.push(await timedGet(east.addr, '/v1/job/bench-job?region=west'));
  }
  print('local_read_ms', median(local), 'ms');
  print('forwarded_read_ms', median(forwarded), 'ms');
  print('forward_overhead_ms', median(forwarded) - median(local), 'ms');

  await fed.cluster('west').kill('west-s1');
  const downStarted = Date.now();
  const down = await http(east.addr, 'GET', '/v1/job/bench-job?region=west', undefined, 30_000);
  if (down.status === 200) throw new Error('a request for a dead region succeeded');
  print('region_down_error_ms', Date.now() - downStarted, 'ms');

  const restarted = Date.now();
  fed.cluster('west').start('west-s1');
  await waitFor(
    'west leads with its job',
    async () => ((await http(west.addr, 'GET', '/v1/job/bench-job', undefined, 2_000)).status === 200 && (await leaderOf(west.addr, 'west')) ? true : undefined),
    60_000,
    20,
  );
  print('restart_lead_ms', Date.now() - restarted, 'ms');
  await waitFor('east reaches west again', async () => ((await http(east.addr, 'GET', '/v1/job/bench-job?region=west', undefined, 2_000)).status === 200 ? true : undefined), 60_000, 20);
  print('rejoin_ms', Date.now() - restarted, 'ms');
} finally {
  keepAlive.destroy();
  await fed.shutdown();
}
