// Cheap 32-bit digests: an entry's content, and a chain over a log prefix so
// that two logs agreeing on (index, term) can be checked for identical prefixes.
import type { Entry } from '../../../src/raft/types.js';

export function entryDigest(e: Entry): number {
  let h = 0x811c9dc5 ^ e.kind;
  h = Math.imul(h ^ e.term, 16777619);
  if (e.data) {
    for (let i = 0; i < e.data.length; i++) h = Math.imul(h ^ (e.data[i] as number), 16777619);
  }
  if (e.config) {
    for (const s of e.config.servers) {
      for (let i = 0; i < s.id.length; i++) h = Math.imul(h ^ s.id.charCodeAt(i), 16777619);
      h = Math.imul(h ^ (s.suffrage === 'voter' ? 1 : 2), 16777619);
    }
  }
  return h >>> 0;
}

export function chainDigest(previous: number, index: number, digest: number): number {
  let h = Math.imul(previous ^ digest, 0x9e3779b1);
  h = Math.imul(h ^ index ^ (h >>> 15), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}
