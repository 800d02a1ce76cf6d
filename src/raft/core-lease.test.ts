// A leader never grants a pre-vote: a follower that stalled past its election timeout (a long
// pause of its own) must not depose a leader that the rest of the cluster still hears.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CORE_OPTIONS, RaftCore } from './core.js';
import { SeededRng } from './rng.js';
import type { Configuration, Message } from './types.js';

const CONFIG: Configuration = { servers: ['n1', 'n2', 'n3'].map((id) => ({ id, address: id, suffrage: 'voter' as const })) };

function cluster(): Map<string, RaftCore> {
  const cores = new Map<string, RaftCore>();
  for (const [i, s] of CONFIG.servers.entries()) {
    const core = new RaftCore({ ...DEFAULT_CORE_OPTIONS, id: s.id, electionTimeoutTicks: 10, rng: new SeededRng(i + 1) }, { hardState: { term: 0, vote: null }, snapshot: null, entries: [] });
    core.bootstrap(CONFIG);
    cores.set(s.id, core);
  }
  return cores;
}

/** Delivers every message until the cluster is quiet; `drop` loses the messages it matches. */
function settle(cores: Map<string, RaftCore>, drop: (m: Message) => boolean = () => false): Message[] {
  const seen: Message[] = [];
  for (let round = 0; round < 100; round++) {
    const inFlight: Message[] = [];
    for (const core of cores.values()) {
      while (core.hasReady()) {
        const rd = core.ready();
        inFlight.push(...rd.messages);
        core.advance(rd);
      }
    }
    if (inFlight.length === 0) return seen;
    for (const m of inFlight) {
      seen.push(m);
      if (!drop(m)) cores.get(m.to)?.step(m);
    }
  }
  throw new Error('the cluster never went quiet');
}

test('a leader refuses pre-votes for the whole of its check-quorum round, where a follower may grant one near its end', () => {
  const cores = cluster();
  const n1 = cores.get('n1')!;
  while (n1.currentRole !== 'leader') {
    n1.tick();
    settle(cores);
  }
  const term = n1.currentTerm;
  // Every tick of a whole round: n3 hears from the leader all along, n2 stalls and then stands.
  for (let tick = 0; tick < 10; tick++) {
    n1.tick();
    cores.get('n3')!.tick();
    settle(cores, (m) => m.to === 'n2' || m.from === 'n2');
    const stalled = cores.get('n2')!;
    const prevote: Message = { type: 'prevote', from: 'n2', to: 'n1', term: term + 1, lastLogIndex: stalled.log.lastIndex(), lastLogTerm: stalled.log.lastTerm() };
    n1.step(prevote);
    const answers = settle(cores, (m) => m.to === 'n2' && m.type !== 'prevote_resp').filter((m) => m.type === 'prevote_resp' && m.to === 'n2');
    assert.ok(answers.every((m) => m.type === 'prevote_resp' && !m.granted), `tick ${tick}: the leader granted a pre-vote`);
    assert.equal(n1.currentRole, 'leader', `tick ${tick}`);
    assert.equal(n1.currentTerm, term, `tick ${tick}`);
  }
});
