// Evaluations, nodes, deployments, the agent, status, regions, operator and system endpoints.
import type { AllocListStub, Allocation, Evaluation, Node, NodeListStub } from '../structs/index.js';
import type { DrainSpec } from '../structs/node.js';
import type { Deployment } from '../structs/deployment.js';
import { esc, type HttpTransport } from './http.js';
import { FrameDecoder, frameData } from './frames.js';
import type { Answer, QueryOptions, WriteMeta, WriteOptions } from './query.js';
import { ApiError } from './errors.js';
import type {
  AgentHealth,
  AgentSelf,
  AutopilotConfiguration,
  OperatorHealthReply,
  DeploymentUpdateResponse,
  HostStats,
  JoinResponse,
  NodeDrainUpdateResponse,
  RaftConfiguration,
  ServerMembers,
} from './types.js';

export class Evaluations {
  constructor(private readonly http: HttpTransport) {}
  list(q?: QueryOptions): Promise<Answer<Evaluation[]>> {
    return this.http.query('/v1/evaluations', q);
  }
  info(evalId: string, q?: QueryOptions): Promise<Answer<Evaluation>> {
    return this.http.query(`/v1/evaluation/${esc(evalId)}`, q);
  }
  allocations(evalId: string, q?: QueryOptions): Promise<Answer<AllocListStub[]>> {
    return this.http.query(`/v1/evaluation/${esc(evalId)}/allocations`, q);
  }
}

export interface MonitorOptions {
  logLevel?: string;
  json?: boolean;
  nodeId?: string;
  serverId?: string;
  signal?: AbortSignal;
}

export class Agent {
  constructor(private readonly http: HttpTransport) {}
  self(): Promise<Answer<AgentSelf>> {
    return this.http.query('/v1/agent/self');
  }
  members(): Promise<Answer<ServerMembers>> {
    return this.http.query('/v1/agent/members');
  }
  servers(): Promise<Answer<string[]>> {
    return this.http.query('/v1/agent/servers');
  }
  health(): Promise<Answer<AgentHealth>> {
    return this.http.query('/v1/agent/health');
  }
  join(addresses: string[]): Promise<{ body: JoinResponse; meta: WriteMeta }> {
    const u = addresses.map((a) => `address=${encodeURIComponent(a)}`).join('&');
    return this.http.write('PUT', `/v1/agent/join?${u}`, undefined);
  }
  /**
   * The agent's log from now on (GET /v1/agent/monitor), as the bytes of each frame, until the
   * agent ends the stream or `signal` aborts. Targets: `nodeId` or `serverId` (not both).
   */
  async *monitor(opts: MonitorOptions): AsyncGenerator<Buffer> {
    const params: Record<string, string> = { log_level: opts.logLevel ?? 'info' };
    if (opts.json) params['log_json'] = 'true';
    if (opts.nodeId) params['node_id'] = opts.nodeId;
    if (opts.serverId) params['server_id'] = opts.serverId;
    const res = await this.http.stream('/v1/agent/monitor', { params }, opts.signal);
    res.setEncoding('utf8');
    const decoder = new FrameDecoder();
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        for (const f of decoder.push(chunk)) {
          const data = frameData(f);
          if (data.length > 0) yield data;
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError' && !opts.signal?.aborted) throw err;
    } finally {
      res.destroy();
    }
  }
  /** A profile of the agent's process (/v1/agent/pprof/NAME): cmdline, profile, heap, allocs. */
  async profile(name: string, opts: { seconds?: number; nodeId?: string; serverId?: string } = {}): Promise<string> {
    const params: Record<string, string> = {};
    if (opts.seconds !== undefined) params['seconds'] = String(opts.seconds);
    if (opts.nodeId) params['node_id'] = opts.nodeId;
    if (opts.serverId) params['server_id'] = opts.serverId;
    return (await this.http.queryText(`/v1/agent/pprof/${esc(name)}`, { params })).body;
  }
  /** Marks a failed server left; with prune, the agent also forgets it (Nomad's ForceLeaveWithOptions). */
  forceLeave(node: string, opts: { prune?: boolean } = {}): Promise<{ body: unknown; meta: WriteMeta }> {
    const params: Record<string, string> = { node };
    if (opts.prune) params['prune'] = 'true';
    return this.http.write('PUT', '/v1/agent/force-leave', undefined, { params });
  }
}

