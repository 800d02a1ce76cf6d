import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { EvalBroker } from './eval-broker.js';
import { newEval } from './eval-factory.js';
import { systemClock, systemRandom } from '../structs/clock.js';
import type { Evaluation } from '../structs/evaluation.js';

function ev(jobId: string, priority = 50, type = 'service'): Evaluation {
  return newEval({ clock: systemClock, random: systemRandom }, { Namespace: 'default', JobID: jobId, Type: type, Priority: priority, TriggeredBy: 'job-register' });
}

const made: EvalBroker[] = [];
afterEach(() => {
  for (const b of made.splice(0)) b.setEnabled(false);
});

function broker(extra: ConstructorParameters<typeof EvalBroker>[0] = {}): EvalBroker {
  const b = new EvalBroker({ initialNackDelayMs: 0, subsequentNackDelayMs: 0, ...extra });
  b.setEnabled(true);
  made.push(b);
  return b;
}

test('dequeues the highest priority first, then first-in first-out', async () => {
  const b = broker();
  const low = ev('a', 10);
  const high1 = ev('b', 80);
  const high2 = ev('c', 80);
  const mid = ev('d', 50);
  for (const e of [low, high1, high2, mid]) b.enqueue(e);
  const order: string[] = [];
  for (let i = 0; i < 4; i++) {
    const got = await b.dequeue(['service'], 100);
    assert.ok(got);
    order.push(got.eval.ID);
    b.ack(got.eval.ID, got.token);
  }
  assert.deepEqual(order, [high1.ID, high2.ID, mid.ID, low.ID]);
});

test('only asked-for scheduler types are handed out', async () => {
  const b = broker();
  b.enqueue(ev('sys', 50, 'system'));
  assert.equal(await b.dequeue(['service'], 10), null);
  const got = await b.dequeue(['system', 'service'], 10);
  assert.equal(got?.eval.JobID, 'sys');
});

test('one eval per job in flight: the next waits for the ack', async () => {
  const b = broker();
  const first = ev('job', 50);
  const second = ev('job', 90);
  b.enqueue(first);
  b.enqueue(second);
  const got = await b.dequeue(['service'], 10);
  assert.equal(got?.eval.ID, first.ID);
  assert.equal(await b.dequeue(['service'], 10), null, 'the second eval of the job must wait');
  assert.equal(b.stats().totalPending, 1);
  b.ack(first.ID, got!.token);
  const next = await b.dequeue(['service'], 10);
  assert.equal(next?.eval.ID, second.ID);
});

test('a parked dequeue is woken by an enqueue', async () => {
  const b = broker();
  const waiting = b.dequeue(['service'], 5_000);
  const e = ev('x');
  b.enqueue(e);
  assert.equal((await waiting)?.eval.ID, e.ID);
});

test('a parked worker wakes after the enqueuing turn: the write that made the eval answers its caller first', async () => {
  const b = broker();
  const order: string[] = [];
  const waiting = b.dequeue(['service'], 5_000).then((got) => {
    order.push('worker');
    return got;
  });
  const e = ev('x');
  b.enqueue(e);
  // The eval is handed out at once (a second worker would not get it)...
  assert.equal(b.stats().byScheduler['service']?.unacked, 1);
  // ...but its worker runs only after everything the enqueuing code chains on promises.
  for (let hop = 0; hop < 20; hop++) await Promise.resolve();
  order.push('caller answered');
  assert.equal((await waiting)?.eval.ID, e.ID);
  assert.deepEqual(order, ['caller answered', 'worker']);
});

test('nacked evals are redelivered, and failed after the delivery limit', async () => {
  const failed: string[] = [];
  const b = broker({ deliveryLimit: 3, onFailed: (e) => failed.push(e.ID) });
  const e = ev('job');
  b.enqueue(e);
  for (let i = 1; i <= 3; i++) {
    const got = await b.dequeue(['service'], 100);
    assert.equal(got?.eval.ID, e.ID, `delivery ${i}`);
    b.nack(got!.eval.ID, got!.token);
  }
  assert.deepEqual(failed, [e.ID]);
  assert.equal(await b.dequeue(['service'], 10), null);
  // The job's slot is free again.
  const later = ev('job');
  b.enqueue(later);
  assert.equal((await b.dequeue(['service'], 10))?.eval.ID, later.ID);
});

test('an eval not acked within the nack timeout is redelivered', async () => {
  const b = broker({ nackTimeoutMs: 20 });
  const e = ev('job');
  b.enqueue(e);
  const first = await b.dequeue(['service'], 100);
  assert.ok(first);
  const second = await b.dequeue(['service'], 2_000);
  assert.equal(second?.eval.ID, e.ID);
  assert.notEqual(second!.token, first.token);
  assert.throws(() => b.ack(e.ID, first.token), /Token does not match/);
  b.ack(e.ID, second!.token);
});

test('an eval with WaitUntil is held until then', async () => {
  let now = 1_000_000;
  const b = broker({ clock: { ...systemClock, nowMs: () => now } });
  const e = { ...ev('job'), WaitUntil: new Date(now + 30).toISOString() };
  b.enqueue(e);
  assert.equal(await b.dequeue(['service'], 0), null);
  assert.equal(b.stats().totalWaiting, 1);
  now += 30;
  const got = await b.dequeue(['service'], 2_000);
  assert.equal(got?.eval.ID, e.ID);
});

test('disabling flushes everything and releases parked dequeues', async () => {
  const b = broker();
  const parked = b.dequeue(['batch'], 5_000);
  const handed = b.dequeue(['service'], 5_000);
  // The first is handed to the parked service dequeue (which wakes on the next turn), the second is ready.
  b.enqueue(ev('a'));
  b.enqueue(ev('b'));
  b.setEnabled(false);
  assert.equal(await parked, null);
  assert.equal(await handed, null, 'the eval it was handed went with the flush');
  assert.equal(b.stats().totalReady, 0);
});

test('an eval written again while a worker holds it goes out again once acked, in its newer version', async () => {
  const b = broker();
  const first = { ...ev('j'), ModifyIndex: 5 };
  b.enqueue(first);
  const got = await b.dequeue(['service'], 100);
  assert.ok(got);
  // The same version seen again (a restore) is no reason to run it twice.
  b.enqueue(first);
  // The worker blocked it again and capacity appeared meanwhile: the blocked set hands it back.
  const reblocked: Evaluation = { ...first, Status: 'blocked', ModifyIndex: 9 };
  b.enqueue(reblocked);
  assert.equal(await b.dequeue(['service'], 10), null, 'not while the first delivery is outstanding');
  b.ack(got.eval.ID, got.token);
  const again = await b.dequeue(['service'], 100);
  assert.ok(again, 'delivered again after the ack');
  assert.equal(again.eval.ModifyIndex, 9);
  b.ack(again.eval.ID, again.token);
  assert.equal(await b.dequeue(['service'], 10), null, 'and only once');
});
