// `nomad operator metrics`: the agent's /v1/metrics as it answers it (JSON, or Prometheus text
// with -format prometheus), or re-encoded with -json.
import { argsError, defineCommand, errText } from '../base.js';

export const operatorMetricsCommand = defineCommand({
  name: 'operator metrics',
  synopsis: 'Retrieve Nomad metrics',
  help: `Usage: nomad operator metrics [options]

  Get Nomad metrics

Metrics Specific Options

  -pretty
    Pretty prints the JSON output

  -format <format>
    Specify output format (prometheus)

  -json
    Output the metrics in their JSON format.
`,
  api: true,
  flags: (fs) => fs.bool('pretty').string('format').bool('json'),
  async run({ flags, args, io, client }) {
    if (args.length !== 0) return argsError(io, 'operator metrics', 'This command takes no arguments');
    if (flags.bool('json')) {
      try {
        io.out(JSON.stringify((await client().system.metrics()).body, null, 4));
        return 0;
      } catch (err) {
        io.err(`Error querying metrics: ${errText(err)}`);
        return 1;
      }
    }
    const params: Record<string, string> = {};
    if (flags.bool('pretty')) params['pretty'] = '1';
    const format = flags.string('format');
    if (format) params['format'] = format;
    try {
      io.out((await client().system.metricsRaw(params)).body.replace(/\n$/, ''));
      return 0;
    } catch (err) {
      io.err(`Error getting metrics: ${errText(err)}`);
      return 1;
    }
  },
});
