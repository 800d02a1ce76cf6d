// Operator actions that are not about jobs, nodes or deployments: the scheduler and autopilot
// configurations, a forced garbage collection, the Raft configuration and peer removal, the
// servers' health, and saving and restoring the whole state. Like every write they run on the
// leader (reached through the forwarder); reads that Nomad serves from the leader do too, with a
// local variant for ?stale.
import { badRequest, NomadError } from '../structs/errors.js';
import type { OperatorHealthReply, RaftConfiguration } from '../structs/operator.js';
import { readSnapshotArchive, snapshotDigest, writeSnapshotArchive } from '../structs/snapshot-archive.js';
import type { AutopilotConfiguration, SchedulerConfiguration } from '../state/reader.js';
import { isClusterConsensus, type Consensus } from './consensus.js';
import { writeChecked, type ServerContext } from './context.js';
import type { CoreGc, GcResult } from './core-gc.js';
import type { ServerMember } from './server-members.js';

export interface OperatorDeps {
  ctx: ServerContext;
  gc: CoreGc;
  consensus: Consensus;
  health: () => OperatorHealthReply;
  /** This server's gossip name ("<node name>.<region>"), for the Raft configuration. */
  selfName: string;
  /** The servers the gossip pool knows (none on a server without a pool). */
  members: () => ServerMember[];
  /** After a restore replaced the state: the leader rebuilds its duties from it. */
  afterRestore: () => Promise<void>;
}

export interface SavedSnapshot {
  archive: Uint8Array;
  /** The Digest header value: the archive's SHA-256. */
  digest: string;
}

export class OperatorEndpoints {
  constructor(private readonly deps: OperatorDeps) {}

  async setSchedulerConfig(config: SchedulerConfiguration): Promise<{ Updated: boolean; Index: number }> {
    const index = await writeChecked(this.deps.ctx, { Type: 'SchedulerConfig', Config: config });
    return { Updated: true, Index: index };
  }

  /** With casIndex (not null), written only if the stored configuration's ModifyIndex still equals it. */
  async setAutopilotConfig(config: AutopilotConfiguration, casIndex: number | null): Promise<{ Updated: boolean; Index: number }> {
    for (const [field, on] of [['EnableRedundancyZones', config.EnableRedundancyZones], ['DisableUpgradeMigration', config.DisableUpgradeMigration], ['EnableCustomUpgrades', config.EnableCustomUpgrades]] as const) {
      // Stored, as Nomad's open-source servers store them, but nothing here acts on them.
      if (on) this.deps.ctx.logger.warn(`autopilot: ${field} is stored but this server does not act on it (an Enterprise feature in Nomad)`);
    }
    const res = await this.deps.ctx.write({ Type: 'AutopilotConfig', Config: config, CAS: casIndex !== null, CASIndex: casIndex ?? 0 });
    if (res.result instanceof Error) throw res.result;
    return { Updated: res.result === true, Index: res.index };
  }

  /** nomad system gc: a collection pass that ignores age thresholds. */
  forceGc(): Promise<GcResult> {
    return this.deps.gc.run(true);
  }

  /** nomad operator raft list-peers, as the leader sees the configuration. */
  async raftConfiguration(): Promise<RaftConfiguration> {
    return this.localRaftConfiguration();
  }

  /** The Raft configuration as this server sees it (?stale). */
  localRaftConfiguration(): RaftConfiguration {
    const c = this.deps.consensus;
    const stats = c.stats();
    const names = new Map(this.deps.members().map((m) => [m.id, m.name]));
    const selfId = isClusterConsensus(c) ? c.serverId : (stats.configuration[0]?.ID ?? '');
    const leaderId = c.leaderId();
    const servers = stats.configuration.map((s) => ({
      ID: s.ID,
      Node: names.get(s.ID) ?? (s.ID === selfId ? this.deps.selfName : '(unknown)'),
      Address: s.Address,
      Leader: s.ID === leaderId,
      Voter: s.Voter,
      RaftProtocol: '3',
    }));
    return { Servers: servers, Index: stats.configurationIndex ?? 0 };
  }

  /** nomad operator raft remove-peer: by server ID or by address. */
  async removeRaftPeer(id: string, address: string): Promise<null> {
    const c = this.deps.consensus;
    if (!id && !address) throw badRequest("Must specify either ?id with the server's ID or ?address with IP:port of peer to remove", '?id');
    if (id && address) throw badRequest('Must specify only one of ?id or ?address', '?id');
    const peer = c.stats().configuration.find((s) => (id ? s.ID === id : s.Address === address));
    // Nomad's texts: an operator most likely mistyped the peer.
    if (!peer) throw new NomadError('internal', id ? `id "${id}" was not found in the Raft configuration` : `address "${address}" was not found in the Raft configuration`);
    if (!isClusterConsensus(c) || peer.ID === c.serverId) {
      throw new NomadError('bad_request', 'cannot remove the leader itself: transfer leadership first or remove it from another server');
    }
    await c.removeServer(peer.ID);
    this.deps.ctx.logger.info('removed Raft peer', { id: peer.ID, address: peer.Address });
    return null;
  }

  async autopilotHealth(): Promise<OperatorHealthReply> {
    return this.deps.health();
  }

  /** nomad operator snapshot save: the state after every acknowledged write, as an archive. */
  async snapshotSave(): Promise<SavedSnapshot> {
    return this.saveSnapshot(true);
  }

  /** The same from this server's own state, without asking the leader (?stale). */
  localSnapshotSave(): Promise<SavedSnapshot> {
    return this.saveSnapshot(false);
  }

  private async saveSnapshot(barrier: boolean): Promise<SavedSnapshot> {
    const state = await this.deps.consensus.captureState(barrier);
    const archive = await writeSnapshotArchive({ index: state.index, term: state.term, createdMs: this.deps.ctx.clock.nowMs() }, state.data);
    return { archive, digest: snapshotDigest(archive) };
  }

  /**
   * nomad operator snapshot restore: the archive is verified (checksums, then the state inside)
   * before anything changes; the whole cluster then takes the saved state, at a log index beyond
   * both the current log and the one the archive was saved at, and later writes go on from there.
   */
  async snapshotRestore(archive: Uint8Array): Promise<{ Index: number }> {
    const { meta, state } = await readSnapshotArchive(archive);
    const restoredAt = await this.deps.consensus.restoreState(state, meta.Index);
    // Every table changed: marked in the log so that every server's readers see it.
    const index = await writeChecked(this.deps.ctx, { Type: 'StateRestored' });
    this.deps.ctx.logger.info('restored the state from a saved snapshot', { snapshot_id: meta.ID, snapshot_index: meta.Index, index: restoredAt });
    await this.deps.afterRestore();
    return { Index: index };
  }
}
