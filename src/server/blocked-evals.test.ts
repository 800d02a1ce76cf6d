import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockedEvals } from './blocked-evals.js';
import { newEval } from './eval-factory.js';
import { systemClock, systemRandom } from '../structs/clock.js';
import type { Evaluation } from '../structs/evaluation.js';

function blockedEval(jobId: string, createIndex: number, classes: Record<string, boolean> | null, snapshotIndex = createIndex): Evaluation {
  return newEval({ clock: systemClock, random: systemRandom }, {
    Namespace: 'default',
    JobID: jobId,
    Type: 'service',
    Priority: 50,
    TriggeredBy: 'queued-allocs',
    Status: 'blocked',
    ClassEligibility: classes,
    CreateIndex: createIndex,
    ModifyIndex: createIndex,
    SnapshotIndex: snapshotIndex,
  });
}

function setup() {
  const enqueued: string[] = [];
  const duplicates: string[] = [];
  const b = new BlockedEvals({ enqueue: (e) => enqueued.push(e.ID), onDuplicate: (e) => duplicates.push(e.ID) });
  b.setEnabled(true);
  return { b, enqueued, duplicates };
}

test('unblocks only evals eligible for (or unaware of) the class that gained capacity', () => {
  const { b, enqueued } = setup();
  const wantsA = blockedEval('j1', 10, { 'class-a': true, 'class-b': false });
  const refusesC = blockedEval('j2', 11, { 'class-c': false });
  const notB = blockedEval('j3', 12, { 'class-b': false, 'class-a': false });
  for (const e of [wantsA, refusesC, notB]) b.block(e);
  b.unblock('class-b', 20);
  assert.deepEqual(enqueued, [refusesC.ID], 'an unseen class may fit an eval that never saw it');
  b.unblock('class-a', 21);
  assert.deepEqual(enqueued, [refusesC.ID, wantsA.ID]);
  assert.equal(b.stats().totalBlocked, 1);
});

test('escaped evals are unblocked by any capacity change', () => {
  const { b, enqueued } = setup();
  const e = { ...blockedEval('j', 5, { x: false }), EscapedComputedClass: true };
  b.block(e);
  b.unblock('x', 6);
  assert.deepEqual(enqueued, [e.ID]);
});

test('one blocked eval per job: the newer wins, the older is reported duplicate', () => {
  const { b, duplicates } = setup();
  const older = blockedEval('job', 10, { a: true });
  const newer = blockedEval('job', 15, { a: true });
  b.block(older);
  b.block(newer);
  assert.deepEqual(duplicates, [older.ID]);
  const stale = blockedEval('job', 12, { a: true });
  b.block(stale);
  assert.deepEqual(duplicates, [older.ID, stale.ID]);
  assert.equal(b.stats().totalBlocked, 1);
  assert.ok(b.has(newer.ID));
});

test('capacity that appeared after the eval snapshot unblocks it at once', () => {
  const { b, enqueued } = setup();
  b.unblock('a', 30);
  const e = blockedEval('job', 25, { a: true }, 25);
  b.block(e);
  assert.deepEqual(enqueued, [e.ID]);
  const later = blockedEval('job2', 40, { a: true }, 40);
  b.block(later);
  assert.deepEqual(enqueued, [e.ID], 'an eval that saw the capacity stays blocked');
});

test('untrack forgets a job', () => {
  const { b, enqueued } = setup();
  b.block(blockedEval('job', 1, { a: true }));
  b.untrack('default', 'job');
  b.unblock('a', 5);
  assert.deepEqual(enqueued, []);
});
