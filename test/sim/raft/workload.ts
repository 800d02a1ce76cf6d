// Clients issuing puts and linearizable reads (ReadIndex) through whichever
// server they believe leads, recording a history for the linearizability check.
import type { SeededRng } from '../../../src/raft/rng.js';
import type { ServerId } from '../../../src/raft/types.js';
import type { ClockedEventQueue } from '../event-queue.js';
import type { KvInput, KvOutput, Operation } from './linearizability.js';
import type { SimNetwork } from './sim-network.js';
import type { PutOutcome, SimNode } from './sim-node.js';

export interface WorkloadParams {
  readonly clients: number;
  readonly keys: number;
  readonly requestTimeoutMs: number;
  readonly thinkTimeMs: number;
}

export class History {
  readonly ops: Operation<KvInput, KvOutput>[] = [];
  private clock = 0;
  acknowledged = 0;
  unknown = 0;
  trace: ((line: string) => void) | undefined;

  now(): number {
    return ++this.clock;
  }

  peek(): number {
    return this.clock + 1;
  }
}

export class SimClient {
  private seq = 0;
  private current = 0;
  private target: ServerId;
  private stopped = false;

  constructor(
    private readonly id: number,
    private readonly servers: readonly ServerId[],
    private readonly node: (id: ServerId) => SimNode | undefined,
    private readonly queue: ClockedEventQueue,
    private readonly network: SimNetwork,
    private readonly rng: SeededRng,
    private readonly params: WorkloadParams,
    private readonly history: History,
  ) {
    this.target = rng.pick(servers);
  }

  start(): void {
    this.queue.after(this.rng.nextInt(this.params.thinkTimeMs + 1), () => this.issue());
  }

  stop(): void {
    this.stopped = true;
  }

  private issue(): void {
    if (this.stopped) return;
    const opNumber = ++this.seq;
    this.current = opNumber;
    const key = `k${this.rng.nextInt(this.params.keys)}`;
    const input: KvInput = this.rng.chance(0.5) ? { kind: 'put', key, value: `c${this.id}-${opNumber}` } : { kind: 'get', key };
    const call = this.history.now();
    const clientId = `client${this.id}`;
    const target = this.target;
    let settled = false;
    const finish = (outcome: 'ok' | 'failed' | 'unknown', output: KvOutput, leaderHint: ServerId | null): void => {
      if (settled || this.current !== opNumber) return;
      settled = true;
      this.history.trace?.(`${this.queue.nowMs}ms client${this.id} ${JSON.stringify(input)} via ${target} -> ${outcome} ${JSON.stringify(output)} call=${call} ret=${outcome === 'ok' ? this.history.peek() : 'inf'}`);
      if (outcome === 'ok') {
        this.history.ops.push({ clientId: this.id, input, output, call, ret: this.history.now() });
        this.history.acknowledged++;
      } else if (outcome === 'unknown' && input.kind === 'put') {
        this.history.ops.push({ clientId: this.id, input, output: null, call, ret: Infinity });
        this.history.unknown++;
      }
      if (outcome !== 'ok') this.target = leaderHint ?? this.rng.pick(this.servers);
      this.queue.after(1 + this.rng.nextInt(this.params.thinkTimeMs + 1), () => this.issue());
    };
    // Replies travel back over the network, where they may be lost like any message.
    const reply = (outcome: 'ok' | 'failed', output: KvOutput, hint: ServerId | null): void => {
      this.network.send(target, clientId, () => finish(outcome, output, hint), false);
    };
    this.network.send(clientId, target, () => {
      const n = this.node(target);
      if (!n || !n.up) return;
      if (input.kind === 'put') {
        const r = n.propose({ key: input.key, value: input.value }, (o: PutOutcome) => reply(o, null, null));
        if (!r.ok) reply('failed', null, r.leaderId);
      } else {
        const r = n.read(input.key, (value) => {
          if (value === undefined) reply('failed', null, null);
          else reply('ok', value, null);
        });
        if (!r.ok) reply('failed', null, r.leaderId);
      }
    }, false);
    this.queue.after(this.params.requestTimeoutMs, () => finish('unknown', null, null));
  }
}
