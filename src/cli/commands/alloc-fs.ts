// `nomad alloc fs`: lists a directory of an allocation, prints a file (all of it, its end with
// -tail, following it with -f), or its details with -stat.
import type { AllocFileInfo } from '../../rpc/client-endpoints.js';
import { frameData } from '../../api/index.js';
import { defineCommand, errText } from '../base.js';
import { formatList, formatTime, humanizeBytes, parseRfc3339Ms } from '../format.js';
import { lastLines } from './alloc-actions.js';
import { allocFromArg } from './alloc-pick.js';

/** As Nomad: -tail without -n or -c prints the last 10 lines, fetching 120 bytes per line. */
const DEFAULT_TAIL_LINES = 10;
const BYTES_PER_LINE = 120;

function fileName(f: AllocFileInfo): string {
  return f.IsDir ? `${f.Name}/` : f.Name;
}

function sizeText(f: AllocFileInfo, machine: boolean): string {
  return machine ? String(f.Size) : humanizeBytes(f.Size);
}

export const allocFsCommand = defineCommand({
  name: 'alloc fs',
  synopsis: 'Inspect the contents of an allocation directory',
  help: `Usage: nomad alloc fs [options] <allocation> <path>

  Lists a directory of an allocation's directory tree, or prints a file. The
  path defaults to the allocation directory's root.

FS Specific Options:

  -H
    Machine friendly output: sizes in bytes.

  -verbose
    Show full information.

  -job <job-id>
    Use a random allocation from the specified job ID (a running one if any).

  -stat
    Show file stat information instead of the file's contents.

  -f
    Causes the output to not stop when the end of the file is reached, but
    rather to wait for additional output.

  -tail
    Show the end of the file (the last 10 lines unless -n or -c is given).

  -n
    With -tail, the number of lines to show.

  -c
    With -tail, the number of bytes to show.
`,
  api: true,
  flags: (fs) => fs.bool('H').bool('verbose').bool('job').bool('stat').bool('f').bool('tail').int('n', -1).int('c', -1),
  async run({ flags, args, io, client }) {
    if (args.length < 1) {
      io.err(flags.bool('job') ? 'A job ID is required' : 'An allocation ID is required');
      io.err("For additional help try 'nomad alloc fs -help'");
      return 1;
    }
    if (args.length > 2) {
      io.err('This command takes one or two arguments: <allocation> [<path>]');
      io.err("For additional help try 'nomad alloc fs -help'");
      return 1;
    }
    const path = args[1] ?? '/';
    const api = client();
    const alloc = await allocFromArg(api, io, args[0]!, flags.bool('job'));
    if (typeof alloc === 'number') return alloc;
    const machine = flags.bool('H');
    let file: AllocFileInfo;
    try {
      file = (await api.allocations.fsStat(alloc.ID, path)).body;
    } catch (err) {
      io.err(errText(err));
      return 1;
    }
    if (flags.bool('stat')) {
      io.out(formatList(['Mode|Size|Modified Time|Content Type|Name', `${file.FileMode}|${sizeText(file, machine)}|${formatTime(parseRfc3339Ms(file.ModTime))}|${file.ContentType ?? ''}|${fileName(file)}`]));
      return 0;
    }
    if (file.IsDir) {
      let files: AllocFileInfo[];
      try {
        files = (await api.allocations.fsList(alloc.ID, path)).body ?? [];
      } catch (err) {
        io.err(`Error listing alloc dir: ${errText(err)}`);
        return 1;
      }
      io.out(formatList(['Mode|Size|Modified Time|Name', ...files.map((f) => `${f.FileMode}|${sizeText(f, machine)}|${formatTime(parseRfc3339Ms(f.ModTime))}|${fileName(f)}`)]));
      return 0;
    }

    const tail = flags.bool('tail');
    const follow = flags.bool('f');
    const lines = flags.int('n');
    const bytes = flags.int('c');
    let offset = DEFAULT_TAIL_LINES * BYTES_PER_LINE;
    let keepLines = -1;
    if (tail) {
      if (lines !== -1 && bytes !== -1) {
        io.err('Both -n and -c are not allowed');
        return 1;
      }
      if (lines < -1 || bytes < -1) {
        io.err('Invalid size is specified');
        return 1;
      }
      if (lines !== -1) offset = lines * BYTES_PER_LINE;
      else if (bytes !== -1) offset = bytes;
      keepLines = bytes !== -1 ? -1 : lines !== -1 ? lines : DEFAULT_TAIL_LINES;
      offset = Math.min(offset, file.Size);
    }
    try {
      if (!follow) {
        const text = tail ? (await api.allocations.fsReadAt(alloc.ID, path, file.Size - offset)).body : (await api.allocations.fsCat(alloc.ID, path)).body;
        io.write(keepLines >= 0 ? lastLines(text, keepLines) : text);
        return 0;
      }
      const frames = api.allocations.fsStream(alloc.ID, path, tail ? 'end' : 'start', tail ? offset : 0, io.interrupt);
      // With -n, the first stretch (what is there now) is cut to its last lines; later output is printed as it comes.
      let head = keepLines >= 0 ? '' : null;
      for await (const f of frames) {
        const data = frameData(f);
        if (head === null) {
          if (data.length > 0) io.write(new Uint8Array(data.buffer, data.byteOffset, data.length));
          continue;
        }
        head += data.toString('utf8');
        if (f.Offset !== undefined && f.Offset >= file.Size) {
          io.write(lastLines(head, keepLines));
          head = null;
        }
      }
      if (head) io.write(lastLines(head, keepLines));
      return 0;
    } catch (err) {
      io.err(`${tail ? 'Error tailing file' : 'Error reading file'}: ${errText(err)}`);
      return 1;
    }
  },
});
