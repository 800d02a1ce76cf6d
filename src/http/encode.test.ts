// List rows: the remembered text of a job's row is the row's JSON, and follows its summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateStore } from '../state/store.js';
import { mockJob } from '../../test/unit/state-fixtures.js';
import type { JobSummary } from '../structs/summary.js';
import { jobStub, jobStubText } from './encode.js';

function summary(jobId: string, running: number, index: number): JobSummary {
  return {
    JobID: jobId,
    Namespace: 'default',
    Summary: { cache: { Queued: 0, Complete: 0, Failed: 0, Running: running, Starting: 0, Lost: 0 } },
    Children: { Pending: 0, Running: 0, Dead: 0 },
    CreateIndex: 1,
    ModifyIndex: index,
  } as JobSummary;
}

test('a job row\'s text is its stub\'s JSON, made again when the job or its summary changes', () => {
  const store = new StateStore();
  store.write(1, (txn) => {
    txn.putJob(mockJob('a', { CreateIndex: 1, ModifyIndex: 1 }));
    txn.putJobSummary(summary('a', 0, 1));
  });
  const first = store.snapshot();
  const job = first.jobByID('default', 'a')!;
  assert.equal(jobStubText(job, first), JSON.stringify(jobStub(job, first)));
  assert.equal(jobStubText(job, first), jobStubText(job, first));

  store.write(2, (txn) => txn.putJobSummary(summary('a', 1, 2)));
  const second = store.snapshot();
  const text = jobStubText(job, second);
  assert.equal(JSON.parse(text).JobSummary.Summary.cache.Running, 1);
  assert.equal(text, JSON.stringify(jobStub(job, second)));

  store.write(3, (txn) => txn.putJob(mockJob('a', { CreateIndex: 1, ModifyIndex: 3, Priority: 70 })));
  const third = store.snapshot();
  assert.equal(JSON.parse(jobStubText(third.jobByID('default', 'a')!, third)).Priority, 70);
  // The older snapshot still shows the older row.
  assert.equal(JSON.parse(jobStubText(job, first)).JobSummary.Summary.cache.Running, 0);
});
