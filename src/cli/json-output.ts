// The -json and -t flags of listing and info commands: -json prints the answer as Nomad's CLI
// does (indented by four spaces); -t (Go templates) is refused with a clear message rather than
// ignored, since this CLI has no Go template engine.
import type { Io } from './context.js';
import type { Flags } from './flags.js';

/** Prints `value` when -json asks for it and returns the exit code; null when neither flag was given. */
export function jsonOrTemplate(flags: Flags, io: Io, value: () => unknown): number | null {
  if (flags.string('t')) {
    io.err('The -t flag (Go templates) is not supported by this CLI; use -json and a JSON tool instead.');
    return 1;
  }
  if (!flags.bool('json')) return null;
  io.out(JSON.stringify(value(), null, 4));
  return 0;
}
