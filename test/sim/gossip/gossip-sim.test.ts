// The deterministic gossip simulations that run with `npm test`: every scenario at 5 and 50
// members over several seeds, and the 500-member cases with one seed (more under `npm run sim`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe as describeResult, replayCommand, SCENARIOS, type ScenarioResult } from './scenarios.js';

function check(r: ScenarioResult): void {
  assert.deepEqual(r.failures, [], `${describeResult(r)}\n  replay: ${replayCommand(r)}`);
}

function runSeeds(scenario: string, size: number, seeds: number[]): ScenarioResult[] {
  const fn = SCENARIOS[scenario]!;
  return seeds.map((seed) => {
    const r = fn(size, seed);
    check(r);
    return r;
  });
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

for (const scenario of ['join', 'kill', 'leave', 'partition', 'restart']) {
  test(`gossip sim: ${scenario}, 5 members, 10 seeds`, () => {
    runSeeds(scenario, 5, range(1, 10));
  });
}

for (const scenario of ['join', 'kill', 'leave', 'partition']) {
  test(`gossip sim: ${scenario}, 50 members, 3 seeds`, () => {
    runSeeds(scenario, 50, range(1, 3));
  });
}

// Seeds where one member missed every copy of the joiner's alive rumor; without the repair pull
// it learned of the join only from a periodic push-pull, 30-60 periods later.
test('gossip sim: join when one member misses the rumor (5 and 50 members)', () => {
  runSeeds('join', 5, [96, 148, 195]);
  runSeeds('join', 50, [27, 93, 142]);
});

// Seeds where a probe of the crashed member, stretched by a poor health score, outlived the
// crash, the force-leave and the restart: its failure accused the new incarnation, so members
// still held the restarted member suspect when all had seen it join.
test('gossip sim: restart is not accused by a probe of the previous process (5 and 50 members)', () => {
  runSeeds('restart', 5, [99, 103, 116, 172]);
  runSeeds('restart', 50, [8, 22, 31]);
});

test('gossip sim: 30% loss on one member causes no false failures (5 and 50 members)', () => {
  const results = [...runSeeds('loss', 5, range(1, 10)), ...runSeeds('loss', 50, range(1, 3))];
  assert.equal(results.reduce((n, r) => n + (r.figures['falseFailures'] ?? 0), 0), 0);
});

for (const scenario of ['join', 'kill', 'leave']) {
  test(`gossip sim: ${scenario}, 500 members, 1 seed`, () => {
    runSeeds(scenario, 500, [1]);
  });
}

test('gossip sim: a seed replays exactly', () => {
  const a = SCENARIOS['kill']!(50, 42);
  const b = SCENARIOS['kill']!(50, 42);
  assert.deepEqual(a, b);
  const c = SCENARIOS['partition']!(5, 9);
  const d = SCENARIOS['partition']!(5, 9);
  assert.deepEqual(c, d);
});
