import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NomadError } from '../structs/errors.js';
import type { Namespace } from '../structs/namespace.js';
import { FSM } from './fsm.js';
import { StateStore } from './store.js';
import { mockEval, mockJob, T0_NS } from '../../test/unit/state-fixtures.js';

function ns(name: string, description = ''): Namespace {
  return { Name: name, Description: description, Quota: '', Capabilities: null, Meta: null, CreateIndex: 0, ModifyIndex: 0 };
}

test('the default namespace exists before anything is written, and an update keeps its creation index', () => {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  assert.deepEqual(store.snapshot().namespaces().map((n) => n.Name), ['default']);
  assert.equal(store.snapshot().tableIndex('namespaces'), 0);
  fsm.apply(5, { Type: 'NamespaceUpsert', Namespaces: [ns('default', 'shared'), ns('prod', 'production')] });
  fsm.apply(7, { Type: 'NamespaceUpsert', Namespaces: [ns('prod', 'production, again')] });
  const snap = store.snapshot();
  assert.deepEqual(
    snap.namespaces().map((n) => [n.Name, n.Description, n.CreateIndex, n.ModifyIndex]),
    [
      ['default', 'shared', 1, 5],
      ['prod', 'production, again', 5, 7],
    ],
  );
  assert.equal(snap.tableIndex('namespaces'), 7);
});

test('a namespace is deleted only when it exists, is not the default one and holds no live job', () => {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  fsm.apply(2, { Type: 'NamespaceUpsert', Namespaces: [ns('prod')] });
  fsm.apply(3, { Type: 'JobRegister', Job: mockJob('web', { Namespace: 'prod' }), Eval: mockEval('e1', 'web', { Namespace: 'prod' }), SubmitTimeNs: T0_NS });
  const refused = (names: string[], re: RegExp): void => {
    assert.throws(() => fsm.apply(9, { Type: 'NamespaceDelete', Names: names }), (e: unknown) => e instanceof NomadError && re.test(e.message));
  };
  refused(['default'], /default namespace can not be deleted/);
  refused(['nope'], /namespace "nope" does not exist/);
  refused(['prod'], /namespace "prod" contains at least one non-terminal job "web"/);
  assert.equal(store.snapshot().latestIndex(), 3, 'refused deletes change nothing');
  fsm.apply(4, { Type: 'JobDeregister', Namespace: 'prod', JobID: 'web', Purge: true, Eval: null, SubmitTimeNs: T0_NS + 1 });
  fsm.apply(5, { Type: 'NamespaceDelete', Names: ['prod'] });
  assert.equal(store.snapshot().namespaceByName('prod'), null);
  assert.deepEqual(store.snapshot().namespaces().map((n) => n.Name), ['default']);
});

test('namespaces and periodic launches survive a snapshot and restore', () => {
  const store = new StateStore({ freezeObjects: true });
  const fsm = new FSM(store);
  fsm.apply(2, { Type: 'NamespaceUpsert', Namespaces: [{ ...ns('batch', 'nightly'), Meta: { team: 'data' } }] });
  const periodic = mockJob('nightly', { Type: 'batch', Namespace: 'batch', Periodic: { Enabled: true, Spec: '0 3 * * *', SpecType: 'cron', ProhibitOverlap: true, TimeZone: 'UTC' } });
  fsm.apply(3, { Type: 'JobRegister', Job: periodic, Eval: null, SubmitTimeNs: T0_NS });
  const other = new StateStore({ freezeObjects: true });
  new FSM(other).restore(fsm.snapshot());
  const b = other.snapshot();
  assert.deepEqual(b.namespaces(), store.snapshot().namespaces());
  assert.deepEqual(b.periodicLaunch('batch', 'nightly'), store.snapshot().periodicLaunch('batch', 'nightly'));
  assert.equal(b.tableIndex('namespaces'), 2);
  assert.equal(b.tableIndex('periodic_launch'), 3);
});
