// ${...} interpolation in a task's env and driver config, resolved on the client because only
// the client knows the node and the alloc: ${attr.kernel.name}, ${node.unique.id},
// ${node.datacenter}, ${meta.rack}, ${env.HOME}, ${NOMAD_ALLOC_ID}. Unknown keys stay as written,
// as Nomad leaves them, so a typo shows up verbatim in the task's output rather than vanishing.

export interface InterpolationNode {
  ID: string;
  Name: string;
  Datacenter: string;
  NodeClass: string;
  Attributes: Record<string, string>;
  Meta: Record<string, string> | null;
}

export interface InterpolationScope {
  node: InterpolationNode | null;
  region: string;
  /** The task's environment (NOMAD_* and the env block). */
  env: Record<string, string>;
}

const PATTERN = /\$\{([^{}]+)\}/g;

/** Resolves one key, or returns undefined when it is unknown. */
export function lookupKey(key: string, scope: InterpolationScope): string | undefined {
  const k = key.trim();
  const node = scope.node;
  if (k.startsWith('env.')) return scope.env[k.slice(4)];
  if (node !== null) {
    if (k.startsWith('attr.')) return node.Attributes[k.slice(5)];
    if (k.startsWith('node.attr.')) return node.Attributes[k.slice(10)];
    if (k.startsWith('meta.')) return node.Meta?.[k.slice(5)];
    if (k.startsWith('node.meta.')) return node.Meta?.[k.slice(10)];
    switch (k) {
      case 'node.unique.id':
        return node.ID;
      case 'node.unique.name':
        return node.Name;
      case 'node.datacenter':
        return node.Datacenter;
      case 'node.class':
        return node.NodeClass;
      case 'node.region':
        return scope.region;
    }
  }
  return scope.env[k];
}

export function interpolateString(text: string, scope: InterpolationScope): string {
  if (!text.includes('${')) return text;
  return text.replace(PATTERN, (whole, key: string) => lookupKey(key, scope) ?? whole);
}

/** Interpolates every string inside a config value (objects, arrays), leaving other types alone. */
export function interpolateValue(value: unknown, scope: InterpolationScope, depth = 0): unknown {
  // Configs come from job files; a depth bound keeps a pathological structure from recursing forever.
  if (depth > 64) return value;
  if (typeof value === 'string') return interpolateString(value, scope);
  if (Array.isArray(value)) return value.map((v) => interpolateValue(v, scope, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateValue(v, scope, depth + 1);
    return out;
  }
  return value;
}
