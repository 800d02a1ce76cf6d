// Runtime values of HCL expressions, as plain JavaScript values so that callers need no
// wrappers: strings, numbers, booleans, null, arrays (lists, tuples and sets) and plain objects
// (maps and objects). UnknownValue marks a reference kept for a later runtime to resolve.

export type Value = null | boolean | number | string | Value[] | ValueObject | UnknownValue;

export interface ValueObject {
  [key: string]: Value;
}

/**
 * A reference to something only the runtime knows (`attr.kernel.name`, `NOMAD_PORT_db`).
 * `text` is the expression as written, so it can be put back as `${text}`.
 */
export class UnknownValue {
  constructor(readonly text: string) {}
}

export type TypeName = 'string' | 'number' | 'bool' | 'null' | 'tuple' | 'object' | 'unknown';

export function typeOfValue(v: Value): TypeName {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'tuple';
  if (v instanceof UnknownValue) return 'unknown';
  return 'object';
}

/** "a string", "a number", ... for messages. */
export function describeType(v: Value): string {
  switch (typeOfValue(v)) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'bool':
      return 'a bool';
    case 'null':
      return 'null';
    case 'tuple':
      return 'a list';
    case 'object':
      return 'an object';
    case 'unknown':
      return 'a value known only at runtime';
  }
}

export function isObjectValue(v: Value | undefined): v is ValueObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof UnknownValue);
}

/** Set a key without letting `__proto__` reach the prototype. */
export function setKey(obj: ValueObject, key: string, value: Value): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

export function containsUnknown(v: Value): boolean {
  if (v instanceof UnknownValue) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (isObjectValue(v)) return Object.values(v).some(containsUnknown);
  return false;
}

/** Structural equality with no type conversion: 1 == "1" is false, as in HCL. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => valuesEqual(x, b[i] as Value));
  if (isObjectValue(a)) {
    if (!isObjectValue(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && valuesEqual(a[k] as Value, b[k] as Value));
  }
  if (a instanceof UnknownValue && b instanceof UnknownValue) return a.text === b.text;
  return false;
}

/** Numbers as HCL prints them: plain decimal, never exponent form for whole numbers. */
export function numberToString(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) >= 1e21) return BigInt(n).toString();
  if (!Number.isInteger(n) && Math.abs(n) < 1e-6 && n !== 0) return n.toFixed(20).replace(/0+$/, '');
  return String(n);
}

/** Replace every unknown reference by its `${...}` text: how kept references reach a job. */
export function unknownsToTemplateText(v: Value): Value {
  if (v instanceof UnknownValue) return '${' + v.text + '}';
  if (Array.isArray(v)) return v.map(unknownsToTemplateText);
  if (isObjectValue(v)) {
    const out: ValueObject = {};
    for (const [k, x] of Object.entries(v)) setKey(out, k, unknownsToTemplateText(x));
    return out;
  }
  return v;
}
