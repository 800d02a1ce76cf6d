// The `nomad` entry point: picks the command from the leading words and runs it; the exit
// code goes to process.exitCode so pending output is flushed before the process ends.
import { COMMANDS, ALIASES } from './commands/index.js';
import { processIo, type Command, type Io } from './context.js';
import { productVersion } from './commands/cluster.js';

const TOP_LEVEL = ['run', 'status', 'job', 'acl', 'alloc', 'namespace', 'node', 'agent', 'agent-info', 'deployment', 'eval', 'monitor', 'operator', 'scaling', 'server', 'system', 'tls', 'version'];

export async function main(argv: string[]): Promise<void> {
  const io = processIo();
  const controller = new AbortController();
  io.interrupt = controller.signal;
  const onInt = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  const isAgent = argv[0] === 'agent';
  if (!isAgent) process.on('SIGINT', onInt);
  // A reader that went away (`nomad job plan x | head`) ends the command quietly, as SIGPIPE
  // ends Nomad's, instead of an unhandled stream error.
  if (!isAgent) process.stdout.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit() : undefined));
  try {
    process.exitCode = await runCli(argv, io);
  } catch (err) {
    io.err(`Error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    if (!isAgent) process.off('SIGINT', onInt);
  }
}

/** Runs one command line against the given world; returns the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  if (argv.length === 0 || argv[0] === '-h' || argv[0] === '-help' || argv[0] === '--help') {
    io.out(topHelp());
    return argv.length === 0 ? 127 : 0;
  }
  if (argv[0] === '-v' || argv[0] === '-version' || argv[0] === '--version') {
    io.out(`Nomad v${productVersion()}`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    const prefix = subcommandPrefix(argv);
    if (prefix) {
      io.out(groupHelp(prefix));
      return argv.length === prefix.split(' ').length || isHelpFlag(argv[prefix.split(' ').length]) ? 0 : 127;
    }
    io.err(`Unknown command: ${argv[0]}\n`);
    io.err(topHelp());
    return 127;
  }
  return found.command.run(argv.slice(found.words), io);
}

function isHelpFlag(a: string | undefined): boolean {
  return a === '-h' || a === '-help' || a === '--help';
}

function findCommand(argv: string[]): { command: Command; words: number } | null {
  for (let n = Math.min(3, argv.length); n >= 1; n--) {
    const name = argv.slice(0, n).join(' ');
    const cmd = COMMANDS.find((c) => c.name === name);
    if (cmd) return { command: cmd, words: n };
    if (n === 1 && ALIASES[name]) {
      const target = COMMANDS.find((c) => c.name === ALIASES[name]);
      if (target) return { command: target, words: 1 };
    }
  }
  return null;
}

/** The longest run of leading words that begins some command's name ("job", "operator raft"). */
function subcommandPrefix(argv: string[]): string | null {
  for (let n = Math.min(2, argv.length); n >= 1; n--) {
    const p = argv.slice(0, n).join(' ');
    if (COMMANDS.some((c) => c.name.startsWith(p + ' '))) return p;
  }
  return null;
}

function groupHelp(prefix: string): string {
  const subs = COMMANDS.filter((c) => c.name.startsWith(prefix + ' '));
  const width = Math.max(...subs.map((c) => c.name.length - prefix.length - 1));
  const lines = subs.map((c) => `    ${c.name.slice(prefix.length + 1).padEnd(width)}    ${c.synopsis}`);
  return `Usage: nomad ${prefix} <subcommand> [options] [args]\n\n  Commands under "nomad ${prefix}". Run one with -h for its options.\n\nSubcommands:\n${lines.join('\n')}`;
}

function topHelp(): string {
  const synopsis = (word: string): string => {
    const exact = COMMANDS.find((c) => c.name === word);
    if (exact) return exact.synopsis;
    const fromAlias = ALIASES[word] ? COMMANDS.find((c) => c.name === ALIASES[word]) : undefined;
    if (fromAlias) return fromAlias.synopsis;
    return `Commands for ${word === 'alloc' ? 'allocations' : word === 'eval' ? 'evaluations' : word === 'node' ? 'client nodes' : word === 'server' ? 'servers' : word === 'operator' ? 'cluster operators' : word === 'system' ? 'system-wide maintenance' : word === 'acl' ? 'ACL policies and tokens' : word === 'tls' ? 'TLS certificates (a CA and agent certificates)' : word + 's'}`;
  };
  const width = Math.max(...TOP_LEVEL.map((w) => w.length));
  const lines = TOP_LEVEL.map((w) => `    ${w.padEnd(width)}    ${synopsis(w)}`);
  return `Usage: nomad [-version] [-help] [-autocomplete-(un)install] <command> [args]

Common commands:
${lines.join('\n')}

Every command accepts -h for its options. The agent is found at -address or
NOMAD_ADDR (default http://127.0.0.1:4646).`;
}
