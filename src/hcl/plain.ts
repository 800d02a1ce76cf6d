// A body as plain JavaScript values, for consumers that want data rather than syntax (agent
// configuration files, driver `config` blocks). Attributes become values; a block becomes an
// object nested under its type and then under each label; a block type (or label path) used
// more than once becomes an array. `locate` maps a path in the result back to the source.

import type { Body, Expr } from './ast.js';
import type { Diagnostic } from './diagnostic.js';
import { evaluate, type EvalContext } from './evaluate.js';
import type { Range } from './range.js';
import { isObjectValue, setKey, type Value, type ValueObject } from './value.js';

export type PlainPath = Array<string | number>;

export interface SourceLocation {
  /** The attribute name, block type or label. */
  key: Range;
  /** The attribute's expression or the whole block. */
  value: Range;
}

export interface PlainOptions {
  /**
   * Every block becomes an array of objects, even when used once: the form drivers expect
   * for their configuration (`mount { ... }` -> `mount: [{...}]`).
   */
  blocksAsLists?: boolean;
}

export interface PlainResult {
  value: ValueObject;
  diagnostics: Diagnostic[];
  /** Where a key or value of the result was written; the nearest enclosing place if not exact. */
  locate(path: PlainPath): SourceLocation | undefined;
}

interface Located {
  loc: SourceLocation;
  /** For attributes: the expression, to look inside object and tuple constructors. */
  expr?: Expr;
}

const pathKey = (path: PlainPath): string => JSON.stringify(path);

export function bodyToPlain(body: Body, ctx: EvalContext, opts: PlainOptions = {}): PlainResult {
  const diagnostics: Diagnostic[] = [];
  const places = new Map<string, Located>();
  const value = convertBody(body, ctx, opts, [], places, diagnostics);
  return {
    value,
    diagnostics,
    locate: (path) => locate(places, path),
  };
}

function convertBody(body: Body, ctx: EvalContext, opts: PlainOptions, path: PlainPath, places: Map<string, Located>, diags: Diagnostic[]): ValueObject {
  const out: ValueObject = {};
  const attrRanges = new Map<string, Range>();
  const blockCounts = new Map<string, number>();
  for (const item of body.items) {
    if (item.kind === 'block') blockCounts.set(item.type, (blockCounts.get(item.type) ?? 0) + 1);
  }
  for (const item of body.items) {
    if (item.kind === 'attribute') {
      const earlier = attrRanges.get(item.name);
      if (earlier) {
        diags.push({
          severity: 'error',
          summary: 'Duplicate argument',
          detail: `The argument "${item.name}" was already set at ${earlier.filename}:${earlier.start.line},${earlier.start.column}; each argument may be set only once.`,
          range: item.nameRange,
        });
        continue;
      }
      attrRanges.set(item.name, item.nameRange);
      const r = evaluate(item.expr, ctx);
      diags.push(...r.diagnostics);
      setKey(out, item.name, r.value);
      places.set(pathKey([...path, item.name]), { loc: { key: item.nameRange, value: item.expr.range }, expr: item.expr });
      continue;
    }
    const block = item;
    if (attrRanges.has(block.type)) {
      diags.push({
        severity: 'error',
        summary: 'Argument and block with the same name',
        detail: `"${block.type}" is set both as an argument and as a block in the same body.`,
        range: block.typeRange,
      });
      continue;
    }
    // Walk down the labels, creating the nested objects.
    const keys = [block.type, ...block.labels];
    const keyRanges = [block.typeRange, ...block.labelRanges];
    let container = out;
    const here: PlainPath = [...path];
    for (let i = 0; i < keys.length - 1; i++) {
      const k = keys[i] as string;
      here.push(k);
      places.set(pathKey(here), places.get(pathKey(here)) ?? { loc: { key: keyRanges[i] as Range, value: block.range } });
      const existing = container[k];
      if (!isObjectValue(existing)) {
        const fresh: ValueObject = {};
        setKey(container, k, fresh);
        container = fresh;
      } else {
        container = existing;
      }
    }
    const leaf = keys[keys.length - 1] as string;
    here.push(leaf);
    const repeatedType = block.labels.length === 0 && (blockCounts.get(block.type) ?? 0) > 1;
    const existing = container[leaf];
    const asList = opts.blocksAsLists === true || repeatedType || existing !== undefined;
    let elementPath: PlainPath;
    if (asList) {
      const list: Value[] = Array.isArray(existing) ? existing : existing !== undefined ? [existing] : [];
      // A second block with the same labels turns an earlier single object into a list.
      if (existing !== undefined && !Array.isArray(existing)) relocate(places, here, [...here, 0]);
      elementPath = [...here, list.length];
      list.push(null);
      setKey(container, leaf, list);
      list[list.length - 1] = convertBody(block.body, ctx, opts, elementPath, places, diags);
    } else {
      elementPath = here;
      setKey(container, leaf, convertBody(block.body, ctx, opts, elementPath, places, diags));
    }
    places.set(pathKey(here), places.get(pathKey(here)) ?? { loc: { key: keyRanges[keyRanges.length - 1] as Range, value: block.range } });
    places.set(pathKey(elementPath), { loc: { key: keyRanges[keyRanges.length - 1] as Range, value: block.range } });
  }
  return out;
}

/** Move recorded places under `from` to `to` (when a single block becomes element 0 of a list). */
function relocate(places: Map<string, Located>, from: PlainPath, to: PlainPath): void {
  const prefix = pathKey(from).slice(0, -1);
  for (const [k, v] of [...places]) {
    if (k === pathKey(from)) continue;
    if (k.startsWith(prefix + ',')) {
      const rest = JSON.parse(k).slice(from.length) as PlainPath;
      places.delete(k);
      places.set(pathKey([...to, ...rest]), v);
    }
  }
  const self = places.get(pathKey(from));
  if (self) places.set(pathKey(to), self);
}

function locate(places: Map<string, Located>, path: PlainPath): SourceLocation | undefined {
  for (let n = path.length; n > 0; n--) {
    const found = places.get(pathKey(path.slice(0, n)));
    if (!found) continue;
    if (n === path.length || !found.expr) return found.loc;
    return locateInExpr(found.expr, path.slice(n)) ?? found.loc;
  }
  return undefined;
}

/** Follow a path into object and tuple constructors written in the source. */
function locateInExpr(expr: Expr, rest: PlainPath): SourceLocation | undefined {
  let e = expr;
  let best: SourceLocation | undefined;
  for (const step of rest) {
    if (e.kind === 'object') {
      const item = e.items.find((it) => it.key.kind === 'literal' && it.key.value === step) ??
        e.items.find((it) => it.key.kind === 'template' && it.key.parts.length === 1 && it.key.parts[0]?.kind === 'text' && it.key.parts[0].value === step);
      if (!item) return best;
      best = { key: item.key.range, value: item.value.range };
      e = item.value;
    } else if (e.kind === 'tuple' && typeof step === 'number' && e.items[step]) {
      const item = e.items[step] as Expr;
      best = { key: item.range, value: item.range };
      e = item;
    } else {
      return best;
    }
  }
  return best;
}
