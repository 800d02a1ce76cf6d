// A tiny key-value FSM over msgpack commands, shared by tests, the e2e server and the benchmark.
import { asBytes } from '../../src/raft/bytes.js';
import type { Fsm, FsmEntry } from '../../src/raft/fsm.js';
import { packr } from '../../src/raft/storage/entry-codec.js';

export type KvCommand = { readonly op: 'put'; readonly key: string; readonly value: string } | { readonly op: 'noop' };

export function encodeKv(cmd: KvCommand): Uint8Array {
  return asBytes(packr.pack(cmd));
}

export class KvStateMachine implements Fsm {
  readonly values = new Map<string, string>();
  appliedIndex = 0;
  applies = 0;

  apply(entry: FsmEntry): unknown {
    const cmd = packr.unpack(entry.data) as KvCommand;
    this.appliedIndex = entry.index;
    this.applies++;
    if (cmd.op === 'put') {
      const previous = this.values.get(cmd.key) ?? null;
      this.values.set(cmd.key, cmd.value);
      return previous;
    }
    return null;
  }

  snapshot(): Uint8Array {
    return asBytes(packr.pack({ values: [...this.values.entries()], appliedIndex: this.appliedIndex }));
  }

  restore(data: Uint8Array): void {
    const s = packr.unpack(data) as { values: [string, string][]; appliedIndex: number };
    this.values.clear();
    for (const [k, v] of s.values) this.values.set(k, v);
    this.appliedIndex = s.appliedIndex;
  }
}
