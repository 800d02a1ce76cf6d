// `npm run sim -- --seeds N [--from S] [--verbose]`: the raft simulation over many seeds.
import { replayCommand, runSeeds } from './run-seeds.js';
import { intArg } from '../cli-args.js';

const args = process.argv.slice(2);
const seeds = intArg(args, '--seeds', 1000);
const from = intArg(args, '--from', 1);
const verbose = args.includes('--verbose');
const trace = args.includes('--trace') ? (line: string) => console.log(line) : undefined;

const summary = runSeeds(from, seeds, trace, (r) => {
  if (verbose || !r.ok) {
    console.log(
      `seed ${r.seed}: ${r.ok ? 'ok' : 'FAIL'} servers=${r.servers} faults=${r.faults} crashes=${r.crashes} elections=${r.elections} ` +
        `acked=${r.acknowledged} unknown=${r.unknown} commit=${r.commitIndex} liveness_ticks=${r.livenessTicks} msgs=${r.messages}` +
        (r.error ? `\n  ${r.error}\n  replay: ${replayCommand(r.seed)}` : ''),
    );
  }
});
const t = summary.totals;
console.log(
  `raft sim: ${summary.seeds} seeds from ${from}, ${summary.failures.length} failed, ${summary.elapsedMs} ms ` +
    `(acked writes/reads ${t.acknowledged}, crashes ${t.crashes}, elections ${t.elections}, worst liveness ${t.maxLivenessTicks} ticks, ` +
    `restores acknowledged ${t.restoresAcknowledged}, rolled back ${t.rollbacks})`,
);
process.exit(summary.failures.length > 0 ? 1 : 0);
