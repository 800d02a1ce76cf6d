// HCL's automatic type conversions (a number where a string is wanted becomes "5", the string
// "true" where a bool is wanted becomes true, ...) and type constraints such as
// `list(string)` or `object({ a = number })` as written in `variable` blocks.

import type { Expr } from './ast.js';
import { describeType, isObjectValue, numberToString, setKey, UnknownValue, valuesEqual, type Value, type ValueObject } from './value.js';

export type TypeSpec =
  | { kind: 'any' }
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'bool' }
  | { kind: 'list' | 'set' | 'map'; element: TypeSpec }
  | { kind: 'object'; attributes: Record<string, TypeSpec>; optional: string[] }
  | { kind: 'tuple'; elements: TypeSpec[] };

export const ANY: TypeSpec = { kind: 'any' };

export class ConversionError extends Error {}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function asString(v: Value, what = 'value'): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) throw new ConversionError(`The ${what} is null; a string is required.`);
  throw new ConversionError(`A string is required for the ${what}, but it is ${describeType(v)}.`);
}

export function asNumber(v: Value, what = 'value'): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (DECIMAL.test(t)) return Number(t);
    throw new ConversionError(`A number is required for the ${what}; the string ${JSON.stringify(v)} is not a number.`);
  }
  if (v === null) throw new ConversionError(`The ${what} is null; a number is required.`);
  throw new ConversionError(`A number is required for the ${what}, but it is ${describeType(v)}.`);
}

export function asInteger(v: Value, what = 'value'): number {
  const n = asNumber(v, what);
  if (!Number.isInteger(n)) throw new ConversionError(`A whole number is required for the ${what}, but it is ${numberToString(n)}.`);
  // Past 2^53 a number is no longer exact: refuse it rather than store a rounded one.
  if (!Number.isSafeInteger(n)) throw new ConversionError(`A whole number between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER} is required for the ${what}, but it is ${numberToString(n)}.`);
  return n;
}

export function asBool(v: Value, what = 'value'): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (typeof v === 'string') throw new ConversionError(`A bool is required for the ${what}; the string ${JSON.stringify(v)} is neither "true" nor "false".`);
  if (v === null) throw new ConversionError(`The ${what} is null; a bool is required.`);
  throw new ConversionError(`A bool is required for the ${what}, but it is ${describeType(v)}.`);
}

export function asList(v: Value, what = 'value'): Value[] {
  if (Array.isArray(v)) return v;
  if (v === null) throw new ConversionError(`The ${what} is null; a list is required.`);
  throw new ConversionError(`A list is required for the ${what}, but it is ${describeType(v)}.`);
}

export function asObject(v: Value, what = 'value'): ValueObject {
  if (isObjectValue(v)) return v;
  if (v === null) throw new ConversionError(`The ${what} is null; a map is required.`);
  throw new ConversionError(`A map is required for the ${what}, but it is ${describeType(v)}.`);
}

export function typeToString(t: TypeSpec): string {
  switch (t.kind) {
    case 'any':
    case 'string':
    case 'number':
    case 'bool':
      return t.kind;
    case 'list':
    case 'set':
    case 'map':
      return `${t.kind}(${typeToString(t.element)})`;
    case 'object':
      return `object({${Object.entries(t.attributes).map(([k, a]) => `${k}=${typeToString(a)}`).join(', ')}})`;
    case 'tuple':
      return `tuple([${t.elements.map(typeToString).join(', ')}])`;
  }
}

