import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronSpecError, dispatchedChildId, launchTimeOfChild, nextLaunchMs, periodicChildId, sevenFieldSpec } from './periodic.js';
import type { PeriodicConfig } from './job.js';

const cron = (Spec: string, TimeZone = 'UTC'): PeriodicConfig => ({ Enabled: true, Spec, SpecType: 'cron', ProhibitOverlap: false, TimeZone });
const at = (iso: string): number => Date.parse(iso);
const next = (p: PeriodicConfig, from: string): string | null => {
  const ms = nextLaunchMs(p, at(from));
  return ms === null ? null : new Date(ms).toISOString();
};

test("Nomad's field counts: five from the minute, six add the year, seven start with seconds; nicknames", () => {
  assert.equal(sevenFieldSpec('*/15 * * * *'), '0 */15 * * * * *');
  assert.equal(sevenFieldSpec('0 3 * * * 2031'), '0 0 3 * * * 2031');
  assert.equal(sevenFieldSpec('30 0 3 * * * *'), '30 0 3 * * * *');
  assert.equal(sevenFieldSpec('@daily'), '0 0 0 * * * *');
  assert.throws(() => sevenFieldSpec('* * *'), /missing field/);
  assert.throws(() => sevenFieldSpec('* * * * * * * *'), /too many fields/);
});

test('next launches strictly after a time, in the job time zone, with cronexpr extensions', () => {
  assert.equal(next(cron('*/15 * * * *'), '2030-01-01T00:15:00Z'), '2030-01-01T00:30:00.000Z');
  assert.equal(next(cron('0 3 * * *', 'America/New_York'), '2030-01-01T00:00:00Z'), '2030-01-01T08:00:00.000Z');
  assert.equal(next(cron('0 0 * * 5L'), '2030-01-01T00:00:00Z'), '2030-01-25T00:00:00.000Z', 'last Friday of the month');
  assert.equal(next(cron('0 0 15W * *'), '2030-06-01T00:00:00Z'), '2030-06-14T00:00:00.000Z', 'the weekday nearest the 15th (a Saturday)');
  assert.equal(next(cron('5/20 * * * *'), '2030-01-01T00:06:00Z'), '2030-01-01T00:25:00.000Z', 'a start with a step');
  assert.equal(next(cron('0 0 1 1 * 2031'), '2030-03-01T00:00:00Z'), '2031-01-01T00:00:00.000Z', 'a year field');
  assert.equal(next(cron('0 0 1 1 * 2020'), '2030-03-01T00:00:00Z'), null, 'no time left');
  assert.equal(next({ ...cron('* * * * *'), SpecType: 'other' }, '2030-03-01T00:00:00Z'), null);
});

test('spec errors name the problem', () => {
  assert.equal(cronSpecError('*/5 * * * *'), null);
  assert.match(cronSpecError('61 * * * *')!, /minute/);
  assert.match(cronSpecError('* *')!, /missing field/);
});

test('child IDs carry the launch time (periodic) or the time and a UUID part (dispatch)', () => {
  const ms = at('2030-01-01T00:15:00Z');
  assert.equal(periodicChildId('nightly', ms + 999), 'nightly/periodic-1893456900');
  assert.equal(launchTimeOfChild('nightly/periodic-1893456900'), ms);
  assert.equal(launchTimeOfChild('a/b/periodic-12'), 12_000);
  assert.equal(launchTimeOfChild('nightly/dispatch-1893456900-abcd'), null);
  assert.equal(dispatchedChildId('render', '', ms, '0b1c2d3e-ffff'), 'render/dispatch-1893456900-0b1c2d3e');
  assert.equal(dispatchedChildId('render', 'user-7', ms, '0b1c2d3e-ffff'), 'render/dispatch-user-7-1893456900-0b1c2d3e');
});
