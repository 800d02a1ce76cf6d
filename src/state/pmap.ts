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

/**
 * The ownership token of one writer. It also remembers the nodes whose arrays grew in place: a
 * splice grows a backing store by half again, and that slack would stay in every stored node, so
 * those arrays are cut to their exact length once, when the writer is done.
 */
class Edit {
  /** Created on the first growth: most writers (one small update) never need it. */
  grown: Set<TreeNode<unknown>> | null = null;
  /** Set once the writer is done: its nodes are immutable from then on. */
  done = false;

  grew(node: TreeNode<unknown>): void {
    if (this.done) return;
    (this.grown ??= new Set()).add(node);
  }

  /** Cuts grown arrays to their exact length; the writer is done. */
  trim(): void {
    this.done = true;
    if (this.grown === null) return;
    for (const n of this.grown) {
      n.keys = n.keys.slice();
      if (n.leaf) n.vals = n.vals.slice();
      else n.children = n.children.slice();
    }
    this.grown = null;
  }
}

/** What reads of an immutable node search by instead of its key strings (see prefixes()). */
interface ReadAid {
  /** The prefixes computed (see prefixes), or null while not (yet) worth it. */
  pre: number[] | null;
  /** The characters every key of the node starts with: each prefix is of what follows them. */
  common: string;
  /** Reads of the node while pre was null. */
  reads: number;
}

interface Leaf<V> extends ReadAid {
  leaf: true;
  edit: Edit | null;
  keys: string[];
  vals: V[];
}

interface Branch<V> extends ReadAid {
  leaf: false;
  edit: Edit | null;
  /** keys[i] is the smallest key under children[i]. */
  keys: string[];
  children: Array<TreeNode<V>>;
}

type TreeNode<V> = Leaf<V> | Branch<V>;

// Every node is made by one of these two, so that all leaves (and all branches) share one shape.
function leafNode<V>(edit: Edit | null, keys: string[], vals: V[]): Leaf<V> {
  return { leaf: true, edit, keys, vals, pre: null, common: '', reads: 0 };
}

function branchNode<V>(edit: Edit | null, keys: string[], children: Array<TreeNode<V>>): Branch<V> {
  return { leaf: false, edit, keys, children, pre: null, common: '', reads: 0 };
}

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
  if (node.leaf) return leafNode(edit, node.keys.slice(), node.vals.slice());
  return branchNode(edit, node.keys.slice(), node.children.slice());
}

function width<V>(node: TreeNode<V>): number {
  return node.keys.length;
}

// What insert() reports besides the node it returns: the new right half when the node split, and
// whether the key was new. Module state instead of a result object: an insert into a deep tree
// would otherwise allocate one per level, which is most of the garbage of a large batch.
let splitRight: TreeNode<unknown> | null = null;
let keyAdded = false;
/** While set, insert() leaves an existing key's value alone and reports it in foundValue. */
let onlyIfAbsent = false;
let foundValue: unknown = undefined;

