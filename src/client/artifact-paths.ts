// Paths from job files and archives are untrusted: each must land inside its root.
import { isAbsolute, join, relative, resolve } from 'node:path';

/** root + rel, or an error when rel climbs out of root. A leading "/" is taken as relative, as tar does. */
export function safeJoin(root: string, rel: string): string {
  const base = resolve(root);
  const p = resolve(base, rel.replace(/^\/+/, ''));
  const r = relative(base, p);
  if (r.startsWith('..') || isAbsolute(r)) throw new Error(`illegal file path in archive or destination: "${rel}" escapes "${root}"`);
  return p === base ? base : join(base, r);
}