/** Convert v to the type t, as HCL does when a value meets a type constraint. */
export function convertTo(v: Value, t: TypeSpec, what = 'value'): Value {
  if (v instanceof UnknownValue || t.kind === 'any') return v;
  if (v === null) return null;
  switch (t.kind) {
    case 'string':
      return asString(v, what);
    case 'number':
      return asNumber(v, what);
    case 'bool':
      return asBool(v, what);
    case 'list':
    case 'set': {
      const items = Array.isArray(v) ? v : null;
      if (!items) throw new ConversionError(`A ${t.kind} is required for the ${what}, but it is ${describeType(v)}.`);
      const converted = items.map((x, i) => convertTo(x, t.element, `element ${i} of the ${what}`));
      if (t.kind === 'list') return converted;
      const unique: Value[] = [];
      for (const x of converted) if (!unique.some((u) => valuesEqual(u, x))) unique.push(x);
      return unique;
    }
    case 'map': {
      const obj = asObject(v, what);
      const out: ValueObject = {};
      for (const [k, x] of Object.entries(obj)) setKey(out, k, convertTo(x, t.element, `element "${k}" of the ${what}`));
      return out;
    }
    case 'object': {
      const obj = asObject(v, what);
      const out: ValueObject = {};
      for (const [k, at] of Object.entries(t.attributes)) {
        if (!Object.hasOwn(obj, k)) {
          if (t.optional.includes(k)) {
            setKey(out, k, null);
            continue;
          }
          throw new ConversionError(`The ${what} is missing the attribute "${k}" required by ${typeToString(t)}.`);
        }
        setKey(out, k, convertTo(obj[k] as Value, at, `attribute "${k}" of the ${what}`));
      }
      for (const k of Object.keys(obj)) {
        if (!Object.hasOwn(t.attributes, k)) throw new ConversionError(`The ${what} has an attribute "${k}" that ${typeToString(t)} does not allow.`);
      }
      return out;
    }
    case 'tuple': {
      const items = asList(v, what);
      if (items.length !== t.elements.length) {
        throw new ConversionError(`The ${what} has ${items.length} elements but ${typeToString(t)} requires ${t.elements.length}.`);
      }
      return items.map((x, i) => convertTo(x, t.elements[i] as TypeSpec, `element ${i} of the ${what}`));
    }
  }
}

/**
 * Read a type constraint expression (`string`, `list(number)`, `map(any)`,
 * `object({ name = string, port = optional(number) })`, `tuple([string, bool])`).
 * Throws ConversionError with a message naming what was not understood.
 */
export function typeFromExpr(expr: Expr): TypeSpec {
  const e = expr.kind === 'parens' ? expr.inner : expr;
  if (e.kind === 'variable') {
    if (e.name === 'string' || e.name === 'number' || e.name === 'bool' || e.name === 'any') return { kind: e.name };
    if (e.name === 'list' || e.name === 'set' || e.name === 'map') return { kind: e.name, element: ANY };
    throw new ConversionError(`"${e.name}" is not a type; expected string, number, bool, any, list(...), set(...), map(...), object({...}) or tuple([...]).`);
  }
  if (e.kind === 'call') {
    const arg = e.args[0];
    if (e.args.length !== 1 || !arg) throw new ConversionError(`The type constructor ${e.name}(...) takes exactly one argument.`);
    if (e.name === 'list' || e.name === 'set' || e.name === 'map') return { kind: e.name, element: typeFromExpr(arg) };
    if (e.name === 'object') {
      if (arg.kind !== 'object') throw new ConversionError('object(...) takes an object of attribute types, like object({ name = string }).');
      const attributes: Record<string, TypeSpec> = {};
      const optional: string[] = [];
      for (const item of arg.items) {
        const key = item.key.kind === 'literal' && typeof item.key.value === 'string' ? item.key.value : undefined;
        if (key === undefined) throw new ConversionError('Attribute names in an object type must be plain names.');
        const v = item.value;
        if (v.kind === 'call' && v.name === 'optional' && v.args[0]) {
          optional.push(key);
          attributes[key] = typeFromExpr(v.args[0]);
        } else {
          attributes[key] = typeFromExpr(v);
        }
      }
      return { kind: 'object', attributes, optional };
    }
    if (e.name === 'tuple') {
      if (arg.kind !== 'tuple') throw new ConversionError('tuple(...) takes a list of element types, like tuple([string, number]).');
      return { kind: 'tuple', elements: arg.items.map(typeFromExpr) };
    }
    throw new ConversionError(`"${e.name}" is not a type constructor; expected list, set, map, object or tuple.`);
  }
  throw new ConversionError(`"${expr.text}" is not a type; expected string, number, bool, any, list(...), set(...), map(...), object({...}) or tuple([...]).`);
}
