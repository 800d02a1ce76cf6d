// A gossip member as a process of its own, driven through stdin/stdout JSON lines. Used by the
// process-level tests and handy for poking a cluster by hand:
//   node dist/src/gossip/standalone.js --name a --bind 127.0.0.1 --port 7946 [--join 127.0.0.2:7946]
// Commands (one JSON object per line): {"id":1,"cmd":"members"} | "stats" | "leave" | "shutdown" |
// {"cmd":"join","addrs":[...]} | {"cmd":"force-leave","name":"x"} | {"cmd":"tags","tags":{...}} |
// {"cmd":"keyring","op":"install|use|remove|list","key":"..."}.
// Output lines: {"ready":true,...}, {"event":...,"member":...}, {"id":1,"ok":true,"result":...}.

import { createInterface } from 'node:readline';
import { GossipAgent } from './agent.js';
import type { GossipTimings, TimingsProfile } from './timings.js';

interface Args {
  name: string;
  bind: string;
  port: number;
  join: string[];
  encrypt: string | undefined;
  profile: TimingsProfile;
  timings: Partial<GossipTimings>;
}

function parseArgs(argv: string[]): Args {
  const out: Args = { name: '', bind: '127.0.0.1', port: 4648, join: [], encrypt: undefined, profile: 'lan', timings: {} };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`flag ${flag} needs a value`);
    i++;
    switch (flag) {
      case '--name': out.name = value; break;
      case '--bind': out.bind = value; break;
      case '--port': out.port = Number(value); break;
      case '--join': out.join = value.split(',').filter((s) => s.length > 0); break;
      case '--encrypt': out.encrypt = value; break;
      case '--profile': out.profile = value as TimingsProfile; break;
      // Any timing by name, e.g. --probeIntervalMs 500.
      default:
        if (!flag.startsWith('--')) throw new Error(`unexpected argument ${flag}`);
        (out.timings as Record<string, number>)[flag.slice(2)] = Number(value);
    }
  }
  if (out.name === '') throw new Error('--name is required');
  return out;
}

function print(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const agent = new GossipAgent({
    name: args.name,
    bindAddr: args.bind,
    bindPort: args.port,
    encryptKey: args.encrypt,
    timingsProfile: args.profile,
    timings: args.timings,
    logger: { debug() {}, info() {}, warn: (m) => process.stderr.write(`${m}\n`), error: (m) => process.stderr.write(`${m}\n`) },
  });
  for (const type of ['member-join', 'member-leave', 'member-failed', 'member-update', 'member-reap'] as const) {
    agent.on(type, (member) => print({ event: type, member }));
  }
  await agent.start();
  const joined = args.join.length > 0 ? await agent.join(args.join) : 0;
  print({ ready: true, name: args.name, addr: args.bind, port: agent.port, joined });

  const handle = async (cmd: Record<string, unknown>): Promise<unknown> => {
    switch (cmd['cmd']) {
      case 'members': return agent.members();
      case 'stats': return agent.stats();
      case 'join': return agent.join(cmd['addrs'] as string[]);
      case 'force-leave': return agent.forceLeave(String(cmd['name']));
      case 'tags': agent.setTags(cmd['tags'] as Record<string, string>); return true;
      case 'keyring': {
        const op = String(cmd['op']);
        const key = String(cmd['key'] ?? '');
        if (op === 'list') return agent.keyring.list();
        if (op === 'install') agent.keyring.install(key);
        else if (op === 'use') agent.keyring.use(key);
        else if (op === 'remove') agent.keyring.remove(key);
        else throw new Error(`unknown keyring op ${op}`);
        return true;
      }
      case 'leave': await agent.leave(); await agent.shutdown(); setImmediate(() => process.exit(0)); return true;
      case 'shutdown': await agent.shutdown(); setImmediate(() => process.exit(0)); return true;
      default: throw new Error(`unknown command ${String(cmd['cmd'])}`);
    }
  };

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let cmd: Record<string, unknown>;
    try {
      cmd = JSON.parse(line) as Record<string, unknown>;
    } catch {
      print({ ok: false, error: 'not JSON' });
      return;
    }
    handle(cmd).then(
      (result) => print({ id: cmd['id'], ok: true, result }),
      (err: Error) => print({ id: cmd['id'], ok: false, error: err.message }),
    );
  });
  // The parent going away is our cue to stop (as a crash would look to the others).
  lines.on('close', () => {
    void agent.shutdown().then(() => process.exit(0));
  });
}

main().catch((err: Error) => {
  process.stderr.write(`gossip member: ${err.message}\n`);
  process.exit(1);
});
