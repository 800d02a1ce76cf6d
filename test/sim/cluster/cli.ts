// `npm run sim -- --only cluster --seeds N [--from S] [--verbose] [--trace] [--servers 3|5]
// [--fault-window-ms MS] [--debug]`: the whole server side in the simulation, over many seeds.
import { replayCommand, runSeeds, summaryLine } from './run-seeds.js';
import { intArg } from '../cli-args.js';

const args = process.argv.slice(2);
const seeds = intArg(args, '--seeds', 200);
const from = intArg(args, '--from', 1);
const verbose = args.includes('--verbose');
const trace = args.includes('--trace') ? (line: string) => console.log(line) : undefined;
const servers = intArg(args, '--servers', 0);
if (servers !== 0 && servers !== 3 && servers !== 5) {
  console.error(`--servers wants 3 or 5, got ${servers}`);
  process.exit(2);
}
const faultWindowMs = intArg(args, '--fault-window-ms', 0);
const options = { ...(trace ? { trace } : {}), ...(args.includes('--debug') ? { debugLogs: true } : {}), ...(servers ? { servers } : {}), ...(faultWindowMs ? { faultWindowMs } : {}) };

const summary = await runSeeds(from, seeds, options, (r) => {
  if (verbose || !r.ok) {
    console.log(
      `seed ${r.seed}: ${r.ok ? 'ok' : 'FAIL'} servers=${r.servers} clients=${r.clients} events=${r.events} sim=${(r.simulatedMs / 1000).toFixed(1)}s ` +
        `faults=${JSON.stringify(r.faults)} terms=${r.leaderTerms} writes=${JSON.stringify(r.writes)} index=${r.finalIndex}` +
        (r.error ? `\n  ${r.error}\n  replay: ${replayCommand(r.seed, options)}\n  last log lines:\n    ${(r.logTail ?? []).join('\n    ')}` : ''),
    );
  }
});
console.log(summaryLine(from, summary));
process.exit(summary.failures.length > 0 ? 1 : 0);
