// `nomad alloc logs | stop | restart | signal`.
import type { Allocation } from '../../structs/index.js';
import { frameData } from '../../api/index.js';
import type { Io } from '../context.js';
import { argsError, defineCommand, errText } from '../base.js';
import { FULL_ID_LENGTH, SHORT_ID_LENGTH } from '../format.js';
import { EvalMonitor } from '../monitor.js';
import { allocFromArg } from './alloc-pick.js';

/** Default number of lines for -tail without -n or -c. */
const DEFAULT_TAIL_LINES = 10;
/** Bytes requested per wanted line when tailing by lines; extra lines are cut locally. */
const BYTES_PER_LINE_GUESS = 512;
/** Bound on what a line-tail buffers before cutting. */
const MAX_TAIL_BUFFER_BYTES = 16 * 1024 * 1024;

/** The task named on the command line, or the group's only task. */
export function pickTask(io: Io, alloc: Allocation, wanted: string): string | null {
  const group = alloc.Job?.TaskGroups?.find((g) => g.Name === alloc.TaskGroup);
  const tasks = group ? group.Tasks.map((t) => t.Name) : Object.keys(alloc.TaskStates ?? {});
  if (wanted) {
    if (tasks.includes(wanted)) return wanted;
    io.err(`Could not find task named: ${wanted}, found:\n${tasks.map((t) => `  * ${t}`).join('\n')}`);
    return null;
  }
  if (tasks.length === 1) return tasks[0]!;
  io.err(`Allocation "${alloc.ID.slice(0, 8)}" is running the following tasks:\n${tasks.map((t) => `  * ${t}`).join('\n')}\n\nPlease specify the task.`);
  return null;
}

export const allocLogsCommand = defineCommand({
  name: 'alloc logs',
  synopsis: 'Stream the logs of a task',
  help: `Usage: nomad alloc logs [options] <allocation> <task>

  Prints what a task wrote to stdout (or stderr with -stderr). The task may be
  left out when the allocation runs only one.

Logs Options:

  -stderr
    Print the task's stderr instead of stdout.

  -f
    Keep the stream open and print new output as it arrives (Ctrl-C ends).

  -tail
    Print the end of the log instead of all of it (10 lines unless -n or -c).

  -n <lines>
    With -tail, the number of lines to print.

  -c <bytes>
    With -tail, the number of bytes to print.

  -task <task>
    The task to read, as an alternative to the second argument.

  -job
    The first argument is a job ID: read the logs of one of its allocations (a
    running one when there is any).
`,
  api: true,
  flags: (fs) => fs.bool('stderr').bool('f').bool('tail').int('n', -1).int('c', -1).string('task').bool('verbose').bool('job'),
  async run({ flags, args, io, client }) {
    if (args.length < 1 || args.length > 2) return argsError(io, 'alloc logs', 'This command takes one of the following argument conditions:\n * A single <allocation>\n * Two arguments: <allocation> <task>');
    const api = client();
    const alloc = await allocFromArg(api, io, args[0]!, flags.bool('job'));
    if (typeof alloc === 'number') return alloc;
    const task = pickTask(io, alloc, args[1] ?? flags.string('task'));
    if (!task) return 1;

    const lines = flags.int('n');
    const bytes = flags.int('c');
    const tail = flags.bool('tail') || flags.isSet('n') || flags.isSet('c');
    let origin: 'start' | 'end' = 'start';
    let offsetBytes = 0;
    let keepLines = -1;
    if (tail) {
      origin = 'end';
      if (bytes >= 0) offsetBytes = bytes;
      else {
        keepLines = lines >= 0 ? lines : DEFAULT_TAIL_LINES;
        offsetBytes = Math.min(MAX_TAIL_BUFFER_BYTES, Math.max(1, keepLines) * BYTES_PER_LINE_GUESS);
      }
    }
    const follow = flags.bool('f');
    try {
      const frames = api.allocations.logs(alloc.ID, {
        task,
        type: flags.bool('stderr') ? 'stderr' : 'stdout',
        follow,
        origin,
        offsetBytes,
        ...(io.interrupt ? { signal: io.interrupt } : {}),
      });
      if (keepLines < 0) {
        for await (const f of frames) {
          const data = frameData(f);
          if (data.length > 0) io.write(new Uint8Array(data.buffer, data.byteOffset, data.length));
        }
        return 0;
      }
      // Line tail: gather the end of the log, cut to the last N lines, then keep following.
      let head = '';
      let printedHead = false;
      for await (const f of frames) {
        const data = frameData(f).toString('utf8');
        if (printedHead) {
          if (data) io.write(data);
          continue;
        }
        head += data;
        if (follow && data === '' && head !== '') {
          io.write(lastLines(head, keepLines));
          printedHead = true;
        }
      }
      if (!printedHead) io.write(lastLines(head, keepLines));
      return 0;
    } catch (err) {
      io.err(`Error reading file: ${errText(err)}`);
      return 1;
    }
  },
});

