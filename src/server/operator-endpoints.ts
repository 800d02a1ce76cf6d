// Operator actions that are not about jobs, nodes or deployments: the scheduler and autopilot
// configurations, a forced garbage collection, Raft peer removal and the servers' health. Like
// every write they run on the leader (reached through the forwarder).
import { badRequest, NomadError, notFound } from '../structs/errors.js';
import type { AutopilotConfiguration, SchedulerConfiguration } from '../state/reader.js';
import type { OperatorHealthReply } from './autopilot.js';
import { isClusterConsensus, type Consensus } from './consensus.js';
import { writeChecked, type ServerContext } from './context.js';
import type { CoreGc, GcResult } from './core-gc.js';

export interface OperatorDeps {
  ctx: ServerContext;
  gc: CoreGc;
  consensus: Consensus;
  health: () => OperatorHealthReply;
}

export class OperatorEndpoints {
  constructor(private readonly deps: OperatorDeps) {}

  async setSchedulerConfig(config: SchedulerConfiguration): Promise<{ Updated: boolean; Index: number }> {
    const index = await writeChecked(this.deps.ctx, { Type: 'SchedulerConfig', Config: config });
    return { Updated: true, Index: index };
  }

  /** With casIndex (not null), written only if the stored configuration's ModifyIndex still equals it. */
  async setAutopilotConfig(config: AutopilotConfiguration, casIndex: number | null): Promise<{ Updated: boolean; Index: number }> {
    const res = await this.deps.ctx.write({ Type: 'AutopilotConfig', Config: config, CAS: casIndex !== null, CASIndex: casIndex ?? 0 });
    if (res.result instanceof Error) throw res.result;
    return { Updated: res.result === true, Index: res.index };
  }

  /** nomad system gc: a collection pass that ignores age thresholds. */
  forceGc(): Promise<GcResult> {
    return this.deps.gc.run(true);
  }

  /** nomad operator raft remove-peer: by server ID or by address. */
  async removeRaftPeer(id: string, address: string): Promise<null> {
    const c = this.deps.consensus;
    if (!isClusterConsensus(c)) throw badRequest('this server runs no Raft cluster: it has no peers to remove');
    if (!id && !address) throw badRequest('Must specify either a peer ID or address', 'id');
    const peer = c.stats().configuration.find((s) => (id ? s.ID === id : s.Address === address));
    if (!peer) throw notFound(id ? `id "${id}" was not found in the Raft configuration` : `address "${address}" was not found in the Raft configuration`);
    if (peer.ID === c.serverId) throw new NomadError('bad_request', 'cannot remove the leader itself: transfer leadership first or remove it from another server');
    await c.removeServer(peer.ID);
    return null;
  }

  async autopilotHealth(): Promise<OperatorHealthReply> {
    return this.deps.health();
  }
}
