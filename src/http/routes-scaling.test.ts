import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcessApi, type InProcessApi } from '../../test/unit/http-harness.js';
import { mockNode } from '../../test/unit/scheduler/mock.js';

let live: InProcessApi;

before(async () => {
  live = await startInProcessApi();
});

after(async () => {
  await live.close();
});

function job(id: string, opts: { count?: number; scaling?: Record<string, unknown> | null; update?: boolean } = {}): unknown {
  return {
    Job: {
      ID: id,
      Type: 'service',
      Datacenters: ['dc1'],
      ...(opts.update === false ? { Update: { MaxParallel: 0 } } : {}),
      TaskGroups: [
        {
          Name: 'web',
          ...(opts.count !== undefined ? { Count: opts.count } : {}),
          ...(opts.scaling !== null ? { Scaling: opts.scaling ?? { Min: 1, Max: 4, Policy: { cooldown: '1m' } } } : {}),
          Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/sleep' }, Resources: { CPU: 20, MemoryMB: 16 } }],
        },
      ],
    },
  };
}

async function put(id: string, body: unknown): Promise<void> {
  const r = await live.call('PUT', '/v1/jobs', body);
  assert.equal(r.status, 200, r.text);
}

test('a scaled group gets a policy with its own ID, kept across versions; list, filter and read it', async () => {
  await put('api', job('api'));
  const list = await live.call('GET', '/v1/scaling/policies');
  assert.equal(list.status, 200);
  const stubs = list.json().filter((p: { Target: { Job: string } }) => p.Target.Job === 'api');
  assert.equal(stubs.length, 1);
  const stub = stubs[0];
  assert.deepEqual(Object.keys(stub).sort(), ['CreateIndex', 'Enabled', 'ID', 'ModifyIndex', 'Target', 'Type']);
  assert.deepEqual(stub.Target, { Namespace: 'default', Job: 'api', Group: 'web' });
  assert.equal(stub.Type, 'horizontal');
  assert.equal(stub.Enabled, true);
  assert.equal(list.headers['x-nomad-index'], String(live.store.snapshot().tableIndex('scaling_policy')));
  const one = await live.call('GET', `/v1/scaling/policy/${stub.ID}`);
  assert.equal(one.status, 200);
  assert.deepEqual([one.json().Min, one.json().Max, one.json().Policy], [1, 4, { cooldown: '1m' }]);
  // The job shows its policy as stored, and the group's count defaults to the policy's min.
  const stored = (await live.call('GET', '/v1/job/api')).json();
  assert.equal(stored.TaskGroups[0].Scaling.ID, stub.ID);
  assert.equal(stored.TaskGroups[0].Count, 1);
  await put('api', job('api', { scaling: { Min: 1, Max: 6 } }));
  const again = (await live.call('GET', `/v1/scaling/policy/${stub.ID}`)).json();
  assert.deepEqual([again.ID, again.CreateIndex, again.Max], [stub.ID, stub.CreateIndex, 6]);
  assert.ok(again.ModifyIndex > stub.ModifyIndex);
  assert.deepEqual((await live.call('GET', '/v1/scaling/policies?job=nope')).json(), []);
  assert.deepEqual((await live.call('GET', '/v1/scaling/policies?type=vertical_cpu')).json(), []);
  assert.equal((await live.call('GET', `/v1/scaling/policies?prefix=${stub.ID.slice(0, 4)}`)).json()[0].ID, stub.ID);
  const missing = await live.call('GET', '/v1/scaling/policy/00000000-0000-0000-0000-000000000000');
  assert.deepEqual([missing.status, missing.text], [404, 'policy not found']);
});

test('a policy the group count does not fit, or without max, is refused with the field', async () => {
  const r = await live.call('PUT', '/v1/jobs', job('bad', { count: 9, scaling: { Min: 1, Max: 4 } }));
  assert.equal(r.status, 400);
  assert.match(r.text, /TaskGroups\[0\]\.Scaling\.Max: Scaling policy invalid: task group count must not be greater than maximum count in scaling policy/);
  const noMax = await live.call('PUT', '/v1/jobs', job('bad', { scaling: { Min: 1 } }));
  assert.equal(noMax.status, 400);
  assert.match(noMax.text, /maximum count must be specified and non-negative/);
});

