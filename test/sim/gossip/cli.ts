// Many-seed runner: `npm run sim -- --seeds N [--from S] --only gossip`, or replay one case with
// `node dist/test/sim/gossip/cli.js --scenario kill --size 50 --seed 7`.

import { describe, replayCommand, SCENARIOS, type ScenarioResult } from './scenarios.js';

interface Plan {
  readonly scenario: string;
  readonly sizes: readonly number[];
}

/** 500-member runs cost seconds each, so they get a fraction of the seeds. */
const PLANS: readonly Plan[] = [
  { scenario: 'join', sizes: [5, 50, 500] },
  { scenario: 'kill', sizes: [5, 50, 500] },
  { scenario: 'leave', sizes: [5, 50, 500] },
  { scenario: 'loss', sizes: [5, 50] },
  { scenario: 'partition', sizes: [5, 50] },
  { scenario: 'restart', sizes: [3, 5] },
];
const LARGE_SIZE_SEED_DIVISOR = 10;

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function main(): number {
  const args = process.argv.slice(2);
  const seeds = Number(arg(args, '--seeds') ?? '10');
  const from = Number(arg(args, '--from') ?? '1');
  const only = arg(args, '--scenario');
  const size = arg(args, '--size');
  const seed = arg(args, '--seed');
  if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(from)) {
    console.error('usage: cli.js [--seeds N] [--from S] [--scenario NAME [--size N] [--seed S]]');
    return 2;
  }
  const results: ScenarioResult[] = [];
  const startedMs = Date.now();
  const run = (name: string, n: number, s: number): void => {
    const fn = SCENARIOS[name];
    if (fn === undefined) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(' ')}`);
    const r = fn(n, s);
    results.push(r);
    if (r.failures.length > 0) {
      console.log(describe(r));
      for (const f of r.failures) console.log(`  ${f}`);
      console.log(`  replay: ${replayCommand(r)}`);
    }
  };
  if (seed !== undefined) {
    for (const name of only === undefined ? Object.keys(SCENARIOS) : [only]) run(name, Number(size ?? '5'), Number(seed));
    for (const r of results) console.log(describe(r));
  } else {
    for (const plan of PLANS) {
      if (only !== undefined && plan.scenario !== only) continue;
      for (const n of size === undefined ? plan.sizes : [Number(size)]) {
        const count = n >= 500 ? Math.max(1, Math.ceil(seeds / LARGE_SIZE_SEED_DIVISOR)) : seeds;
        for (let s = from; s < from + count; s++) run(plan.scenario, n, s);
      }
    }
  }
  const failed = results.filter((r) => r.failures.length > 0);
  const fp = results.reduce((n, r) => n + (r.figures['falseFailures'] ?? 0), 0);
  console.log(`gossip sim: ${results.length} runs, ${failed.length} failed, ${fp} false failures, ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = main();
