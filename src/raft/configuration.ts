// Helpers over cluster configurations. A change is always one server at a time,
// which keeps any two successive majorities overlapping without joint consensus.
import type { Configuration, ServerConfig, ServerId, Suffrage } from './types.js';

export const EMPTY_CONFIGURATION: Configuration = { servers: [] };

export function voters(config: Configuration): ServerId[] {
  return config.servers.filter((s) => s.suffrage === 'voter').map((s) => s.id);
}

export function isVoter(config: Configuration, id: ServerId): boolean {
  return config.servers.some((s) => s.id === id && s.suffrage === 'voter');
}

export function findServer(config: Configuration, id: ServerId): ServerConfig | undefined {
  return config.servers.find((s) => s.id === id);
}

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

export function validateConfiguration(config: Configuration): string | null {
  const seen = new Set<ServerId>();
  for (const s of config.servers) {
    if (s.id === '') return 'server id must not be empty';
    if (seen.has(s.id)) return `duplicate server id "${s.id}"`;
    seen.add(s.id);
    if (s.suffrage !== 'voter' && s.suffrage !== 'nonvoter') return `bad suffrage "${String(s.suffrage)}" for "${s.id}"`;
  }
  if (config.servers.length > 0 && !config.servers.some((s) => s.suffrage === 'voter')) {
    return 'configuration has no voter';
  }
  return null;
}

export type MembershipChange =
  | { readonly op: 'add'; readonly id: ServerId; readonly address: string; readonly suffrage: Suffrage }
  | { readonly op: 'promote'; readonly id: ServerId }
  | { readonly op: 'remove'; readonly id: ServerId };

/** Returns the configuration after `change`, or an error message when the change is not allowed. */
export function applyChange(config: Configuration, change: MembershipChange): Configuration | string {
  const existing = findServer(config, change.id);
  let servers: ServerConfig[];
  switch (change.op) {
    case 'add': {
      if (existing) {
        if (existing.suffrage === 'voter' && change.suffrage === 'nonvoter') {
          return `server "${change.id}" is a voter; remove it before adding it as a non-voter`;
        }
        servers = config.servers.map((s) =>
          s.id === change.id ? { id: s.id, address: change.address, suffrage: change.suffrage } : s,
        );
      } else {
        servers = [...config.servers, { id: change.id, address: change.address, suffrage: change.suffrage }];
      }
      break;
    }
    case 'promote': {
      if (!existing) return `server "${change.id}" is not in the configuration`;
      servers = config.servers.map((s) => (s.id === change.id ? { ...s, suffrage: 'voter' as const } : s));
      break;
    }
    case 'remove': {
      if (!existing) return `server "${change.id}" is not in the configuration`;
      servers = config.servers.filter((s) => s.id !== change.id);
      break;
    }
  }
  const next = { servers };
  const problem = validateConfiguration(next);
  return problem ?? next;
}

export function configurationEquals(a: Configuration, b: Configuration): boolean {
  if (a.servers.length !== b.servers.length) return false;
  return a.servers.every((s, i) => {
    const o = b.servers[i];
    return o !== undefined && o.id === s.id && o.address === s.address && o.suffrage === s.suffrage;
  });
}

export function describeConfiguration(config: Configuration): string {
  return `[${config.servers.map((s) => `{Suffrage:${s.suffrage === 'voter' ? 'Voter' : 'Nonvoter'} ID:${s.id} Address:${s.address}}`).join(' ')}]`;
}
