// `nomad monitor`: streams an agent's log at a level of the user's choosing, until Ctrl-C.
import { argsError, defineCommand, errText } from '../base.js';

export const monitorCommand = defineCommand({
  name: 'monitor',
  synopsis: 'Stream logs from a Nomad agent',
  help: `Usage: nomad monitor [options]

  Stream log messages of a Nomad agent. The monitor command lets you listen
  for log levels that may be filtered out of the Nomad agent. For example your
  agent may only be logging at INFO level, but with the monitor command you can
  set -log-level DEBUG.

Monitor Options:

  -log-level <level>
    Sets the log level to monitor (default: INFO)

  -node-id <node-id>
    Sets the specific node to monitor

  -server-id <server-id>
    Sets the specific server to monitor

  -json
    Sets log output to JSON format
`,
  api: true,
  flags: (fs) => fs.string('log-level').string('node-id').string('server-id').bool('json'),
  async run({ flags, args, io, client }) {
    if (args.length > 0) return argsError(io, 'monitor', 'This command takes no arguments');
    const api = client();
    const signal = io.interrupt ?? new AbortController().signal;
    const frames = api.agent.monitor({
      logLevel: flags.string('log-level') || 'info',
      json: flags.bool('json'),
      nodeId: flags.string('node-id'),
      serverId: flags.string('server-id'),
      signal,
    });
    try {
      for await (const data of frames) io.write(new Uint8Array(data.buffer, data.byteOffset, data.length));
    } catch (err) {
      io.err(`Error starting monitor: ${errText(err)}`);
      io.err("For additional help try 'nomad monitor -help'");
      return 1;
    }
    if (signal.aborted) return 0;
    io.err('Remote side ended the monitor! This usually means that the remote side has exited or crashed.');
    return 1;
  },
});
