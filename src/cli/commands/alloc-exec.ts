// `nomad alloc exec`: runs a command inside a task of an allocation, with this terminal's input
// and output (a pseudo-terminal on the other side with -t), and exits with the command's code.
import { isTty } from '../tty.js';
import { ExecClosedError } from '../../api/exec.js';
import { defineCommand, errText } from '../base.js';
import { EscapeFilter } from '../escape-filter.js';
import { pickTask } from './alloc-actions.js';
import { allocFromArg } from './alloc-pick.js';

export const allocExecCommand = defineCommand({
  name: 'alloc exec',
  synopsis: 'Execute commands in task',
  help: `Usage: nomad alloc exec [options] <allocation> <command>

  Runs a command in the environment of a running task of an allocation: inside
  its namespaces and chroot for exec tasks, in its container for docker, beside
  it for raw_exec. Input and output are this terminal's, and the command's exit
  code is this command's.

Exec Specific Options:

  -task <task-name>
    The task to run the command in; needed when the allocation runs more than
    one task.

  -job
    The first argument is a job ID: use one of its allocations (a running one
    when there is any).

  -i
    Pass standard input to the command (default true). -i=false closes it.

  -t
    Allocate a pseudo-terminal (default: when standard input and output are
    terminals).

  -e <escape_char>
    The escape character for the session (default "~"): at the start of a
    line, the escape character followed by "." ends the session. "none" turns
    escapes off. Only with a terminal.
`,
  api: true,
  flags: (fs) => fs.string('task').bool('job').bool('i', true).bool('t', isTty(process.stdin) && isTty(process.stdout)).string('e', '~'),
  async run({ flags, args, io, client }) {
    const job = flags.bool('job');
    if (args.length < 1) {
      io.err(job ? 'A job ID is required' : 'An allocation ID is required');
      io.err("For additional help try 'nomad alloc exec -help'");
      return 1;
    }
    if (args.length < 2) {
      io.err('A command is required');
      io.err("For additional help try 'nomad alloc exec -help'");
      return 1;
    }
    const escape = flags.string('e');
    if (escape !== 'none' && escape.length !== 1) {
      io.err('-e requires "none" or a single character');
      return 1;
    }
    const api = client();
    const alloc = await allocFromArg(api, io, args[0]!, job);
    if (typeof alloc === 'number') return alloc;
    if (alloc.ClientStatus !== 'running' && alloc.ClientStatus !== 'pending') {
      io.err(`Alloc "${alloc.ID}" is not running`);
      return 1;
    }
    const task = pickTask(io, alloc, flags.string('task'));
    if (!task) return 1;
    const tty = flags.bool('t');
    const useStdin = flags.bool('i');

    let session;
    try {
      session = await api.allocations.exec(alloc.ID, task, args.slice(1), tty, { stdout: (b) => io.write(new Uint8Array(b)), stderr: (b) => process.stderr.write(new Uint8Array(b)) }, alloc.Namespace);
    } catch (err) {
      io.err(`failed to exec into task: ${errText(err)}`);
      return 1;
    }
    const stdin = process.stdin;
    const raw = tty && isTty(stdin);
    const onResize = (): void => {
      if (process.stdout.rows && process.stdout.columns) session.resize(process.stdout.rows, process.stdout.columns);
    };
    const filter = raw && escape !== 'none' ? new EscapeFilter(escape.charCodeAt(0)) : null;
    const onData = (chunk: Buffer): void => {
      if (!filter) return session.sendStdin(chunk);
      const { send, disconnect } = filter.push(new Uint8Array(chunk));
      session.sendStdin(send);
      if (disconnect) session.close();
    };
    const onEnd = (): void => session.closeStdin();
    if (tty) {
      onResize();
      process.stdout.on('resize', onResize);
    }
    if (raw) (stdin as unknown as { setRawMode(on: boolean): void }).setRawMode(true);
    if (useStdin) {
      stdin.on('data', onData);
      stdin.on('end', onEnd);
      stdin.resume();
    } else {
      session.closeStdin();
    }
    try {
      return await session.exitCode;
    } catch (err) {
      if (err instanceof ExecClosedError && err.code === 1000) return 0;
      io.err(`failed to exec into task: ${errText(err)}`);
      return 1;
    } finally {
      process.stdout.off('resize', onResize);
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      if (raw) (stdin as unknown as { setRawMode(on: boolean): void }).setRawMode(false);
      stdin.pause();
      stdin.unref?.();
    }
  },
});
