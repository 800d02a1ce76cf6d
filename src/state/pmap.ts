// A persistent sorted map from string keys: a copy-on-write B+tree. Every update returns a new
// map that shares all untouched nodes with the old one, so a snapshot of the state is just a
// reference to the current roots (O(1)) and a reader keeps its view while writes go on.
//
// Inside one write transaction, a `MutableMap` owns an edit token: nodes created under that
// token are updated in place instead of being copied again, which makes a batch of N inserts
// cost about N leaf copies instead of N·depth copies. Once the transaction is committed the token
// is dropped, so no later writer can touch nodes a reader may hold.

/** Most entries (leaf) or children (branch) a node holds; nodes split above it. */
const MAX_WIDTH = 32;
/** A node this small after a delete is merged with (or refilled from) a neighbour. */
const MIN_WIDTH = 8;

type Edit = object;

interface Leaf<V> {
  leaf: true;
  edit: Edit | null;
  keys: string[];
  vals: V[];
}

interface Branch<V> {
  leaf: false;
  edit: Edit | null;
  /** keys[i] is the smallest key under children[i]. */
  keys: string[];
  children: Array<TreeNode<V>>;
}

type TreeNode<V> = Leaf<V> | Branch<V>;

/** Index of the first key >= key (keys sorted ascending). */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The child of a branch whose range holds key. */
function childIndex(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : lo - 1;
}

function editable<V>(node: TreeNode<V>, edit: Edit | null): TreeNode<V> {
  if (edit !== null && node.edit === edit) return node;
  if (node.leaf) return { leaf: true, edit, keys: node.keys.slice(), vals: node.vals.slice() };
  return { leaf: false, edit, keys: node.keys.slice(), children: node.children.slice() };
}

function width<V>(node: TreeNode<V>): number {
  return node.keys.length;
}

/** The result of inserting below a node: the node (maybe the same) and, when it split, its new right half. */
interface InsertResult<V> {
  node: TreeNode<V>;
  right: TreeNode<V> | null;
  added: boolean;
}

function insert<V>(node: TreeNode<V>, key: string, val: V, edit: Edit | null): InsertResult<V> {
  if (node.leaf) {
    const i = lowerBound(node.keys, key);
    if (i < node.keys.length && node.keys[i] === key) {
      if (node.vals[i] === val) return { node, right: null, added: false };
      const n = editable(node, edit) as Leaf<V>;
      n.vals[i] = val;
      return { node: n, right: null, added: false };
    }
    // New arrays of the exact length, even for a node this writer owns: a splice in place would
    // grow the backing store by half again, and that slack stays in every stored node.
    const keys = insertAt(node.keys, i, key);
    const vals = insertAt(node.vals, i, val);
    if (keys.length <= MAX_WIDTH) return { node: withEntries(node, edit, keys, vals), right: null, added: true };
    const half = keys.length >>> 1;
    const right: Leaf<V> = { leaf: true, edit, keys: keys.slice(half), vals: vals.slice(half) };
    return { node: withEntries(node, edit, keys.slice(0, half), vals.slice(0, half)), right, added: true };
  }
  const ci = childIndex(node.keys, key);
  const res = insert(node.children[ci]!, key, val, edit);
  if (res.node === node.children[ci] && res.right === null) {
    if (!res.added || node.keys[ci]! <= key) return { node, right: null, added: res.added };
  }
  if (res.right === null) {
    const n = editable(node, edit) as Branch<V>;
    n.children[ci] = res.node;
    n.keys[ci] = res.node.keys[0]!;
    return { node: n, right: null, added: res.added };
  }
  const keys = insertAt(node.keys, ci + 1, res.right.keys[0]!);
  const children = insertAt(node.children, ci + 1, res.right);
  keys[ci] = res.node.keys[0]!;
  children[ci] = res.node;
  if (children.length <= MAX_WIDTH) return { node: withChildren(node, edit, keys, children), right: null, added: res.added };
  const half = children.length >>> 1;
  const right: Branch<V> = { leaf: false, edit, keys: keys.slice(half), children: children.slice(half) };
  return { node: withChildren(node, edit, keys.slice(0, half), children.slice(0, half)), right, added: res.added };
}

/** A copy of a with v inserted at i, allocated at its exact length. */
function insertAt<T>(a: readonly T[], i: number, v: T): T[] {
  const n = a.length;
  const out = new Array<T>(n + 1);
  for (let j = 0; j < i; j++) out[j] = a[j]!;
  out[i] = v;
  for (let j = i; j < n; j++) out[j + 1] = a[j]!;
  return out;
}

