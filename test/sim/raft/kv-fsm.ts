// The key-value state machine clients drive through the simulated cluster.

export interface KvCommand {
  readonly key: string;
  readonly value: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeKvCommand(cmd: KvCommand): Uint8Array {
  return encoder.encode(`${cmd.key}\u0000${cmd.value}`);
}

export function decodeKvCommand(data: Uint8Array): KvCommand {
  const s = decoder.decode(data);
  const sep = s.indexOf('\u0000');
  return { key: s.slice(0, sep), value: s.slice(sep + 1) };
}

export class KvFsm {
  private readonly values = new Map<string, string>();

  apply(cmd: KvCommand): void {
    this.values.set(cmd.key, cmd.value);
  }

  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  snapshot(): [string, string][] {
    return [...this.values.entries()];
  }

  static restore(pairs: readonly [string, string][]): KvFsm {
    const fsm = new KvFsm();
    for (const [k, v] of pairs) fsm.values.set(k, v);
    return fsm;
  }
}