/** Inserts below node; returns the node (maybe the same) and sets splitRight and keyAdded. */
function insert<V>(node: TreeNode<V>, key: string, val: V, edit: Edit | null): TreeNode<V> {
  if (node.leaf) {
    // A writer uses prefixes a reader already computed, but computes none: the node it passes
    // through is about to be copied, and the copy would not keep them.
    const i = lowerBoundRead(node, key, false);
    splitRight = null;
    if (i < node.keys.length && node.keys[i] === key) {
      keyAdded = false;
      if (onlyIfAbsent) {
        foundValue = node.vals[i];
        return node;
      }
      if (node.vals[i] === val) return node;
      const n = editable(node, edit) as Leaf<V>;
      n.vals[i] = val;
      return n;
    }
    keyAdded = true;
    let keys: string[];
    let vals: V[];
    if (edit !== null && node.edit === edit) {
      // This writer's own node: in place.
      keys = node.keys;
      vals = node.vals;
      keys.splice(i, 0, key);
      vals.splice(i, 0, val);
      edit.grew(node as TreeNode<unknown>);
    } else {
      // Copy and insert in one pass, at the exact length (a copy then a splice would grow the
      // new backing store by half again, and that slack would stay in the stored node).
      keys = insertAt(node.keys, i, key);
      vals = insertAt(node.vals, i, val);
    }
    if (keys.length <= MAX_WIDTH) return withEntries(node, edit, keys, vals);
    // Both halves as exact-length copies, which also drops slack the splices above left. Keys
    // arriving in order (a restore, IDs that grow) leave a full node behind instead of two half
    // empty ones.
    const half = i === keys.length - 1 ? MAX_WIDTH : keys.length >>> 1;
    splitRight = leafNode(edit, keys.slice(half), vals.slice(half)) as TreeNode<unknown>;
    return withEntries(node, edit, keys.slice(0, half), vals.slice(0, half));
  }
  const ci = childIndexRead(node, key, false);
  const child = insert(node.children[ci]!, key, val, edit);
  const right = splitRight as TreeNode<V> | null;
  if (child === node.children[ci] && right === null) {
    // Unchanged below, or changed in place; only a new smallest key must reach this level.
    if (!keyAdded || node.keys[ci]! <= key) return node;
  }
  if (right === null) {
    const n = editable(node, edit) as Branch<V>;
    n.children[ci] = child;
    n.keys[ci] = child.keys[0]!;
    return n;
  }
  let keys: string[];
  let children: Array<TreeNode<V>>;
  if (edit !== null && node.edit === edit) {
    keys = node.keys;
    children = node.children;
    keys.splice(ci + 1, 0, right.keys[0]!);
    children.splice(ci + 1, 0, right);
    edit.grew(node as TreeNode<unknown>);
  } else {
    keys = insertAt(node.keys, ci + 1, right.keys[0]!);
    children = insertAt(node.children, ci + 1, right);
  }
  keys[ci] = child.keys[0]!;
  children[ci] = child;
  splitRight = null;
  if (children.length <= MAX_WIDTH) return withChildren(node, edit, keys, children);
  const half = ci + 1 === children.length - 1 ? MAX_WIDTH : children.length >>> 1;
  splitRight = branchNode(edit, keys.slice(half), children.slice(half)) as TreeNode<unknown>;
  return withChildren(node, edit, keys.slice(0, half), children.slice(0, half));
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
  return leafNode(edit, keys, vals);
}

