// The slice queue runs tasks in order, a bounded time per turn, and lets the event loop in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SliceQueue } from './slice-queue.js';

test('tasks run in the order queued; a turn stops once its budget is spent', async () => {
  let nowMs = 0;
  const q = new SliceQueue(10, () => nowMs);
  const ran: number[] = [];
  // Each task takes 4 ms of the fake clock: a 10 ms budget ends a turn after the third task.
  const all = new Promise<void>((resolve) => {
    for (let i = 0; i < 7; i++) {
      q.push(() => {
        nowMs += 4;
        ran.push(i);
        if (i === 6) resolve();
      });
    }
  });
  assert.equal(q.size, 7);
  const turns: number[][] = [];
  // An immediate queued after the queue's first turn runs between its turns.
  await new Promise<void>((r) => setImmediate(r));
  turns.push([...ran]);
  await new Promise<void>((r) => setImmediate(r));
  turns.push([...ran]);
  await all;
  assert.deepEqual(turns, [
    [0, 1, 2],
    [0, 1, 2, 3, 4, 5],
  ]);
  assert.deepEqual(ran, [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(q.size, 0);
});

test('a task queued by a task runs in a later turn, and a failing task does not stop the others', async () => {
  const q = new SliceQueue(1_000, () => 0);
  const ran: string[] = [];
  await new Promise<void>((resolve) => {
    q.push(() => {
      ran.push('first');
      q.push(() => {
        ran.push('queued by first');
        resolve();
      });
    });
    q.push(() => {
      throw new Error('task failure');
    });
    q.push(() => ran.push('third'));
  });
  assert.deepEqual(ran, ['first', 'third', 'queued by first']);
});

test('a task that queues itself again gets one turn per loop iteration', async () => {
  const q = new SliceQueue(1_000, () => 0);
  let turns = 0;
  let iterations = 0;
  const ITERATIONS = 12;
  const step = (): void => {
    turns++;
    if (iterations < ITERATIONS) q.push(step);
  };
  q.push(step);
  // An immediate that queues itself again runs once per loop iteration: it counts them.
  const turnsSeen = await new Promise<number>((resolve) => {
    const probe = (): void => {
      iterations++;
      if (iterations < ITERATIONS) setImmediate(probe);
      else resolve(turns);
    };
    setImmediate(probe);
  });
  // Turns that multiplied (two scheduled per turn) would be in the thousands by now.
  assert.ok(turnsSeen <= ITERATIONS + 1, `${turnsSeen} turns in ${ITERATIONS} loop iterations`);
});

test('run gives back what its function returned or threw, in queue order', async () => {
  const q = new SliceQueue(1_000, () => 0);
  const order: string[] = [];
  const a = q.run(() => {
    order.push('a');
    return 1;
  });
  const b = q.run(() => {
    order.push('b');
    throw new Error('b failed');
  });
  assert.equal(await a, 1);
  await assert.rejects(b, /b failed/);
  assert.deepEqual(order, ['a', 'b']);
});

test('a turn gives way to a write: an immediate queued after it runs first, and never two turns in a row', async () => {
  const q = new SliceQueue(1_000, () => 0);
  const order: string[] = [];
  const read = new Promise<void>((resolve) => q.push(() => {
    order.push('read');
    resolve();
  }));
  // A write arrived after the read was queued; its own immediate (the log's batch) comes later.
  q.giveWay();
  await new Promise<void>((resolve) => {
    setImmediate(() => {
      order.push('write, first iteration');
      // Another write at once: the turn gave way already, so the read runs in the next iteration.
      q.giveWay();
      setImmediate(() => {
        order.push('second iteration');
        resolve();
      });
    });
  });
  await read;
  assert.deepEqual(order, ['write, first iteration', 'read', 'second iteration']);
});

test('giving way with nothing queued delays no later turn', async () => {
  const q = new SliceQueue(1_000, () => 0);
  q.giveWay();
  const order: string[] = [];
  const done = new Promise<void>((resolve) => q.push(() => {
    order.push('read');
    resolve();
  }));
  setImmediate(() => order.push('queued after the read'));
  await done;
  await new Promise<void>((r) => setImmediate(r));
  assert.deepEqual(order, ['read', 'queued after the read']);
});
