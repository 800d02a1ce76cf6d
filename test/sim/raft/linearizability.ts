// A linearizability checker in the manner of Porcupine / Knossos: the
// Wing & Gong search over call/return events, with Lowe's memoization of
// (linearized set, model state) and P-compositionality (independent keys are
// checked separately).

export interface Operation<I, O> {
  readonly clientId: number;
  readonly input: I;
  readonly output: O;
  /** Logical times; `ret` is Infinity when the outcome is unknown (may take effect any time after the call). */
  readonly call: number;
  readonly ret: number;
}

export interface Model<S, I, O> {
  init(): S;
  /** Whether `input` may produce `output` in state `state`, and the state after it. */
  step(state: S, input: I, output: O): { ok: boolean; next: S };
  /** A string that is equal for equal states (memoization key). */
  key(state: S): string;
  /** Splits a history into independent sub-histories (for example by key). */
  partition?(ops: readonly Operation<I, O>[]): Operation<I, O>[][];
}

export type CheckResult = 'ok' | 'illegal' | 'unknown';

interface Node {
  readonly opIndex: number;
  readonly isCall: boolean;
  match: Node | null;
  prev: Node | null;
  next: Node | null;
}

export function checkOperations<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], maxSteps = 5_000_000): CheckResult {
  const parts = model.partition ? model.partition(ops) : [ops.slice()];
  let result: CheckResult = 'ok';
  for (const part of parts) {
    const r = checkSingle(model, part, maxSteps);
    if (r === 'illegal') return 'illegal';
    if (r === 'unknown') result = 'unknown';
  }
  return result;
}

function buildList<I, O>(ops: readonly Operation<I, O>[]): Node {
  const events: { time: number; isCall: boolean; opIndex: number; tie: number }[] = [];
  ops.forEach((op, i) => {
    if (!(op.ret >= op.call)) throw new RangeError(`operation ${i} returns (${op.ret}) before its call (${op.call})`);
    events.push({ time: op.call, isCall: true, opIndex: i, tie: 0 });
    events.push({ time: op.ret, isCall: false, opIndex: i, tie: 1 });
  });
  // At equal times a call goes first: the operations are then treated as concurrent (never stricter than the truth).
  events.sort((a, b) => (a.time === b.time ? a.tie - b.tie || a.opIndex - b.opIndex : a.time < b.time ? -1 : 1));
  const head: Node = { opIndex: -1, isCall: false, match: null, prev: null, next: null };
  const calls = new Map<number, Node>();
  let tail = head;
  for (const ev of events) {
    const node: Node = { opIndex: ev.opIndex, isCall: ev.isCall, match: null, prev: tail, next: null };
    tail.next = node;
    tail = node;
    if (ev.isCall) {
      calls.set(ev.opIndex, node);
    } else {
      const call = calls.get(ev.opIndex) as Node;
      call.match = node;
    }
  }
  return head;
}

function lift(entry: Node): void {
  (entry.prev as Node).next = entry.next;
  if (entry.next) entry.next.prev = entry.prev;
  const match = entry.match as Node;
  (match.prev as Node).next = match.next;
  if (match.next) match.next.prev = match.prev;
}

function unlift(entry: Node): void {
  const match = entry.match as Node;
  (match.prev as Node).next = match;
  if (match.next) match.next.prev = match;
  (entry.prev as Node).next = entry;
  if (entry.next) entry.next.prev = entry;
}

function checkSingle<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], maxSteps: number): CheckResult {
  if (ops.length === 0) return 'ok';
  const head = buildList(ops);
  const words = new Uint32Array(Math.ceil(ops.length / 32));
  const bitsKey = (): string => {
    let s = '';
    for (let i = 0; i < words.length; i++) s += (words[i] as number).toString(36) + ',';
    return s;
  };
  const cache = new Set<string>();
  const stack: { entry: Node; state: S }[] = [];
  let state = model.init();
  let entry: Node | null = head.next;
  let steps = 0;
  while (head.next !== null) {
    if (++steps > maxSteps) return 'unknown';
    if (entry === null) return 'illegal';
    const op = ops[entry.opIndex] as Operation<I, O>;
    if (entry.isCall) {
      const { ok, next } = model.step(state, op.input, op.output);
      if (ok) {
        const w = entry.opIndex >>> 5;
        const bit = 1 << (entry.opIndex & 31);
        words[w] = (words[w] as number) | bit;
        const key = bitsKey() + '|' + model.key(next);
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        words[w] = (words[w] as number) & ~bit;
      }
      entry = entry.next;
    } else {
      // A return reached before its call could be linearized: undo the last choice.
      const top = stack.pop();
      if (!top) return 'illegal';
      state = top.state;
      const w = top.entry.opIndex >>> 5;
      words[w] = (words[w] as number) & ~(1 << (top.entry.opIndex & 31));
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return 'ok';
}

// ---- a key-value register model used by the simulation ----------------------

export type KvInput = { readonly kind: 'put'; readonly key: string; readonly value: string } | { readonly kind: 'get'; readonly key: string };
/** For a get: the value read (null when absent). For a put: unused. */
export type KvOutput = string | null;

export const kvModel: Model<string | null, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, output) {
    if (input.kind === 'put') return { ok: true, next: input.value };
    return { ok: output === state, next: state };
  },
  key: (state) => (state === null ? '\u0000' : state),
  partition(ops) {
    // A put with an unknown outcome whose value nobody read can always be placed
    // last; dropping it keeps the search small (values are unique per put).
    const valuesRead = new Set<string>();
    for (const op of ops) if (op.input.kind === 'get' && op.output !== null) valuesRead.add(op.output);
    const byKey = new Map<string, Operation<KvInput, KvOutput>[]>();
    for (const op of ops) {
      if (op.input.kind === 'put' && op.ret === Infinity && !valuesRead.has(op.input.value)) continue;
      const list = byKey.get(op.input.key) ?? [];
      list.push(op);
      byKey.set(op.input.key, list);
    }
    return [...byKey.values()];
  },
};
