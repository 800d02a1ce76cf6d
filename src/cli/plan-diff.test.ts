import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobPlanResponse } from '../api/index.js';
import type { JobDiff } from '../structs/diff-types.js';
import { formatDryRun, formatJobDiff, planExitCode } from './plan-diff.js';
import { transcriptBlock } from '../../test/unit/cli-harness.js';

const field = (Type: string, Name: string, Old: string, New: string, Annotations: string[] | null = null) => ({ Type: Type as 'Edited', Name, Old, New, Annotations });

test('count change: edited field with annotation, unchanged task aligned', () => {
  const diff: JobDiff = {
    Type: 'Edited',
    ID: 'example',
    Fields: null,
    Objects: null,
    TaskGroups: [
      {
        Type: 'Edited',
        Name: 'cache',
        Fields: [field('Edited', 'Count', '1', '3', ['forces create'])],
        Objects: null,
        Updates: { create: 2, 'in-place update': 1 },
        Tasks: [{ Type: 'None', Name: 'redis', Fields: null, Objects: null, Annotations: null }],
      },
    ],
  };
  const ref = transcriptBlock('nomad job plan example.nomad', 1).lines;
  assert.deepEqual(formatJobDiff(diff, false).trim().split('\n'), ref.slice(0, 4));
});

test('destructive update: nested object with aligned fields and closing brace', () => {
  const diff: JobDiff = {
    Type: 'Edited',
    ID: 'example',
    Fields: null,
    Objects: null,
    TaskGroups: [
      {
        Type: 'Edited',
        Name: 'cache',
        Fields: null,
        Objects: null,
        Updates: { ignore: 2, 'create/destroy update': 1 },
        Tasks: [
          {
            Type: 'Edited',
            Name: 'redis',
            Fields: null,
            Annotations: ['forces create/destroy update'],
            Objects: [
              {
                Type: 'Edited',
                Name: 'Config',
                Objects: null,
                Fields: [
                  field('None', 'args[0]', '-c', '-c'),
                  field('Edited', 'args[1]', 'while true; do echo hi; sleep 1; done', 'while true; do echo hello; sleep 1; done'),
                  field('None', 'command', '/bin/sh', '/bin/sh'),
                ],
              },
            ],
          },
        ],
      },
    ],
  };
  const ref = transcriptBlock('nomad job plan example.nomad', 2).lines;
  assert.deepEqual(formatJobDiff(diff, false).trim().split('\n'), ref.slice(0, 8));
});

test('dry run lists placement failures; exit code follows the annotations', () => {
  const resp = {
    JobModifyIndex: 0,
    CreatedEvals: null,
    Diff: null,
    Warnings: '',
    NextPeriodicLaunch: null,
    FailedTGAllocs: { cache: { NodesEvaluated: 1, NodesExhausted: 1, DimensionExhausted: { memory: 1 }, CoalescedFailures: 1 } },
    Annotations: { DesiredTGUpdates: { cache: { Place: 0, InPlaceUpdate: 1, Stop: 0, Migrate: 0, DestructiveUpdate: 0, Canary: 0 } } },
  } as unknown as JobPlanResponse;
  assert.equal(
    formatDryRun(resp, 'service', 0),
    '- WARNING: Failed to place all allocations.\n  Task Group "cache" (failed to place 2 allocations):\n    * Resources exhausted on 1 nodes\n    * Dimension "memory" exhausted on 1 nodes',
  );
  assert.equal(planExitCode(resp), 0, 'in-place updates alone are not changes');
  resp.Annotations!.DesiredTGUpdates!['cache']!['Place'] = 2;
  assert.equal(planExitCode(resp), 1);
});
