import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RestartPolicy } from '../structs/job.js';
import { decideRestart, initialRestartState, RestartReasons } from './restart-policy.js';

const policy: RestartPolicy = { Attempts: 2, Interval: 30 * 60e9, Delay: 15e9, Mode: 'fail' };
const exit = (exitCode: number, signal = 0) => ({ kind: 'exit' as const, exitCode, signal, err: null });
const zero = () => 0;

describe('restart policy', () => {
  it('batch: exit 0 terminates without restart; service: exit 0 restarts', () => {
    const s = initialRestartState(0);
    assert.equal(decideRestart(policy, s, exit(0), false, 1000, zero).action, 'terminate');
    const d = decideRestart(policy, s, exit(0), true, 1000, zero);
    assert.equal(d.action, 'restart');
    assert.equal(d.delayMs, 15_000);
    assert.equal(d.reason, RestartReasons.withinPolicy);
  });

  it('fails after Attempts restarts within the interval in fail mode, with Nomad\'s reason', () => {
    let s = initialRestartState(0);
    const actions: string[] = [];
    let last = '';
    for (let i = 0; i < 3; i++) {
      const d = decideRestart(policy, s, exit(1), false, 1000 + i, zero);
      s = d.state;
      actions.push(d.action);
      last = d.reason;
    }
    assert.deepEqual(actions, ['restart', 'restart', 'fail']);
    assert.equal(last, 'Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"');
  });

  it('resets the count once the interval has passed', () => {
    let s = initialRestartState(0);
    s = decideRestart(policy, s, exit(1), false, 10, zero).state;
    s = decideRestart(policy, s, exit(1), false, 20, zero).state;
    const d = decideRestart(policy, s, exit(1), false, 31 * 60_000, zero);
    assert.equal(d.action, 'restart');
    assert.equal(d.state.count, 1);
  });

  it('delay mode waits out the rest of the interval', () => {
    const p: RestartPolicy = { ...policy, Attempts: 1, Interval: 60e9, Mode: 'delay' };
    let s = initialRestartState(0);
    s = decideRestart(p, s, exit(1), false, 1_000, zero).state;
    const d = decideRestart(p, s, exit(1), false, 10_000, zero);
    assert.equal(d.action, 'restart');
    assert.equal(d.delayMs, 50_000);
    assert.equal(d.reason, RestartReasons.delay);
  });

  it('adds up to 25% jitter to the delay', () => {
    const d = decideRestart(policy, initialRestartState(0), exit(1), false, 1, () => 0.999);
    assert.ok(d.delayMs >= 15_000 && d.delayMs < 18_750, String(d.delayMs));
  });

  it('unrecoverable start errors fail at once; recoverable ones count as restarts', () => {
    const s = initialRestartState(0);
    assert.deepEqual(
      { ...decideRestart(policy, s, { kind: 'startError', recoverable: false }, true, 1, zero), state: null },
      { action: 'fail', delayMs: 0, reason: RestartReasons.unrecoverable, state: null },
    );
    assert.equal(decideRestart(policy, s, { kind: 'startError', recoverable: true }, true, 1, zero).action, 'restart');
  });

  it('zero attempts in fail mode: no restarts allowed', () => {
    const d = decideRestart({ ...policy, Attempts: 0 }, initialRestartState(0), exit(2), true, 1, zero);
    assert.equal(d.action, 'fail');
    assert.equal(d.reason, RestartReasons.noRestartsAllowed);
  });
});
