// Typed access to fields of a JSON request body, each failure a 400 naming the field path.
import { badRequest } from '../structs/errors.js';

type Obj = Record<string, unknown>;

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

export function optBool(o: Obj, key: string, path = key): boolean {
  const v = o[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw badRequest(`${path}: must be a boolean, got ${typeName(v)}`, path);
  return v;
}

export function optInt(o: Obj, key: string, path = key): number | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw badRequest(`${path}: must be an integer, got ${typeName(v)}`, path);
  return v;
}

export function optString(o: Obj, key: string, path = key): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw badRequest(`${path}: must be a string, got ${typeName(v)}`, path);
  return v;
}

export function optObject(o: Obj, key: string, path = key): Obj | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(`${path}: must be an object, got ${typeName(v)}`, path);
  return v as Obj;
}

export function optStringList(o: Obj, key: string, path = key): string[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badRequest(`${path}: must be a list of strings, got ${typeName(v)}`, path);
  return v.map((x, i) => {
    if (typeof x !== 'string') throw badRequest(`${path}[${i}]: must be a string, got ${typeName(x)}`, `${path}[${i}]`);
    return x;
  });
}

/** A map of strings (Meta), or null when absent. */
export function optStringMap(o: Obj, key: string, path = key): Record<string, string> | null {
  const m = optObject(o, key, path);
  if (m === null) return null;
  for (const [k, v] of Object.entries(m)) if (typeof v !== 'string') throw badRequest(`${path}.${k}: must be a string, got ${typeName(v)}`, `${path}.${k}`);
  return m as Record<string, string>;
}