test('scaling actions are checked before anything is written', async () => {
  await put('checked', job('checked'));
  const cases: Array<[string, unknown, number, RegExp]> = [
    ['checked', { Count: 2, Target: {} }, 400, /^missing task group name for scaling action$/],
    ['checked', { Count: -1, Target: { Group: 'web' } }, 400, /^scaling action count can't be negative$/],
    ['checked', { Count: 2, Error: true, Target: { Group: 'web' } }, 400, /^scaling action should not contain count if error is true$/],
    ['checked', { Count: 2, Target: { Group: 'db' } }, 400, /^task group "db" specified for scaling does not exist in job$/],
    ['checked', { Count: 9, Target: { Group: 'web' } }, 400, /^group count was greater than scaling policy maximum: 9 > 4$/],
    ['checked', { Count: 0, Target: { Group: 'web' } }, 400, /^group count was less than scaling policy minimum: 0 < 1$/],
    ['checked', { Count: 2, Target: { Group: 'web', Job: 'other' } }, 400, /^job ID in payload did not match URL$/],
    ['checked', { Count: 'two', Target: { Group: 'web' } }, 400, /^Count: must be an integer, got string$/],
    ['nope', { Count: 2, Target: { Group: 'web' } }, 404, /^job "nope" not found$/],
  ];
  const eventsIndex = live.store.snapshot().tableIndex('scaling_event');
  const jobModifyIndex = live.store.snapshot().jobByID('default', 'checked')!.JobModifyIndex;
  for (const [id, body, status, message] of cases) {
    const r = await live.call('POST', `/v1/job/${id}/scale`, body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.text, message);
  }
  assert.equal(live.store.snapshot().tableIndex('scaling_event'), eventsIndex, 'no event was recorded');
  assert.equal(live.store.snapshot().jobByID('default', 'checked')!.JobModifyIndex, jobModifyIndex, 'the job did not change');
  const status = await live.call('GET', '/v1/job/nope/scale');
  assert.deepEqual([status.status, status.text], [404, 'job not found']);
});

test('a count changes the group (new version, job-scaling evaluation) and is recorded; an error report only records', async () => {
  await put('counted', job('counted'));
  const r = await live.call('POST', '/v1/job/counted/scale', { Count: 3, Target: { Group: 'web' }, Message: 'more', Meta: { by: 'test' } });
  assert.equal(r.status, 200, r.text);
  const out = r.json();
  assert.ok(out.EvalID);
  assert.equal(r.headers['x-nomad-index'], String(out.Index));
  const jobNow = (await live.call('GET', '/v1/job/counted')).json();
  assert.deepEqual([jobNow.Version, jobNow.TaskGroups[0].Count], [1, 3]);
  assert.equal((await live.call('GET', `/v1/evaluation/${out.EvalID}`)).json().TriggeredBy, 'job-scaling');
  const report = await live.call('POST', '/v1/job/counted/scale', { Target: { Group: 'web' }, Error: true, Message: 'metrics unavailable' });
  assert.equal(report.status, 200, report.text);
  assert.equal(report.json().EvalID, '');
  const status = await live.call('GET', '/v1/job/counted/scale');
  assert.equal(status.status, 200);
  const web = status.json().TaskGroups.web;
  assert.equal(web.Desired, 3);
  assert.deepEqual(
    web.Events.map((e: { Count: number | null; PreviousCount: number; Error: boolean; Message: string; EvalID: string | null }) => [e.Count, e.PreviousCount, e.Error, e.Message, e.EvalID]),
    [
      [null, 3, true, 'metrics unavailable', null],
      [3, 1, false, 'more', out.EvalID],
    ],
  );
  assert.deepEqual(web.Events[1].Meta, { by: 'test' });
  assert.equal((await live.call('GET', '/v1/job/counted')).json().Version, 1, 'the report made no new version');
});

test('while a deployment of the job runs, a count change is refused', async () => {
  await live.server.nodes.nodeRegister({ ...mockNode({ id: 'c9b83144-952d-eea2-2875-b5a843553204', name: 'n1' }), SecretID: 'secret' });
  await put('deploying', job('deploying', { count: 1 }));
  const deadline = Date.now() + 20_000;
  let deployment: { Status: string } | null = null;
  while (Date.now() < deadline && deployment === null) {
    const r = await live.call('GET', '/v1/job/deploying/deployment?index=1&wait=1s');
    deployment = r.json();
  }
  assert.equal(deployment?.Status, 'running');
  const r = await live.call('POST', '/v1/job/deploying/scale', { Count: 2, Target: { Group: 'web' } });
  assert.deepEqual([r.status, r.text], [400, 'job scaling blocked due to active deployment']);
});