/** What PUT /v1/node/:id/purge answers. */
export interface NodePurgeResponse {
  EvalIDs: string[] | null;
  EvalCreateIndex: number;
  NodeModifyIndex: number;
}

export class Nodes {
  constructor(
    private readonly http: HttpTransport,
    private readonly agent: Agent,
  ) {}
  list(q?: QueryOptions): Promise<Answer<NodeListStub[]>> {
    return this.http.query('/v1/nodes', q);
  }
  info(nodeId: string, q?: QueryOptions): Promise<Answer<Node>> {
    return this.http.query(`/v1/node/${esc(nodeId)}`, q);
  }
  allocations(nodeId: string, q?: QueryOptions): Promise<Answer<Allocation[]>> {
    return this.http.query(`/v1/node/${esc(nodeId)}/allocations`, q);
  }
  /** The ID of the node run by the agent we talk to, or an error when it runs no client. */
  async selfId(): Promise<string> {
    const self = await this.agent.self();
    const id = self.body.stats?.['client']?.['node_id'];
    if (!id) throw new Error('Local agent is not running a client');
    return id;
  }
  hostStats(nodeId: string): Promise<Answer<HostStats>> {
    return this.http.query('/v1/client/stats', { params: { node_id: nodeId } });
  }
  /** Starts (spec) or ends (null) a drain; markEligible makes an ended drain's node eligible again. */
  updateDrain(nodeId: string, spec: DrainSpec | null, markEligible: boolean, meta: Record<string, string> | null = null): Promise<{ body: NodeDrainUpdateResponse; meta: WriteMeta }> {
    return this.http.write('POST', `/v1/node/${esc(nodeId)}/drain`, { NodeID: nodeId, DrainSpec: spec, MarkEligible: markEligible, Meta: meta });
  }
  eligibility(nodeId: string, eligible: boolean): Promise<{ body: unknown; meta: WriteMeta }> {
    return this.http.write('POST', `/v1/node/${esc(nodeId)}/eligibility`, {
      NodeID: nodeId,
      Eligibility: eligible ? 'eligible' : 'ineligible',
    });
  }

  /** PUT /v1/node/:id/purge: the servers forget the node; its jobs are evaluated again. */
  purge(nodeId: string): Promise<{ body: NodePurgeResponse; meta: WriteMeta }> {
    return this.http.write('PUT', `/v1/node/${esc(nodeId)}/purge`, null);
  }
}

export class Deployments {
  constructor(private readonly http: HttpTransport) {}
  list(q?: QueryOptions): Promise<Answer<Deployment[]>> {
    return this.http.query('/v1/deployments', q);
  }
  info(deploymentId: string, q?: QueryOptions): Promise<Answer<Deployment>> {
    return this.http.query(`/v1/deployment/${esc(deploymentId)}`, q);
  }
  allocations(deploymentId: string, q?: QueryOptions): Promise<Answer<AllocListStub[]>> {
    return this.http.query(`/v1/deployment/allocations/${esc(deploymentId)}`, q);
  }
  /** Promotes canaries: all groups when `groups` is empty. */
  promote(deploymentId: string, groups: string[], w?: WriteOptions): Promise<{ body: DeploymentUpdateResponse; meta: WriteMeta }> {
    const body = groups.length === 0 ? { DeploymentID: deploymentId, All: true } : { DeploymentID: deploymentId, Groups: groups };
    return this.http.write('PUT', `/v1/deployment/promote/${esc(deploymentId)}`, body, w);
  }
  fail(deploymentId: string, w?: WriteOptions): Promise<{ body: DeploymentUpdateResponse; meta: WriteMeta }> {
    return this.http.write('PUT', `/v1/deployment/fail/${esc(deploymentId)}`, { DeploymentID: deploymentId }, w);
  }
  pause(deploymentId: string, pause: boolean, w?: WriteOptions): Promise<{ body: DeploymentUpdateResponse; meta: WriteMeta }> {
    return this.http.write('PUT', `/v1/deployment/pause/${esc(deploymentId)}`, { DeploymentID: deploymentId, Pause: pause }, w);
  }
}

