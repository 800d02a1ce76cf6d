// The agent file nests a driver's settings one level down (`plugin "docker" { config { ... } }`),
// while drivers read their settings directly (`endpoint`, `allow_privileged`). This is the one
// place that unwraps the block, so that drivers never need to know the file's shape.

function plain(v: unknown): Record<string, unknown> | null {
  if (Array.isArray(v)) return v.length > 0 ? plain(v[0]) : null;
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : null;
}

/** `plugin "NAME" { config { ... } }` blocks -> NAME -> the inner config map. */
export function driverPluginConfigs(plugins: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, block] of Object.entries(plugins)) {
    const b = plain(block);
    if (b) out[name] = plain(b['config']) ?? {};
  }
  return out;
}
