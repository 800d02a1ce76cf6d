// Decoding a parsed JSON document against a field shape (job-shape.ts) the way Go's
// encoding/json fills Nomad's API structs: field names match exactly or else regardless of case,
// a later duplicate of a field wins (objects and maps merge into the earlier one), null leaves a
// field unset, and a value of the wrong kind is reported with where it is and what was expected.
// The document is read through a view, so that the API (plain values) and JSON job files
// (values that keep their line and column) share the walk and differ only in how they report.
import { fitsIntKind, isIntKind, type FieldType, type Shape } from './job-shape.js';

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'bool' | 'null';

/** How the decoder reads a parsed JSON document. */
export interface JsonView<N> {
  kind(node: N): JsonKind;
  entries(node: N): Iterable<readonly [string, N]>;
  items(node: N): readonly N[];
  /** The plain value of a node: scalars, and fields of any shape. */
  plain(node: N): unknown;
}

/** Where a value sits: the readable path, and Go's view of it (the enclosing struct, field names). */
export interface FieldAt {
  /** "Job.TaskGroups[0].Count" */
  path: string;
  /** The Go struct that holds the field ("TaskGroup"); '' at the document's root. */
  goStruct: string;
  /** JSON field names from the root, without list positions (["Job", "TaskGroups", "Count"]). */
  goFields: string[];
}

export interface Mismatch<N> {
  node: N;
  at: FieldAt;
  expected: FieldType;
  /** `kind`: the JSON kind is wrong; `range`: not a whole number the integer kind holds; `base64`: bytes not in base64. */
  problem: 'kind' | 'range' | 'base64';
}

const fieldIndexes = new WeakMap<Shape, Map<string, string>>();

/** The shape's field a JSON key names: its exact name, or the first that matches regardless of case. */
function fieldFor(shape: Shape, key: string): string | undefined {
  if (Object.hasOwn(shape, key)) return key;
  let byLower = fieldIndexes.get(shape);
  if (!byLower) {
    byLower = new Map();
    for (const k of Object.keys(shape)) if (!byLower.has(k.toLowerCase())) byLower.set(k.toLowerCase(), k);
    fieldIndexes.set(shape, byLower);
  }
  return byLower.get(key.toLowerCase());
}

/** Sets a key on a plain object, "__proto__" included, without touching the prototype. */
export function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Where the walk is, as steps from a root: what a mismatch reports is spelled out (FieldAt) only
 * when one is found, instead of a path string and a list of Go field names built for every field
 * of every body, most of which decode without a word.
 */
type Trail =
  | { readonly root: FieldAt }
  | { readonly up: Trail; readonly field: string; readonly goStruct: string }
  | { readonly up: Trail; readonly index: number }
  | { readonly up: Trail; readonly key: string };

function fieldAt(t: Trail): FieldAt {
  if ('root' in t) return t.root;
  const up = fieldAt(t.up);
  if ('field' in t) return { path: up.path ? `${up.path}.${t.field}` : t.field, goStruct: t.goStruct, goFields: [...up.goFields, t.field] };
  if ('index' in t) return { ...up, path: `${up.path}[${t.index}]` };
  return { ...up, path: `${up.path}[${JSON.stringify(t.key)}]` };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The plain value of `node` with field names in the API's spelling. Every mismatch is reported
 * (the caller may throw at the first); a mismatched value is kept as it was written.
 */
export function decodeShape<N>(view: JsonView<N>, node: N, type: FieldType, at: FieldAt, report: (m: Mismatch<N>) => void): unknown {
  return decodeAt(view, node, type, { root: at }, report);
}

function decodeAt<N>(view: JsonView<N>, node: N, type: FieldType, at: Trail, report: (m: Mismatch<N>) => void): unknown {
  const kind = view.kind(node);
  if (kind === 'null' || type === 'any') return view.plain(node);
  const mismatch = (problem: Mismatch<N>['problem']): unknown => {
    report({ node, at: fieldAt(at), expected: type, problem });
    return view.plain(node);
  };
  if (type === 'string') return kind === 'string' ? view.plain(node) : mismatch('kind');
  if (type === 'bool') return kind === 'bool' ? view.plain(node) : mismatch('kind');
  if (type === 'bytes') {
    if (kind !== 'string') return mismatch('kind');
    return BASE64.test(view.plain(node) as string) ? view.plain(node) : mismatch('base64');
  }
  if (isIntKind(type)) {
    if (kind !== 'number') return mismatch('kind');
    return fitsIntKind(type, view.plain(node) as number) ? view.plain(node) : mismatch('range');
  }
  if ('list' in type) {
    if (kind !== 'array') return mismatch('kind');
    return view.items(node).map((item, i) => decodeAt(view, item, type.list, { up: at, index: i }, report));
  }
  if (kind !== 'object') return mismatch('kind');
  const out: Record<string, unknown> = {};
  if ('map' in type) {
    for (const [key, value] of view.entries(node)) setOwn(out, key, decodeAt(view, value, type.map, { up: at, key }, report));
    return out;
  }
  for (const [key, value] of view.entries(node)) {
    const field = fieldFor(type.object, key);
    if (field === undefined) {
      setOwn(out, key, view.plain(value));
      continue;
    }
    const decoded = decodeAt(view, value, type.object[field] as FieldType, { up: at, field, goStruct: type.name }, report);
    const earlier = out[field];
    // Go decodes a repeated object field into the value it already filled.
    out[field] = isPlainObject(earlier) && isPlainObject(decoded) ? { ...earlier, ...decoded } : decoded;
  }
  return out;
}

/** Plain values parsed by JSON.parse. */
export const PLAIN_JSON: JsonView<unknown> = {
  kind(v) {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'array';
    switch (typeof v) {
      case 'string':
        return 'string';
      case 'number':
        return 'number';
      case 'boolean':
        return 'bool';
      default:
        return 'object';
    }
  },
  entries: (v) => Object.entries(v as Record<string, unknown>),
  items: (v) => v as unknown[],
  plain: (v) => v,
};
