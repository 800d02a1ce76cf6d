// Jobs that Nomad refuses are refused here too, each problem led by its field path and said in
// Nomad's words; none of them may reach the state.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalizeJob } from './canonicalize.js';
import { validateJob } from './validate.js';
import type { JobInput } from './job.js';

type Loose = Record<string, any>;

function job(edit: (j: Loose, group: Loose, task: Loose) => void): JobInput {
  const task: Loose = { Name: 'web', Driver: 'raw_exec', Config: { command: '/bin/true' } };
  const group: Loose = { Name: 'g', Tasks: [task] };
  const j: Loose = { ID: 'j', Type: 'batch', Datacenters: ['dc1'], TaskGroups: [group] };
  edit(j, group, task);
  return j as JobInput;
}

const errorsOf = (input: JobInput): string[] => validateJob(canonicalizeJob(input));

describe('validation refuses what Nomad refuses', () => {
  it('accepts the plain job these cases start from', () => {
    assert.deepEqual(errorsOf(job(() => {})), []);
  });

  const cases: Array<[string, (j: Loose, g: Loose, t: Loose) => void, string | string[]]> = [
    ['affinity weight out of range', (j) => (j.Affinities = [{ LTarget: '${node.class}', RTarget: 'x', Operand: '=', Weight: 120 }]), 'Affinities[0].Weight: Affinity weight must be within the range [-100,100], got 120'],
    ['affinity weight zero', (_j, g) => (g.Affinities = [{ LTarget: '${node.class}', RTarget: 'x', Operand: '=', Weight: 0 }]), 'TaskGroups[0].Affinities[0].Weight: Affinity weight cannot be zero'],
    ['spread percent over 100', (j) => (j.Spreads = [{ Attribute: '${node.datacenter}', Weight: 50, SpreadTarget: [{ Value: 'dc1', Percent: 150 }] }]), [
      'Spreads[0].SpreadTarget[0].Percent: Spread target percentage for value "dc1" must be between 0 and 100',
      'Spreads[0].SpreadTarget: Sum of spread target percentages must not be greater than 100%; got 150%',
    ]],
    ['spread percents summing past 100', (j) => (j.Spreads = [{ Attribute: '${node.datacenter}', Weight: 50, SpreadTarget: [{ Value: 'a', Percent: 60 }, { Value: 'b', Percent: 60 }] }]), 'Spreads[0].SpreadTarget: Sum of spread target percentages must not be greater than 100%; got 120%'],
    ['periodic spec type', (j) => (j.Periodic = { Spec: '* * * * *', SpecType: 'nope' }), 'Periodic.SpecType: Unknown periodic specification type "nope"'],
    ['periodic time zone', (j) => (j.Periodic = { Spec: '* * * * *', TimeZone: 'Mars/Olympus' }), 'Periodic.TimeZone: Invalid time zone "Mars/Olympus"'],
    ['service name', (_j, g) => (g.Services = [{ Name: 'bad name!!' }]), 'TaskGroups[0].Services[0].Name: Service name must be valid per RFC 1123 and can contain only alphanumeric characters or dashes: "bad name!!"'],
    ['version constraint', (j) => (j.Constraints = [{ LTarget: '${attr.nomad.version}', RTarget: '>>> 1', Operand: 'version' }]), 'Constraints[0].RTarget: Version constraint is invalid: Malformed constraint: >>> 1'],
    ['semver affinity', (_j, _g, t) => (t.Affinities = [{ LTarget: '${attr.os.version}', RTarget: '~> 1', Operand: 'semver', Weight: 50 }]), 'TaskGroups[0].Tasks[0].Affinities[0].RTarget: Semver affinity is invalid: Malformed constraint: ~> 1'],
    ['negative stop_after_client_disconnect', (_j, g) => (g.StopAfterClientDisconnect = -1), 'TaskGroups[0].StopAfterClientDisconnect: stop_after_client_disconnect must be a positive value'],
    ['dispatch payload requirement', (j) => (j.ParameterizedJob = { Payload: 'sometimes' }), 'ParameterizedJob.Payload: Unknown payload requirement: "sometimes"'],
    ['empty vault policies', (_j, _g, t) => (t.Vault = { Policies: [] }), 'TaskGroups[0].Tasks[0].Vault.Policies: Policy list cannot be empty'],
    ['vault signal without a signal', (_j, _g, t) => (t.Vault = { Policies: ['p'], ChangeMode: 'signal' }), 'TaskGroups[0].Tasks[0].Vault.ChangeSignal: Signal must be specified when using change mode "signal"'],
  ];
  for (const [name, edit, expected] of cases) {
    it(name, () => assert.deepEqual(errorsOf(job(edit)), typeof expected === 'string' ? [expected] : expected));
  }

  it('takes service names with interpolation, and names unnamed services after job, group and task', () => {
    const input = job((_j, g, t) => {
      g.Services = [{ Name: '${NOMAD_JOB_NAME}-api' }, {}];
      t.Services = [{}];
    });
    assert.deepEqual(errorsOf(input), []);
    const c = canonicalizeJob(input);
    assert.equal(c.TaskGroups[0]!.Services![1]!.Name, 'j-g');
    assert.equal(c.TaskGroups[0]!.Tasks[0]!.Services![0]!.Name, 'j-g-web');
  });
});
