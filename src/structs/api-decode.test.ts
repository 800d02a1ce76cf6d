import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeApiBody } from './api-decode.js';
import { JOB_REGISTER_REQUEST } from './job-shape.js';
import { NomadError } from './errors.js';

const task = { Name: 't', Driver: 'raw_exec', Config: { command: '/bin/true', args: [{ deep: [1, 'x', null] }] } };
const job = (extra: Record<string, unknown> = {}, group: Record<string, unknown> = {}, taskExtra: Record<string, unknown> = {}) => ({
  Job: { ID: 'j', Datacenters: ['dc1'], ...extra, TaskGroups: [{ Name: 'g', ...group, Tasks: [{ ...task, ...taskExtra }] }] },
});

function refusal(body: unknown): string {
  try {
    decodeApiBody(body, JOB_REGISTER_REQUEST);
  } catch (e) {
    assert.ok(e instanceof NomadError && e.kind === 'bad_request', String(e));
    return e.message;
  }
  assert.fail('expected the body to be refused');
}

describe('API bodies decode as Go decodes them into Nomad API structs', () => {
  it('keeps a well-typed job as it is, fields of any shape included', () => {
    const body = job({ Priority: 70, Meta: { a: 'b' }, SubmitTime: 1796600112420649000 }, { Count: 3 });
    assert.deepEqual(decodeApiBody(body, JOB_REGISTER_REQUEST), body);
  });

  it('refuses a wrong type with the field path and the Go type, never a default', () => {
    assert.equal(refusal(job({}, { Count: '5' })), 'json: cannot unmarshal string into Go struct field TaskGroup.Job.TaskGroups.Count of type int (at Job.TaskGroups[0].Count)');
    assert.equal(refusal(job({ Priority: '90' })), 'json: cannot unmarshal string into Go struct field Job.Job.Priority of type int');
    assert.equal(refusal(job({ Meta: ['a'] })), 'json: cannot unmarshal array into Go struct field Job.Job.Meta of type map[string]string');
    assert.equal(refusal(job({}, {}, { KillSignal: 123 })), 'json: cannot unmarshal number into Go struct field Task.Job.TaskGroups.Tasks.KillSignal of type string (at Job.TaskGroups[0].Tasks[0].KillSignal)');
    assert.equal(refusal(job({}, {}, { Resources: 'big' })), 'json: cannot unmarshal string into Go struct field Task.Job.TaskGroups.Tasks.Resources of type api.Resources (at Job.TaskGroups[0].Tasks[0].Resources)');
    assert.equal(refusal(job({}, { RestartPolicy: 'never' })), 'json: cannot unmarshal string into Go struct field TaskGroup.Job.TaskGroups.RestartPolicy of type api.RestartPolicy (at Job.TaskGroups[0].RestartPolicy)');
    assert.equal(refusal(job({ Constraints: {} })), 'json: cannot unmarshal object into Go struct field Job.Job.Constraints of type []*api.Constraint');
    assert.equal(refusal({ Job: 'x' }), 'json: cannot unmarshal string into Go struct field JobRegisterRequest.Job of type api.Job');
    assert.equal(refusal([1]), 'json: cannot unmarshal array into Go value of type api.JobRegisterRequest');
  });

  it('refuses numbers that are not whole or out of the Go type range, quoting the number', () => {
    assert.equal(refusal(job({}, { Count: 1.5 })), 'json: cannot unmarshal number 1.5 into Go struct field TaskGroup.Job.TaskGroups.Count of type int (at Job.TaskGroups[0].Count)');
    assert.equal(refusal(job({ Affinities: [{ LTarget: 'a', RTarget: 'b', Operand: '=', Weight: 200 }] })), 'json: cannot unmarshal number 200 into Go struct field Affinity.Job.Affinities.Weight of type int8 (at Job.Affinities[0].Weight)');
    assert.equal(refusal(job({ Priority: 1e300 })), 'json: cannot unmarshal number 1e+300 into Go struct field Job.Job.Priority of type int');
    assert.equal(refusal(job({ Version: -1 })), 'json: cannot unmarshal number -1 into Go struct field Job.Job.Version of type uint64');
    assert.equal(refusal(job({}, {}, { KillTimeout: '5s' })), 'json: cannot unmarshal string into Go struct field Task.Job.TaskGroups.Tasks.KillTimeout of type time.Duration (at Job.TaskGroups[0].Tasks[0].KillTimeout)');
  });

  it('matches field names regardless of case; a later duplicate wins', () => {
    const out = decodeApiBody({ job: { id: 'j', taskgroups: [{ name: 'g', count: 3, COUNT: 4 }], meta: { Key: 'v' } } }, JOB_REGISTER_REQUEST);
    assert.deepEqual(out, { Job: { ID: 'j', TaskGroups: [{ Name: 'g', Count: 4 }], Meta: { Key: 'v' } } });
  });

  it('takes base64 bytes only as base64', () => {
    assert.deepEqual(decodeApiBody(job({ Payload: 'aGk=' }), JOB_REGISTER_REQUEST), job({ Payload: 'aGk=' }));
    assert.equal(refusal(job({ Payload: 'sometimes' })), 'illegal base64 data at input byte 9');
  });

  it('keeps "__proto__" keys as data', () => {
    const out = decodeApiBody(JSON.parse('{"Job": {"ID": "j", "Meta": {"__proto__": "x"}}}'), JOB_REGISTER_REQUEST);
    const meta = (out.Job as { Meta: Record<string, unknown> }).Meta;
    assert.equal(Object.getPrototypeOf(meta), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(meta, '__proto__')?.value, 'x');
  });
});