export class Status {
  constructor(private readonly http: HttpTransport) {}
  leader(): Promise<Answer<string>> {
    return this.http.query('/v1/status/leader');
  }
  peers(): Promise<Answer<string[]>> {
    return this.http.query('/v1/status/peers');
  }
}

export class Regions {
  constructor(private readonly http: HttpTransport) {}
  list(): Promise<Answer<string[]>> {
    return this.http.query('/v1/regions');
  }
}

export class Operator {
  constructor(private readonly http: HttpTransport) {}
  raftConfiguration(q?: QueryOptions): Promise<Answer<RaftConfiguration>> {
    return this.http.query('/v1/operator/raft/configuration', q);
  }
  raftRemovePeerByAddress(address: string, w?: WriteOptions): Promise<{ body: unknown; meta: WriteMeta }> {
    return this.http.write('DELETE', '/v1/operator/raft/peer', undefined, { ...w, params: { ...w?.params, address } });
  }
  raftRemovePeerByID(id: string, w?: WriteOptions): Promise<{ body: unknown; meta: WriteMeta }> {
    return this.http.write('DELETE', '/v1/operator/raft/peer', undefined, { ...w, params: { ...w?.params, id } });
  }
  autopilotGetConfiguration(q?: QueryOptions): Promise<Answer<AutopilotConfiguration>> {
    return this.http.query('/v1/operator/autopilot/configuration', q);
  }
  /** Writes the configuration; true once written. */
  async autopilotSetConfiguration(conf: AutopilotConfiguration, w?: WriteOptions): Promise<boolean> {
    return (await this.http.write<boolean>('PUT', '/v1/operator/autopilot/configuration', conf, w)).body === true;
  }
  /** Writes the configuration only if it was not changed since conf.ModifyIndex was read; false when it was. */
  async autopilotCASConfiguration(conf: AutopilotConfiguration, w?: WriteOptions): Promise<boolean> {
    const params = { ...w?.params, cas: String(conf.ModifyIndex) };
    return (await this.http.write<boolean>('PUT', '/v1/operator/autopilot/configuration', conf, { ...w, params })).body === true;
  }
  /** The servers' health; an unhealthy cluster (answered with 429) is still an answer. */
  async autopilotServerHealth(q?: QueryOptions): Promise<OperatorHealthReply> {
    try {
      return (await this.http.query<OperatorHealthReply>('/v1/operator/autopilot/health', q)).body;
    } catch (e) {
      if (e instanceof ApiError && e.statusCode === 429) return JSON.parse(e.body) as OperatorHealthReply;
      throw e;
    }
  }
  /** A snapshot archive of the servers' state and its Digest header ("sha-256=<base64>"). */
  async snapshot(q?: QueryOptions): Promise<{ archive: Uint8Array; digest: string }> {
    const res = await this.http.queryBytes('/v1/operator/snapshot', q);
    const digest = res.headers['digest'];
    return { archive: res.body, digest: Array.isArray(digest) ? (digest[0] ?? '') : (digest ?? '') };
  }
  snapshotRestore(archive: Uint8Array, w?: WriteOptions): Promise<{ meta: WriteMeta }> {
    return this.http.writeBytes('PUT', '/v1/operator/snapshot', archive, w);
  }
}

export class SystemApi {
  constructor(private readonly http: HttpTransport) {}
  garbageCollect(): Promise<{ body: unknown; meta: WriteMeta }> {
    return this.http.write('PUT', '/v1/system/gc', undefined);
  }
  reconcileSummaries(): Promise<{ body: unknown; meta: WriteMeta }> {
    return this.http.write('PUT', '/v1/system/reconcile/summaries', undefined);
  }
  /** Telemetry in JSON form (GET /v1/metrics). */
  metrics(): Promise<Answer<Record<string, unknown>>> {
    return this.http.query('/v1/metrics');
  }
  /** /v1/metrics as the agent wrote it, with the given parameters (format, pretty). */
  metricsRaw(params: Record<string, string>): Promise<Answer<string>> {
    return this.http.queryText('/v1/metrics', { params });
  }
  /** Telemetry in Prometheus text form (GET /v1/metrics?format=prometheus). */
  metricsPrometheus(): Promise<Answer<string>> {
    return this.http.queryText('/v1/metrics', { params: { format: 'prometheus' } });
  }
}
