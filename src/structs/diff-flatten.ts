// Turning job fragments into flat name -> string maps, the unit a diff compares. Two styles,
// because Nomad names leaves differently by where they sit: a struct's own primitive fields keep
// their bare names ("Count", "Meta[owner]"), while a whole nested value is flattened to paths
// ("args[1]", "port_map[0][db]") where map keys and list indexes go in brackets.

export type Flat = Map<string, string>;
export type Loose = Record<string, unknown>;

export function isRecord(v: unknown): v is Loose {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isLeaf(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** A leaf as Nomad prints it: integers in decimal (durations stay nanoseconds), booleans as words. */
export function render(v: string | number | boolean): string {
  return typeof v === 'string' ? v : String(v);
}

export interface PrimitiveOptions {
  /** Fields that are not part of the comparison (identity, server-managed, handled elsewhere). */
  skip?: ReadonlySet<string>;
  /** String maps that count as primitive fields, one field per key: Meta -> "Meta[key]". */
  maps?: readonly string[];
}

/**
 * The primitive fields of one struct; nested structs and lists are left to the caller, which
 * shows them as objects. Null for an absent struct, so that "absent" and "empty" stay distinct.
 */
export function primitiveFlat(v: unknown, opts: PrimitiveOptions = {}): Flat | null {
  if (!isRecord(v)) return null;
  const out: Flat = new Map();
  for (const [key, value] of Object.entries(v)) {
    if (opts.skip?.has(key)) continue;
    if (isLeaf(value)) out.set(key, render(value));
    else if (opts.maps?.includes(key) && isRecord(value)) deepFlatten(value, key, out, 'map');
  }
  return out;
}

/**
 * Every leaf of a value under a path. In 'map' style (driver config, user maps) every key is
 * bracketed below the top level; in 'struct' style a PascalCase key is a struct field and is
 * joined with a dot, any other key is a map key and is bracketed.
 */
export function deepFlatten(v: unknown, prefix: string, out: Flat, style: 'map' | 'struct'): Flat {
  if (v === null || v === undefined) return out;
  if (isLeaf(v)) {
    if (prefix) out.set(prefix, render(v));
    return out;
  }
  if (Array.isArray(v)) {
    v.forEach((item, i) => deepFlatten(item, `${prefix}[${i}]`, out, style));
    return out;
  }
  if (!isRecord(v)) return out;
  for (const [key, value] of Object.entries(v)) {
    let path = key;
    if (prefix) path = style === 'struct' && /^[A-Z]/.test(key) ? `${prefix}.${key}` : `${prefix}[${key}]`;
    deepFlatten(value, path, out, style);
  }
  return out;
}

/** A whole nested value flattened, or null when it is absent or has no leaves (as `[]` or `{}`). */
export function valueFlat(v: unknown, style: 'map' | 'struct'): Flat | null {
  if (v === null || v === undefined) return null;
  const out = deepFlatten(v, '', new Map(), style);
  return out.size > 0 ? out : null;
}

/** Key-order independent text of a value: the identity of a member of a set-like list. */
export function stableKey(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableKey).join(',')}]`;
  if (isRecord(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== null && v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableKey(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}