function withChildren<V>(node: Branch<V>, edit: Edit | null, keys: string[], children: Array<TreeNode<V>>): Branch<V> {
  if (edit !== null && node.edit === edit) {
    node.keys = keys;
    node.children = children;
    return node;
  }
  return branchNode(edit, keys, children);
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

/**
 * Six characters of a key from `from` on as one number, in the same order as the strings (NaN
 * when one is beyond Latin-1). Reads compare these first: a number in the node's own array
 * instead of a string object elsewhere in memory, which in a table of a million rows is a cache
 * miss per comparison. Equal prefixes (or NaN) fall back to comparing the strings.
 */
function prefixOf(key: string, from: number): number {
  let p = 0;
  for (let i = from; i < from + 6; i++) {
    const c = i < key.length ? key.charCodeAt(i) : 0;
    if (c > 255) return Number.NaN;
    p = p * 256 + c;
  }
  return p;
}

/** Length of the longest common prefix of a and b. */
function commonLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/**
 * Reads of an immutable node made before its prefixes are computed. Computing them reads every
 * key of the node, about what five searches of it read; a node on a table's write path (the
 * evaluations, the jobs) is copied again after a read or two, and computing them on its first
 * read made every lookup there several times dearer than plain string comparisons.
 */
const PREFIX_AFTER_READS = 4;

/**
 * The node's prefixes, or null while a writer may still change it (they would go stale) or
 * while it has been read too few times to be worth it. They are taken after the characters all
 * of the node's keys share (keys sorted: those of the first and the last), so that keys that
 * begin alike ("default\0" of every namespaced key in the default namespace) still differ in
 * their prefixes.
 */
function prefixes<V>(node: TreeNode<V>): number[] | null {
  if (node.pre !== null) return node.pre;
  if (node.edit !== null && !node.edit.done) return null;
  if (++node.reads < PREFIX_AFTER_READS) return null;
  const keys = node.keys;
  const n = keys.length;
  const skip = n === 0 ? 0 : commonLength(keys[0]!, keys[n - 1]!);
  const pre = new Array<number>(n);
  for (let i = 0; i < n; i++) pre[i] = prefixOf(keys[i]!, skip);
  node.common = skip === 0 ? '' : keys[0]!.slice(0, skip);
  node.pre = pre;
  return pre;
}

/**
 * Where key goes among the node's keys by prefixes: -1 when it cannot tell (no prefixes, or a
 * key beyond Latin-1), 0 or keys.length when the key does not start with what all keys share
 * (then it sorts before or after all of them), else the first index whose key is not below key
 * (orEqual: not at or below it).
 */
function searchByPrefix<V>(node: TreeNode<V>, key: string, compute: boolean, orEqual: boolean): number {
  const pre = compute ? prefixes(node) : node.pre;
  if (pre === null) return -1;
  const keys = node.keys;
  const common = node.common;
  if (common.length > 0 && !key.startsWith(common)) return key < keys[0]! ? 0 : keys.length;
  const kp = prefixOf(key, common.length);
  if (kp !== kp) return -1;
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const p = pre[mid]!;
    if (p !== kp && p === p ? p < kp : orEqual ? keys[mid]! <= key : keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** lowerBound by prefixes first, strings on a tie (plain strings on a node a writer owns). */
function lowerBoundRead<V>(node: TreeNode<V>, key: string, compute = true): number {
  const i = searchByPrefix(node, key, compute, false);
  return i >= 0 ? i : lowerBound(node.keys, key);
}

/** childIndex by prefixes first, strings on a tie (plain strings on a node a writer owns). */
function childIndexRead<V>(node: Branch<V>, key: string, compute = true): number {
  const lo = searchByPrefix(node, key, compute, true);
  if (lo < 0) return childIndex(node.keys, key);
  return lo === 0 ? 0 : lo - 1;
}

function lookup<V>(node: TreeNode<V>, key: string): V | undefined {
  let n: TreeNode<V> = node;
  while (!n.leaf) n = n.children[childIndexRead(n, key)]!;
  const i = lowerBoundRead(n, key);
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

/**
 * [from, to) ranges that cut n items into the fewest nodes of at most MAX_WIDTH, all of nearly the
 * same width (so none is below MIN_WIDTH, which deletes rely on, unless n itself is).
 */
function evenSlices(n: number): Array<[number, number]> {
  const count = Math.ceil(n / MAX_WIDTH);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) out.push([Math.floor((i * n) / count), Math.floor(((i + 1) * n) / count)]);
  return out;
}

function emptyLeaf<V>(): Leaf<V> {
  return leafNode<V>(null, [], []);
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
    const leaves: V[][] = [];
    collectLeafValues(this.rootNode(), leaves);
    return concatAll(leaves);
  }

  keys(): string[] {
    const out: string[] = [];
    collectKeys(this.rootNode(), out);
    return out;
  }
}

/** Arrays handed to one concat call: well under any engine's bound on arguments. */
const MAX_CONCAT_ARGS = 4096;

/**
 * The parts joined in order. One concat allocates the result once and copies each part in
 * bulk, where pushing a value at a time grows the array again and again: for 200,000 values,
 * a few milliseconds instead of tens, while every other request waits.
 */
function concatAll<V>(parts: V[][]): V[] {
  if (parts.length <= MAX_CONCAT_ARGS) return ([] as V[]).concat(...parts);
  const groups: V[][] = [];
  for (let i = 0; i < parts.length; i += MAX_CONCAT_ARGS) groups.push(([] as V[]).concat(...parts.slice(i, i + MAX_CONCAT_ARGS)));
  return concatAll(groups);
}

/** Appends every leaf's values array, in key order. */
function collectLeafValues<V>(node: TreeNode<V>, out: V[][]): void {
  if (node.leaf) {
    out.push(node.vals);
    return;
  }
  const children = node.children;
  for (let i = 0; i < children.length; i++) collectLeafValues(children[i]!, out);
}

// Indexed loops: node arrays built by insertAt are holey, and for-of on those goes through the
// generic iterator.
function collectKeys<V>(node: TreeNode<V>, out: string[]): void {
  if (node.leaf) {
    const keys = node.keys;
    for (let i = 0; i < keys.length; i++) out.push(keys[i]!);
    return;
  }
  const children = node.children;
  for (let i = 0; i < children.length; i++) collectKeys(children[i]!, out);
}

/** An immutable sorted map; updates return a new map sharing structure with this one. */
export class PMap<V> extends SortedMapBase<V> {
  private static readonly EMPTY = new PMap<never>(emptyLeaf<never>(), 0);
  /** values() of this (immutable) map, made once when first asked for. */
  private frozen: readonly V[] | null = null;

  private constructor(
    private readonly root: TreeNode<V>,
    private readonly count: number,
  ) {
    super();
  }

  static empty<V>(): PMap<V> {
    return PMap.EMPTY as unknown as PMap<V>;
  }

  /**
   * Builds a map from entries sorted by key, without duplicates, bottom up in O(N): full-width
   * nodes with no search and no splitting (a snapshot restore loads a million allocations so).
   * Throws when the keys are not strictly ascending.
   */
  static fromSorted<V>(entries: ReadonlyArray<readonly [string, V]>): PMap<V> {
    return PMap.fromSortedValues(entries, (e) => e[0]).mapValues((e) => e[1]);
  }

  /** fromSorted for values that carry their own key (no [key, value] pair per entry). */
  static fromSortedValues<V>(values: readonly V[], keyOf: (v: V) => string): PMap<V> {
    return PMap.buildSorted(values, keyOf, true);
  }

  /**
   * fromSortedValues for values whose keys the caller has already put in strictly ascending
   * order (a bulk load that sorted and deduplicated them): the order is not checked again, which
   * is a string comparison per value, about half the cost of a build over a million rows.
   */
  static fromOrderedValues<V>(values: readonly V[], keyOf: (v: V) => string): PMap<V> {
    return PMap.buildSorted(values, keyOf, false);
  }

  private static buildSorted<V>(values: readonly V[], keyOf: (v: V) => string, checkOrder: boolean): PMap<V> {
    const n = values.length;
    if (n === 0) return PMap.empty<V>();
    // Arrays grown by push: `new Array(n)` of a large n is a slow dictionary-mode array in V8.
    let level: Array<TreeNode<V>> = [];
    let prev: string | null = null;
    for (const [from, to] of evenSlices(n)) {
      const keys: string[] = [];
      const vals: V[] = [];
      for (let i = from; i < to; i++) {
        const v = values[i]!;
        const k = keyOf(v);
        if (checkOrder && prev !== null && !(prev < k)) throw new Error(`PMap.fromSorted: key ${JSON.stringify(k)} does not follow ${JSON.stringify(prev)}`);
        keys.push(k);
        vals.push(v);
        prev = k;
      }
      level.push(leafNode(null, keys, vals));
    }
    while (level.length > 1) {
      const below = level;
      level = evenSlices(below.length).map(([from, to]) => {
        const children = below.slice(from, to);
        return branchNode(null, children.map((c) => c.keys[0]!), children);
      });
    }
    return PMap.wrap(level[0]!, n);
  }

  /** The same keys with each value mapped (the tree's shape is kept). */
  private mapValues<W>(fn: (v: V) => W): PMap<W> {
    const walk = (node: TreeNode<V>): TreeNode<W> =>
      node.leaf ? leafNode(null, node.keys, node.vals.map(fn)) : branchNode(null, node.keys, node.children.map(walk));
    return PMap.wrap(walk(this.root), this.count);
  }

  protected rootNode(): TreeNode<V> {
    return this.root;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Every value in key order, as one frozen array shared by all callers: the map never changes,
   * so neither does the answer, and a reader asking again (or comparing with an earlier answer)
   * pays nothing.
   */
  frozenValues(): readonly V[] {
    return (this.frozen ??= Object.freeze(this.values()));
  }

  set(key: string, val: V): PMap<V> {
    const m = new MutableMap<V>(this.root, this.count, null, this);
    m.set(key, val);
    return m.freeze();
  }

  delete(key: string): PMap<V> {
    const m = new MutableMap<V>(this.root, this.count, null, this);
    m.delete(key);
    return m.freeze();
  }

  /** A map for one writer: updates happen in place on nodes it created itself. */
  mutable(): MutableMap<V> {
    return new MutableMap<V>(this.root, this.count, new Edit(), this);
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
    const node = insert(this.root, key, val, this.edit);
    const right = splitRight as TreeNode<V> | null;
    splitRight = null;
    if (right !== null) {
      this.root = branchNode(this.edit, [node.keys[0]!, right.keys[0]!], [node, right]);
    } else {
      this.root = node;
    }
    if (keyAdded) this.count++;
    this.changed = true;
    return this;
  }

  /**
   * Stores val under key when the key is absent and returns undefined; when present, changes
   * nothing and returns the stored value. One descent where a get and then a set take two.
   */
  setIfAbsent(key: string, val: V): V | undefined {
    const wasChanged = this.changed;
    onlyIfAbsent = true;
    foundValue = undefined;
    try {
      this.set(key, val);
    } finally {
      onlyIfAbsent = false;
    }
    if (keyAdded) return undefined;
    this.changed = wasChanged;
    const found = foundValue as V;
    foundValue = undefined;
    return found;
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
    this.edit?.trim();
    if (!this.changed) return this.origin;
    return PMap.wrap(this.root, this.count);
  }
}
