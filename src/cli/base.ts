// The shape every command shares: flags parsed Go-style, -h prints help, usage errors exit 1,
// API failures print as Nomad prints them.
import type { NomadClient } from '../api/index.js';
import { API_FLAGS_HELP, clientFrom, withApiFlags, type Command, type Io } from './context.js';
import { FlagSet, HelpRequested, UsageError, type Flags } from './flags.js';

export interface CommandSpec {
  name: string;
  synopsis: string;
  help: string;
  /** Whether the command talks to an agent (adds -address, -region, ...). */
  api: boolean;
  flags?: (fs: FlagSet) => FlagSet;
  run(ctx: RunContext): Promise<number>;
}

export interface RunContext {
  flags: Flags;
  args: string[];
  io: Io;
  /** Created on first use, so commands that fail on arguments never open a connection. */
  client(): NomadClient;
}

export function defineCommand(spec: CommandSpec): Command {
  const help = spec.api ? `${spec.help.trimEnd()}\n\n${API_FLAGS_HELP}` : spec.help.trimEnd();
  return {
    name: spec.name,
    synopsis: spec.synopsis,
    help,
    async run(argv: string[], io: Io): Promise<number> {
      let fs = new FlagSet(spec.name);
      if (spec.api) fs = withApiFlags(fs);
      if (spec.flags) fs = spec.flags(fs);
      let flags: Flags;
      try {
        flags = fs.parse(argv);
      } catch (err) {
        if (err instanceof HelpRequested) {
          io.out(help);
          return 0;
        }
        if (err instanceof UsageError) {
          io.err(err.message);
          io.err(help);
          return 1;
        }
        throw err;
      }
      let client: NomadClient | undefined;
      const ctx: RunContext = {
        flags,
        args: flags.args,
        io,
        client: () => (client ??= clientFrom(flags, io)),
      };
      try {
        return await spec.run(ctx);
      } finally {
        client?.close();
      }
    },
  };
}

/** Prints Nomad's wrong-argument-count message. */
export function argsError(io: Io, name: string, message: string): number {
  io.err(message);
  io.err(`For additional help try 'nomad ${name} -help'`);
  return 1;
}

export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why a file could not be read, in the words of Go's os package ("no such file or directory"). */
export function fileErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return errText(err);
}
