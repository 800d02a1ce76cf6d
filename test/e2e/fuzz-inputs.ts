// Seeded generators of bad (and sometimes good) input for the agent fuzz test: job JSON with
// mutated fields, HCL job files with hostile numbers, nesting, patterns and functions, query
// parameters and raw HTTP requests with odd headers. Case `i` of seed `s` is always the same input.
import { seededRng } from '../../src/gossip/rng.js';

/** The same seeded generator the simulations use: case `i` of a seed is the same everywhere. */
export const rng = seededRng;

export class Picker {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const WEIRD_STRINGS = ['', ' ', 'a b', 'bad name!!', '\u0000', 'sur\udfffid', '\ud800', '😀', 'é', '../..', '${node.class}', '%00', '\n', '"', '\\', 'x'.repeat(5_000), '-1', '1e400', 'null', 'true', '[]', '{}', '(?P<x>', '^(a+)+$', '>>> 1', 'nowhere', 'default', 'global'];
const WEIRD_NUMBERS = [0, -1, 1, 1.5, -0.5, 127, 128, 200, 255, 256, -129, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 1e300, -1e300, 5e-324, 90];

/** A random JSON value of any kind, some of them deep. */
export function weirdValue(p: Picker, depth = 0): unknown {
  switch (p.int(depth > 2 ? 4 : 7)) {
    case 0:
      return p.pick(WEIRD_STRINGS);
    case 1:
      return p.pick(WEIRD_NUMBERS);
    case 2:
      return p.chance(0.5);
    case 3:
      return null;
    case 4:
      return Array.from({ length: p.int(3) }, () => weirdValue(p, depth + 1));
    case 5:
      return Object.fromEntries(Array.from({ length: p.int(3) }, () => [p.pick(['a', 'Count', 'Name', '__proto__', 'ID', '']), weirdValue(p, depth + 1)]));
    default: {
      let v: unknown = 'deep';
      for (let i = p.pick([10, 300, 600]); i > 0; i--) v = [v];
      return v;
    }
  }
}

/** A job that is valid, and that no node can run (its datacenter has none): nothing gets placed. */
export function baseJob(id: string): Record<string, any> {
  return {
    ID: id,
    Type: 'batch',
    Datacenters: ['fuzz-dc'],
    Priority: 50,
    Meta: { owner: 'fuzz' },
    TaskGroups: [
      {
        Name: 'g',
        Count: 1,
        RestartPolicy: { Attempts: 1, Interval: 60e9, Delay: 1e9, Mode: 'fail' },
        Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true' }, Resources: { CPU: 100, MemoryMB: 64 }, KillSignal: 'SIGTERM' }],
      },
    ],
  };
}

/** Where mutations land: paths into the base job, with [0] for the first item. */
const JOB_PATHS = [
  ['ID'], ['Name'], ['Type'], ['Priority'], ['Region'], ['Namespace'], ['Datacenters'], ['Datacenters', 0], ['Meta'], ['Meta', 'owner'],
  ['Constraints'], ['Affinities'], ['Spreads'], ['Periodic'], ['ParameterizedJob'], ['Payload'], ['Update'], ['Version'], ['SubmitTime'],
  ['TaskGroups'], ['TaskGroups', 0], ['TaskGroups', 0, 'Name'], ['TaskGroups', 0, 'Count'], ['TaskGroups', 0, 'RestartPolicy'], ['TaskGroups', 0, 'RestartPolicy', 'Mode'],
  ['TaskGroups', 0, 'RestartPolicy', 'Delay'], ['TaskGroups', 0, 'Services'], ['TaskGroups', 0, 'StopAfterClientDisconnect'], ['TaskGroups', 0, 'EphemeralDisk'],
  ['TaskGroups', 0, 'Networks'], ['TaskGroups', 0, 'Tasks'], ['TaskGroups', 0, 'Tasks', 0, 'Name'], ['TaskGroups', 0, 'Tasks', 0, 'Driver'],
  ['TaskGroups', 0, 'Tasks', 0, 'Config'], ['TaskGroups', 0, 'Tasks', 0, 'Resources'], ['TaskGroups', 0, 'Tasks', 0, 'Resources', 'CPU'],
  ['TaskGroups', 0, 'Tasks', 0, 'Resources', 'MemoryMB'], ['TaskGroups', 0, 'Tasks', 0, 'KillSignal'], ['TaskGroups', 0, 'Tasks', 0, 'KillTimeout'],
  ['TaskGroups', 0, 'Tasks', 0, 'Vault'], ['TaskGroups', 0, 'Tasks', 0, 'Constraints'], ['TaskGroups', 0, 'Tasks', 0, 'Meta'],
] as const;

/** Structured values that are close to valid, so that mutations reach validation too. */
function nearValid(p: Picker, last: string | number): unknown {
  switch (last) {
    case 'Affinities':
      return [{ LTarget: '${node.class}', RTarget: 'x', Operand: p.pick(['=', 'regexp', 'version', 'nope']), Weight: p.pick([0, 50, 100, 101, -100, 127]) }];
    case 'Spreads':
      return [{ Attribute: p.pick(['', '${node.datacenter}']), Weight: p.pick([0, 50, 101]), SpreadTarget: [{ Value: 'a', Percent: p.pick([10, 100, 150, 255]) }] }];
    case 'Constraints':
      return [{ LTarget: '${attr.kernel.name}', RTarget: p.pick(['^(a+)+$', '(', '>>> 1', '~> 1.2', 'linux']), Operand: p.pick(['regexp', 'version', 'semver', '=', 'like']) }];
    case 'Periodic':
      return { Spec: '*/5 * * * *', SpecType: p.pick(['cron', 'nope']), TimeZone: p.pick(['UTC', 'Mars/Base', 'Europe/Paris']) };
    case 'ParameterizedJob':
      return { Payload: p.pick(['optional', 'required', 'forbidden', 'sometimes']) };
    case 'Services':
      return [{ Name: p.pick(['web', 'bad name!!', '${NOMAD_JOB_NAME}-x', '-x', 'x'.repeat(70)]) }];
    case 'Vault':
      return { Policies: p.pick([[], ['root'], ['p']]), ChangeMode: p.pick(['restart', 'signal', 'nope']) };
    case 'Update':
      return { MaxParallel: p.pick([-1, 1]), HealthyDeadline: p.pick([0, 1e9]), MinHealthyTime: p.pick([2e9, 0]) };
    default:
      return weirdValue(p);
  }
}

function setPath(root: any, path: readonly (string | number)[], value: unknown): void {
  let o = root;
  for (const k of path.slice(0, -1)) {
    if (o === null || typeof o !== 'object') return;
    o = o[k];
  }
  if (o !== null && typeof o === 'object') o[path[path.length - 1]!] = value;
}

/** The base job with a few fields replaced, renamed in another case, or removed. */
export function mutatedJob(p: Picker, id: string): Record<string, any> {
  const job = baseJob(id);
  for (let n = 1 + p.int(3); n > 0; n--) {
    const path = p.pick(JOB_PATHS);
    const last = path[path.length - 1]!;
    const what = p.int(10);
    if (what < 7) setPath(job, path, p.chance(0.5) ? nearValid(p, last) : weirdValue(p));
    else if (what < 9 && typeof last === 'string') {
      // The same field in another case: Go's decoder takes it.
      let o: any = job;
      for (const k of path.slice(0, -1)) o = o?.[k];
      if (o && typeof o === 'object' && last in o) {
        const v = o[last];
        delete o[last];
        o[p.chance(0.5) ? last.toLowerCase() : last.toUpperCase()] = v;
      }
    } else setPath(job, path, undefined);
  }
  return job;
}

const HCL_VALUES = [
  '18446744073709551616', '1e-400', '1e400', '12345678901234567890123456789012', '-5', '1.5', '0x10', '"5"', 'true', 'null',
  'regex("^(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!")', 'regexall("(x+x+)+y", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")',
  'file("/etc/passwd")', 'fileexists("/etc/shadow")', 'abspath(".")', 'length(file("/etc/hostname"))', 'jsondecode("[[[[1]]]]")',
  'upper("x")', 'format("%d", "x")', 'parseint("zz", 10)', 'var.nope', '"${"${"${1}"}"}"', '[1, [2, [3]]]', '{a = 1}',
];

/** An HCL job file: a valid template with one value swapped and, now and then, broken structure. */
export function mutatedHcl(p: Picker, id: string): string {
  const slot = p.pick(['priority', 'count', 'meta', 'kill_signal', 'cpu']);
  const value = p.chance(0.15) ? `${'['.repeat(p.pick([50, 250, 1_000]))}1${']'.repeat(300)}` : p.pick(HCL_VALUES);
  const v = (name: string, dflt: string): string => (slot === name ? value : dflt);
  let text = `job "${id}" {
  datacenters = ["fuzz-dc"]
  type = "batch"
  priority = ${v('priority', '50')}
  meta {
    owner = ${v('meta', '"fuzz"')}
  }
  group "g" {
    count = ${v('count', '1')}
    task "t" {
      driver = "raw_exec"
      kill_signal = ${v('kill_signal', '"SIGTERM"')}
      config {
        command = "/bin/true"
      }
      resources {
        cpu = ${v('cpu', '100')}
      }
    }
  }
}
`;
  const wreck = p.int(12);
  if (wreck === 0) text = text.slice(0, p.int(text.length));
  else if (wreck === 1) text = text.replace('{', '{'.repeat(p.pick([5, 300, 2_000])));
  else if (wreck === 2) text = 'meta {\n'.repeat(p.pick([100, 1_000])) + text;
  else if (wreck === 3) text = text.replace('"fuzz"', `"${'\\u'.repeat(3)}${p.pick(['d800', 'zzzz', ''])}"`);
  else if (wreck === 4) text = text.replace('type = "batch"', `type = "batch"\n  x = ${'!'.repeat(p.pick([10, 5_000]))}true`);
  return text;
}

const QUERY_PATHS = ['/v1/jobs', '/v1/job/fuzz-missing', '/v1/allocations', '/v1/evaluations', '/v1/nodes', '/v1/deployments', '/v1/job/fuzz-missing/summary', '/v1/client/fs/readat/nope', '/v1/client/fs/ls/nope', '/v1/status/leader', '/v1/regions', '/v1/agent/members'];
const QUERY_VALUES: Record<string, readonly string[]> = {
  index: ['0', '1', '2', '18446744073709551615x', '18446744073709551616', '1' + '0'.repeat(23), '9'.repeat(5_000), '-1', 'abc', '1e3', ''],
  wait: ['10ms', '50ms', '1s', 'abc', '-1s', '99999999999999999999h', '1.5s', ''],
  region: ['global', 'nowhere', '', '%ZZ', 'x'.repeat(300)],
  namespace: ['default', '*', 'nope', '', '\u0000'],
  prefix: ['', 'f', '%', '😀', 'x'.repeat(2_000)],
  pretty: ['', 'true', 'false', 'x'],
  stale: ['', 'true', 'x'],
  offset: ['0', '-1', '9223372036854775807', '9223372036854775808', 'x', '1e3'],
  limit: ['0', '-5', '9223372036854775807', 'x', ''],
  path: ['/', 'alloc/../', '../../etc', '%2e%2e', ''],
};

/** A GET with random query parameters; blocking ones carry a short wait. */
export function mutatedQuery(p: Picker): string {
  const path = p.pick(QUERY_PATHS);
  const names = Object.keys(QUERY_VALUES);
  const params: string[] = [];
  for (let n = 1 + p.int(4); n > 0; n--) {
    const name = p.pick(names);
    params.push(`${name}=${encodeURIComponent(p.pick(QUERY_VALUES[name]!))}`);
  }
  // A valid index past the current one blocks for the wait: keep that wait short.
  if (!params.some((q) => q.startsWith('wait='))) params.push('wait=20ms');
  return `${path}?${params.join('&')}`;
}

/** A raw HTTP/1.1 request with odd headers, encodings or request lines. */
export function mutatedRawRequest(p: Picker, port: number): string {
  const body = JSON.stringify({ Job: baseJob(`fuzz-raw-${p.int(1e6)}`) });
  switch (p.int(8)) {
    case 0:
      return `GET /v1/job/${'j'.repeat(p.pick([100, 70_000, 1_100_000]))} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`;
    case 1:
      return `GET /v1/jobs HTTP/1.1\r\nHost: x\r\nX-Nomad-Token: ${'t'.repeat(p.pick([10, 200_000, 1_100_000]))}\r\nConnection: close\r\n\r\n`;
    case 2: {
      const te = p.pick(['gzip, chunked', 'chunked, chunked', 'identity', 'CHUNKED', 'deflate']);
      return `PUT /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${te}\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    }
    case 3:
      return `GET /v1/jobs HTTP/1.1\r\nHost: x\r\n${p.pick(['Bad Header: y', 'X: \u0001', ': novalue', 'X-A:' + ' '.repeat(3)])}\r\nConnection: close\r\n\r\n`;
    case 4:
      return `${p.pick(['GARBAGE', 'GET', 'GET /v1/jobs HTTP/9.9', 'GET /v1/jobs\u0000 HTTP/1.1', 'PUT /v1/jobs HTTP/1.1\r\nContent-Length: -1'])}\r\nHost: x\r\n\r\n`;
    case 5:
      return `PUT /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nContent-Length: ${body.length + 1}\r\nConnection: close\r\n\r\n${body}`;
    case 6:
      return `PUT /v1/validate/job HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    default:
      return `GET /v1/job/${p.pick(['%ED%BF%BF', '%FF%FE', '%', '%%', '..%2F..'])}?${p.pick(['index=1&wait=10ms', 'region=nowhere', ''])} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
  }
}
