// The forwarder's retries: a call goes to the leader again only when it certainly did not run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../structs/clock.js';
import type { Consensus } from './consensus.js';
import { LeaderForwarder, type PeerRpc } from './forwarding.js';
import { silentLogger } from './logger.js';

/** A follower that knows its leader: every endpoint call is forwarded there. */
const follower = { isLeader: () => false, leaderAddr: () => '10.0.0.9:4647' } as unknown as Consensus;

/** A transport failure as the RPC layer reports it: only a failed connect proves nothing was processed. */
function transportError(code: string): Error {
  return Object.assign(new Error(`rpc ${code}`), { code, notProcessed: code === 'connect' });
}

function forwarderWith(failures: string[]): { fw: LeaderForwarder; calls: () => number } {
  let calls = 0;
  const peers: PeerRpc = {
    call: async <T>(): Promise<T> => {
      const code = failures[calls++];
      if (code) throw transportError(code);
      return 'done' as T;
    },
  };
  const fw = new LeaderForwarder({ consensus: follower, clock: systemClock, logger: silentLogger, peers, holdTimeoutMs: 2_000 });
  return { fw, calls: () => calls };
}

test('a call that could not reach the leader is sent again', async () => {
  const { fw, calls } = forwarderWith(['connect']);
  assert.equal(await fw.onLeader('Job', 'register', []), 'done');
  assert.equal(calls(), 2);
});

test('a write whose connection broke in flight is not sent again: the leader may have committed it', async () => {
  for (const code of ['closed', 'timeout']) {
    const { fw, calls } = forwarderWith([code]);
    await assert.rejects(fw.onLeader('Job', 'register', []), new RegExp(`rpc ${code}`));
    assert.equal(calls(), 1, `${code}: sent once`);
  }
});

test('a read whose connection broke in flight is sent again', async () => {
  const { fw, calls } = forwarderWith(['closed']);
  assert.equal(await fw.onLeader('Status', 'readIndex', [], true), 'done');
  assert.equal(calls(), 2);
});