/** The leaf with new entries: updated in place when this writer owns it, else a new node. */
function withEntries<V>(node: Leaf<V>, edit: Edit | null, keys: string[], vals: V[]): Leaf<V> {
  if (edit !== null && node.edit === edit) {
    node.keys = keys;
    node.vals = vals;
    return node;
  }
  return { leaf: true, edit, keys, vals };
}

function withChildren<V>(node: Branch<V>, edit: Edit | null, keys: string[], children: Array<TreeNode<V>>): Branch<V> {
  if (edit !== null && node.edit === edit) {
    node.keys = keys;
    node.children = children;
    return node;
  }
  return { leaf: false, edit, keys, children };
}

/** Deletes key below node; returns the node (maybe the same, maybe under-full) or null when absent. */
function remove<V>(node: TreeNode<V>, key: string, edit: Edit | null): TreeNode<V> | null {
  if (node.leaf) {
    const i = lowerBound(node.keys, key);
    if (i >= node.keys.length || node.keys[i] !== key) return null;
    const n = editable(node, edit) as Leaf<V>;
    n.keys.splice(i, 1);
    n.vals.splice(i, 1);
    return n;
  }
  const ci = childIndex(node.keys, key);
  const child = remove(node.children[ci]!, key, edit);
  if (child === null) return null;
  const n = editable(node, edit) as Branch<V>;
  if (width(child) === 0) {
    n.children.splice(ci, 1);
    n.keys.splice(ci, 1);
    return n;
  }
  n.children[ci] = child;
  n.keys[ci] = child.keys[0]!;
  if (width(child) < MIN_WIDTH && n.children.length > 1) rebalance(n, ci, edit);
  return n;
}

/** Merges children[ci] with a neighbour, or moves entries over from it, so that neither stays tiny. */
function rebalance<V>(parent: Branch<V>, ci: number, edit: Edit | null): void {
  const li = ci > 0 ? ci - 1 : ci;
  const left = editable(parent.children[li]!, edit);
  const right = editable(parent.children[li + 1]!, edit);
  const total = width(left) + width(right);
  if (total <= MAX_WIDTH) {
    left.keys.push(...right.keys);
    if (left.leaf) left.vals.push(...(right as Leaf<V>).vals);
    else left.children.push(...(right as Branch<V>).children);
    parent.children.splice(li, 2, left);
    parent.keys.splice(li, 2, left.keys[0]!);
    return;
  }
  // Redistribute evenly between the two.
  const keys = left.keys.concat(right.keys);
  const half = keys.length >>> 1;
  left.keys = keys.slice(0, half);
  right.keys = keys.slice(half);
  if (left.leaf) {
    const vals = left.vals.concat((right as Leaf<V>).vals);
    left.vals = vals.slice(0, half);
    (right as Leaf<V>).vals = vals.slice(half);
  } else {
    const children = left.children.concat((right as Branch<V>).children);
    left.children = children.slice(0, half);
    (right as Branch<V>).children = children.slice(half);
  }
  parent.children[li] = left;
  parent.children[li + 1] = right;
  parent.keys[li] = left.keys[0]!;
  parent.keys[li + 1] = right.keys[0]!;
}

function lookup<V>(node: TreeNode<V>, key: string): V | undefined {
  let n: TreeNode<V> = node;
  while (!n.leaf) n = n.children[childIndex(n.keys, key)]!;
  const i = lowerBound(n.keys, key);
  return i < n.keys.length && n.keys[i] === key ? n.vals[i] : undefined;
}

/** Calls fn for every entry with key >= from, in order, until fn returns false. Returns false when stopped. */
function walkFrom<V>(node: TreeNode<V>, from: string, fn: (key: string, val: V) => boolean | void): boolean {
  if (node.leaf) {
    for (let i = lowerBound(node.keys, from); i < node.keys.length; i++) {
      if (fn(node.keys[i]!, node.vals[i]!) === false) return false;
    }
    return true;
  }
  for (let i = childIndex(node.keys, from); i < node.children.length; i++) {
    if (!walkFrom(node.children[i]!, from, fn)) return false;
  }
  return true;
}

function emptyLeaf<V>(): Leaf<V> {
  return { leaf: true, edit: null, keys: [], vals: [] };
}

/** Shared behaviour of the persistent and the transaction-local map. */
abstract class SortedMapBase<V> {
  protected abstract rootNode(): TreeNode<V>;
  abstract get size(): number;

  get(key: string): V | undefined {
    return lookup(this.rootNode(), key);
  }

  has(key: string): boolean {
    return lookup(this.rootNode(), key) !== undefined;
  }

