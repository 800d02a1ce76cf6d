// Public surface of the gossip layer.
export { GossipAgent, type GossipAgentOptions, type GossipStats, type GossipKeyring, type GossipAgentEvents } from './agent.js';
export { GossipCore, type CoreConfig, type CoreOutput } from './core.js';
export { Keyring, KeyringError, parseKey, type KeyringListing } from './keyring.js';
export { LAN_TIMINGS, WAN_TIMINGS, LOCAL_TIMINGS, resolveTimings, type GossipTimings, type TimingsProfile } from './timings.js';
export { seededRng, type Rng } from './rng.js';
export type { GossipLogger } from './driver.js';
export { toNomadStatus, type Address, type Member, type MemberEvent, type MemberEventType, type MemberStatus, type Tags } from './types.js';
