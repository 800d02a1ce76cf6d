// Collection functions over lists (arrays) and maps (objects). Sets are lists without
// duplicates, in first-seen order.

import { asString } from '../convert.js';
import { fn, FunctionError, type HclFunction } from '../function.js';
import { describeType, isObjectValue, setKey, valuesEqual, type Value, type ValueObject } from '../value.js';
import { int, list, num, obj, str } from './args.js';

function unique(items: Value[]): Value[] {
  const out: Value[] = [];
  for (const x of items) if (!out.some((u) => valuesEqual(u, x))) out.push(x);
  return out;
}

function flattenDeep(items: Value[]): Value[] {
  return items.flatMap((x) => (Array.isArray(x) ? flattenDeep(x) : [x]));
}

export const collectionFunctions: Record<string, HclFunction> = {
  chunklist: fn(['list', 'size'], (a) => {
    const items = list(a, 0);
    const size = int(a, 1);
    if (size < 0) throw new FunctionError('The chunk size must not be negative.', 1);
    if (size === 0) return [items];
    const out: Value[] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
  }),
  coalesce: fn(['vals'], (a) => {
    for (const v of a) if (v !== null) return v;
    throw new FunctionError('All arguments are null: coalesce() needs at least one that is not.');
  }, { variadic: true }),
  coalescelist: fn(['lists'], (a) => {
    for (let i = 0; i < a.length; i++) if (list(a, i).length > 0) return a[i] as Value;
    return [];
  }, { variadic: true }),
  compact: fn(['list'], (a) => list(a, 0).filter((x) => x !== null && x !== '')),
  concat: fn(['lists'], (a) => a.flatMap((_, i) => list(a, i)), { variadic: true }),
  contains: fn(['list', 'value'], (a) => list(a, 0).some((x) => valuesEqual(x, a[1] as Value))),
  distinct: fn(['list'], (a) => unique(list(a, 0))),
  element: fn(['list', 'index'], (a) => {
    const items = list(a, 0);
    if (items.length === 0) throw new FunctionError('Cannot take an element of an empty list.', 0);
    const i = int(a, 1);
    if (i < 0) throw new FunctionError('The index must not be negative.', 1);
    return items[i % items.length] as Value;
  }),
  flatten: fn(['list'], (a) => flattenDeep(list(a, 0))),
  index: fn(['list', 'value'], (a) => {
    const i = list(a, 0).findIndex((x) => valuesEqual(x, a[1] as Value));
    if (i < 0) throw new FunctionError('The value is not in the list.', 1);
    return i;
  }),
  keys: fn(['map'], (a) => Object.keys(obj(a, 0)).sort()),
  values: fn(['map'], (a) => {
    const m = obj(a, 0);
    return Object.keys(m).sort().map((k) => m[k] as Value);
  }),
  length: fn(['value'], (a) => {
    const v = a[0] as Value;
    if (typeof v === 'string') return [...v].length;
    if (Array.isArray(v)) return v.length;
    if (isObjectValue(v)) return Object.keys(v).length;
    throw new FunctionError(`length() needs a string, list or map, but the argument is ${describeType(v)}.`, 0);
  }),
  lookup: fn(['map', 'key', 'default'], (a) => {
    const m = obj(a, 0);
    const k = str(a, 1);
    if (Object.hasOwn(m, k)) return m[k] as Value;
    if (a.length > 2) return a[2] as Value;
    throw new FunctionError(`The map has no element with the key ${JSON.stringify(k)} and no default was given.`, 1);
  }, { optional: 1 }),
  merge: fn(['maps'], (a) => {
    const out: ValueObject = {};
    a.forEach((m, i) => {
      if (m === null) return;
      for (const [k, v] of Object.entries(obj(a, i))) setKey(out, k, v);
    });
    return out;
  }, { variadic: true }),
  range: fn(['start', 'limit', 'step'], (a) => {
    let start = 0;
    let limit: number;
    let step = 1;
    if (a.length === 1) limit = num(a, 0);
    else {
      start = num(a, 0);
      limit = num(a, 1);
      if (a.length === 3) step = num(a, 2);
      else if (limit < start) step = -1;
    }
    if (step === 0) throw new FunctionError('The step must not be zero.', 2);
    if ((step > 0 && limit < start) || (step < 0 && limit > start)) {
      throw new FunctionError('The step moves away from the limit: the range would never end.', 2);
    }
    const out: Value[] = [];
    const maxLength = 1024;
    for (let x = start; step > 0 ? x < limit : x > limit; x += step) {
      if (out.length >= maxLength) throw new FunctionError(`The range would have more than ${maxLength} elements.`);
      out.push(x);
    }
    return out;
  }, { optional: 2 }),
  reverse: fn(['list'], (a) => [...list(a, 0)].reverse()),
  setintersection: fn(['sets'], (a) => {
    const sets = a.map((_, i) => unique(list(a, i)));
    const [first = [], ...rest] = sets;
    return first.filter((x) => rest.every((s) => s.some((y) => valuesEqual(x, y))));
  }, { variadic: true }),
  setsubtract: fn(['a', 'b'], (a) => {
    const b = list(a, 1);
    return unique(list(a, 0)).filter((x) => !b.some((y) => valuesEqual(x, y)));
  }),
  setunion: fn(['sets'], (a) => unique(a.flatMap((_, i) => list(a, i))), { variadic: true }),
  slice: fn(['list', 'start', 'end'], (a) => {
    const items = list(a, 0);
    const start = int(a, 1);
    const end = int(a, 2);
    if (start < 0 || start > items.length) throw new FunctionError(`The start index ${start} is outside the list of ${items.length} elements.`, 1);
    if (end < start || end > items.length) throw new FunctionError(`The end index ${end} must be between the start index and ${items.length}.`, 2);
    return items.slice(start, end);
  }),
  sort: fn(['list'], (a) => {
    const items = list(a, 0).map((x, i) => {
      try {
        return asString(x, 'list element');
      } catch {
        throw new FunctionError(`sort() works on strings; element ${i} is ${describeType(x)}.`, 0);
      }
    });
    return items.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  }),
  zipmap: fn(['keys', 'values'], (a) => {
    const ks = list(a, 0);
    const vs = list(a, 1);
    if (ks.length !== vs.length) throw new FunctionError(`There are ${ks.length} keys but ${vs.length} values.`, 1);
    const out: ValueObject = {};
    ks.forEach((k, i) => setKey(out, str([k], 0), vs[i] as Value));
    return out;
  }),
};