  /** Visits entries with key >= from in key order; stop by returning false. */
  forEachFrom(from: string, fn: (key: string, val: V) => boolean | void): void {
    walkFrom(this.rootNode(), from, fn);
  }

  /** Values whose keys start with prefix, in key order: O(log N + result). */
  valuesWithPrefix(prefix: string, limit = Number.POSITIVE_INFINITY): V[] {
    const out: V[] = [];
    if (limit <= 0) return out;
    walkFrom(this.rootNode(), prefix, (k, v) => {
      if (!k.startsWith(prefix)) return false;
      out.push(v);
      return out.length < limit;
    });
    return out;
  }

  /** Keys that start with prefix, in order. */
  keysWithPrefix(prefix: string): string[] {
    const out: string[] = [];
    walkFrom(this.rootNode(), prefix, (k) => {
      if (!k.startsWith(prefix)) return false;
      out.push(k);
    });
    return out;
  }

  values(): V[] {
    const out: V[] = [];
    collectValues(this.rootNode(), out);
    return out;
  }

  keys(): string[] {
    const out: string[] = [];
    collectKeys(this.rootNode(), out);
    return out;
  }
}

/** Appends every value in key order; a plain walk without the per-entry callback of walkFrom. */
function collectValues<V>(node: TreeNode<V>, out: V[]): void {
  if (node.leaf) {
    for (const v of node.vals) out.push(v);
    return;
  }
  for (const c of node.children) collectValues(c, out);
}

function collectKeys<V>(node: TreeNode<V>, out: string[]): void {
  if (node.leaf) {
    for (const k of node.keys) out.push(k);
    return;
  }
  for (const c of node.children) collectKeys(c, out);
}

/** An immutable sorted map; updates return a new map sharing structure with this one. */
export class PMap<V> extends SortedMapBase<V> {
  private static readonly EMPTY = new PMap<never>(emptyLeaf<never>(), 0);

  private constructor(
    private readonly root: TreeNode<V>,
    private readonly count: number,
  ) {
    super();
  }

  static empty<V>(): PMap<V> {
    return PMap.EMPTY as unknown as PMap<V>;
  }

  /** Builds a map from entries already sorted by key, without duplicates: O(N). */
  static fromSorted<V>(entries: Array<[string, V]>): PMap<V> {
    const m = PMap.empty<V>().mutable();
    for (const [k, v] of entries) m.set(k, v);
    return m.freeze();
  }

  protected rootNode(): TreeNode<V> {
    return this.root;
  }

  get size(): number {
    return this.count;
  }

  set(key: string, val: V): PMap<V> {
    const m = this.mutable(null);
    m.set(key, val);
    return m.freeze();
  }

  delete(key: string): PMap<V> {
    const m = this.mutable(null);
    m.delete(key);
    return m.freeze();
  }

  /** A map for one writer: updates happen in place on nodes it created itself. */
  mutable(edit: Edit | null = {}): MutableMap<V> {
    return new MutableMap<V>(this.root, this.count, edit, this);
  }

  /** @internal */
  static wrap<V>(root: TreeNode<V>, count: number): PMap<V> {
    return new PMap(root, count);
  }
}

/** A transaction-local map. After freeze() it must not be used again. */
export class MutableMap<V> extends SortedMapBase<V> {
  private changed = false;

  constructor(
    private root: TreeNode<V>,
    private count: number,
    private readonly edit: Edit | null,
    private readonly origin: PMap<V>,
  ) {
    super();
  }

  protected rootNode(): TreeNode<V> {
    return this.root;
  }

  get size(): number {
    return this.count;
  }

  set(key: string, val: V): this {
    const res = insert(this.root, key, val, this.edit);
    if (res.right !== null) {
      this.root = { leaf: false, edit: this.edit, keys: [res.node.keys[0]!, res.right.keys[0]!], children: [res.node, res.right] };
    } else {
      this.root = res.node;
    }
    if (res.added) this.count++;
    this.changed = true;
    return this;
  }

  delete(key: string): boolean {
    const n = remove(this.root, key, this.edit);
    if (n === null) return false;
    let root: TreeNode<V> = n;
    while (!root.leaf && root.children.length === 1) root = root.children[0]!;
    if (!root.leaf && root.children.length === 0) root = emptyLeaf<V>();
    this.root = root;
    this.count--;
    this.changed = true;
    return true;
  }

  /** The persistent map with every change made so far. */
  freeze(): PMap<V> {
    if (!this.changed) return this.origin;
    return PMap.wrap(this.root, this.count);
  }
}
