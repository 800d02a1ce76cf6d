// Symlinks inside archives are untrusted: a link may not point outside the destination.
import { safeJoin } from './artifact-paths.js';

/** Throws unless the link `name` -> `linkTarget` stays inside `dest` (no absolute targets, no climbing out). */
export function checkLinkTarget(dest: string, name: string, linkTarget: string): void {
  if (linkTarget.startsWith('/')) throw new Error(`illegal symlink target in archive: "${name}" -> "${linkTarget}"`);
  safeJoin(dest, `${name}/../${linkTarget}`);
}
