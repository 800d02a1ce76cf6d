// bootstrap_expect: servers discover each other (gossip, static list); once
// `expect` of them have met and none has raft state, each computes the same
// first configuration from the same list and calls Raft.bootstrap with it.
import type { ServerConfig } from './types.js';

export interface DiscoveredServer {
  readonly id: string;
  readonly address: string;
  /** The server reports a term, log or snapshot already (it belongs to a cluster). */
  readonly hasExistingState: boolean;
}

/**
 * The configuration to bootstrap with, or null when it is not time yet: fewer
 * than `expect` servers met, or one of them already has state (then the
 * cluster exists and new servers join it instead).
 */
export function bootstrapConfigurationIfReady(expect: number, discovered: readonly DiscoveredServer[]): ServerConfig[] | null {
  if (expect < 1) throw new RangeError(`bootstrap_expect must be at least 1, got ${expect}`);
  const byId = new Map<string, DiscoveredServer>();
  for (const s of discovered) byId.set(s.id, s);
  if (byId.size < expect) return null;
  if ([...byId.values()].some((s) => s.hasExistingState)) return null;
  // Sorted, so that every server derives the identical list (and identical first entry).
  return [...byId.values()]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((s) => ({ id: s.id, address: s.address, suffrage: 'voter' as const }));
}
