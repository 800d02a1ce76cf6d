import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AllocClientUpdate } from '../rpc/protocol.js';
import { UpdateBatcher } from './update-batcher.js';

function update(id: string): AllocClientUpdate {
  return { ID: id, ClientStatus: 'complete', ClientDescription: '', TaskStates: {}, DeploymentStatus: null };
}

describe('UpdateBatcher', () => {
  it('counts an allocation unacknowledged while its update waits or is in flight, and after a failed send', async () => {
    const sends: Array<{ ids: string[]; settle: (err?: Error) => void }> = [];
    const sent = (n: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + 5_000;
        const check = (): void => {
          if (sends.length >= n) resolve();
          else if (Date.now() > deadline) reject(new Error(`timed out waiting for send ${n}`));
          else setImmediate(check);
        };
        check();
      });
    const batcher = new UpdateBatcher({
      intervalMs: 0,
      maxRetryDelayMs: 1,
      current: update,
      send: (updates) =>
        new Promise<void>((resolve, reject) => {
          sends.push({ ids: updates.map((u) => u.ID), settle: (err) => (err ? reject(err) : resolve()) });
        }),
    });
    assert.equal(batcher.unacknowledged('a'), false);
    batcher.mark('a', true);
    assert.equal(batcher.unacknowledged('a'), true, 'waiting');
    await sent(1);
    assert.equal(batcher.unacknowledged('a'), true, 'in flight');
    sends[0]!.settle(new Error('no leader'));
    await sent(2);
    assert.deepEqual(sends[1]!.ids, ['a']);
    assert.equal(batcher.unacknowledged('a'), true, 'sent again after the failure');
    sends[1]!.settle();
    await batcher.flush();
    assert.equal(batcher.unacknowledged('a'), false, 'acknowledged');
    batcher.stop();
  });
});