export function lastLines(text: string, n: number): string {
  if (n <= 0) return '';
  const trailingNewline = text.endsWith('\n');
  const lines = (trailingNewline ? text.slice(0, -1) : text).split('\n');
  return lines.slice(-n).join('\n') + (trailingNewline ? '\n' : '');
}

export const allocStopCommand = defineCommand({
  name: 'alloc stop',
  synopsis: 'Stop and reschedule a running allocation',
  help: `Usage: nomad alloc stop [options] <allocation>

  Stops an allocation; the scheduler places a replacement. Follows the
  resulting evaluation unless -detach is given.

Stop Options:

  -detach
    Print the evaluation ID and return at once.

  -verbose
    Show full IDs.
`,
  api: true,
  flags: (fs) => fs.bool('detach').bool('verbose'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'alloc stop', 'This command takes one argument: <alloc-id>');
    const api = client();
    const alloc = await allocFromArg(api, io, args[0]!, false);
    if (typeof alloc === 'number') return alloc;
    let evalId: string;
    try {
      evalId = (await api.allocations.stop(alloc.ID)).body.EvalID;
    } catch (err) {
      io.err(`Error stopping allocation: ${errText(err)}`);
      return 1;
    }
    if (flags.bool('detach')) {
      io.out(evalId);
      return 0;
    }
    return new EvalMonitor(api, io, flags.bool('verbose') ? FULL_ID_LENGTH : SHORT_ID_LENGTH).monitor(evalId);
  },
});

export const allocRestartCommand = defineCommand({
  name: 'alloc restart',
  synopsis: 'Restart a running allocation',
  help: `Usage: nomad alloc restart [options] <allocation> <task>

  Restarts the tasks of a running allocation in place (or only <task>).
`,
  api: true,
  flags: (fs) => fs.bool('verbose').string('task'),
  async run({ flags, args, io, client }) {
    if (args.length < 1 || args.length > 2) return argsError(io, 'alloc restart', 'This command takes one or two arguments: <alloc-id> [<task>]');
    const api = client();
    const alloc = await allocFromArg(api, io, args[0]!, false);
    if (typeof alloc === 'number') return alloc;
    const task = args[1] ?? flags.string('task');
    if (task && !pickTask(io, alloc, task)) return 1;
    try {
      await api.allocations.restart(alloc.ID, task);
    } catch (err) {
      io.err(`Failed to restart allocation:\n\n${errText(err)}`);
      return 1;
    }
    return 0;
  },
});

export const allocSignalCommand = defineCommand({
  name: 'alloc signal',
  synopsis: 'Signal a running allocation',
  help: `Usage: nomad alloc signal [options] <allocation> <task>

  Sends a signal to the tasks of an allocation (or only <task>).

Signal Options:

  -s <signal>
    The signal to send (default SIGKILL).
`,
  api: true,
  flags: (fs) => fs.string('s', 'SIGKILL').bool('verbose'),
  async run({ flags, args, io, client }) {
    if (args.length < 1 || args.length > 2) return argsError(io, 'alloc signal', 'This command takes up to two arguments: <alloc-id> <task>');
    const api = client();
    const alloc = await allocFromArg(api, io, args[0]!, false);
    if (typeof alloc === 'number') return alloc;
    const task = args[1] ?? '';
    if (task && !pickTask(io, alloc, task)) return 1;
    try {
      await api.allocations.signal(alloc.ID, task, flags.string('s'));
    } catch (err) {
      io.err(`Error signalling allocation: ${errText(err)}`);
      return 1;
    }
    return 0;
  },
});
