// The agent's description for /v1/agent/self, /v1/agent/members and `nomad agent-info`, in the
// shapes Nomad answers with.
import { cpus } from 'node:os';
import type { AgentConfig } from './config.js';
import type { ResolvedAddresses } from './addresses.js';
import type { ConsensusStats } from '../server/consensus.js';
import { NOMAD_VERSION, NOMAD_VERSION_PRERELEASE, REVISION } from '../version.js';

const NS_PER_MS = 1_000_000;

export function selfConfig(c: AgentConfig, addrs: ResolvedAddresses): Record<string, unknown> {
  return {
    ACL: { Enabled: c.acl.enabled, PolicyTTL: c.acl.policyTtlMs * NS_PER_MS, ReplicationToken: c.acl.replicationToken ? '<redacted>' : '', TokenTTL: c.acl.tokenTtlMs * NS_PER_MS },
    Addresses: { HTTP: addrs.bindIp.http, RPC: addrs.bindIp.rpc, Serf: addrs.bindIp.serf },
    AdvertiseAddrs: { HTTP: addrs.advertise.http, RPC: addrs.advertise.rpc, Serf: addrs.advertise.serf },
    BindAddr: c.bindAddr,
    Client: {
      AllocDir: c.client.allocDir,
      ChrootEnv: c.client.chrootEnv,
      ClientMaxPort: 14512,
      ClientMinPort: 14000,
      CpuCompute: c.client.cpuTotalComputeMHz,
      Enabled: c.client.enabled,
      MaxKillTimeout: `${c.client.maxKillTimeoutMs / 1000}s`,
      MaxDynamicPort: c.client.maxDynamicPort,
      MinDynamicPort: c.client.minDynamicPort,
      MemoryMB: c.client.memoryTotalMB,
      Meta: c.client.meta,
      NetworkInterface: c.client.networkInterface,
      NodeClass: c.client.nodeClass,
      Options: c.client.options,
      Reserved: {
        CPU: c.client.reserved.cpuMHz,
        Cores: '',
        DiskMB: c.client.reserved.diskMB,
        MemoryMB: c.client.reserved.memoryMB,
        ReservedPorts: c.client.reserved.reservedPorts,
      },
      Servers: c.client.servers.length > 0 ? c.client.servers : null,
      StateDir: c.client.stateDir,
    },
    DataDir: c.dataDir,
    Datacenter: c.datacenter,
    DevMode: c.devMode,
    DisableUpdateCheck: c.disableUpdateCheck,
    EnableDebug: c.enableDebug,
    Files: c.files,
    LeaveOnInt: c.leaveOnInterrupt,
    LeaveOnTerm: c.leaveOnTerminate,
    LogJson: c.logJson,
    LogLevel: c.logLevel,
    NodeName: c.name,
    Plugins: Object.keys(c.plugins).length > 0 ? Object.entries(c.plugins).map(([Name, cfg]) => ({ Name, Config: cfg })) : null,
    Ports: { HTTP: c.ports.http, RPC: c.ports.rpc, Serf: c.ports.serf },
    Region: c.region,
    Server: {
      AuthoritativeRegion: c.server.authoritativeRegion,
      BootstrapExpect: c.server.bootstrapExpect,
      Enabled: c.server.enabled,
      NumSchedulers: c.server.numSchedulers,
      RetryJoin: c.server.retryJoin,
      StartJoin: c.server.startJoin,
      HeartbeatGrace: c.server.heartbeatGraceMs * NS_PER_MS,
      MinHeartbeatTTL: c.server.minHeartbeatTtlMs * NS_PER_MS,
      MaxHeartbeatsPerSecond: c.server.maxHeartbeatsPerSecond,
      RejoinAfterLeave: c.server.rejoinAfterLeave,
    },
    Telemetry: {
      CollectionInterval: `${c.telemetry.collectionIntervalMs / 1000}s`,
      DataDogAddr: c.telemetry.datadogAddress,
      DataDogTags: c.telemetry.datadogTags.length > 0 ? c.telemetry.datadogTags : null,
      DisableDispatchedJobSummaryMetrics: c.telemetry.disableDispatchedJobSummaryMetrics,
      DisableHostname: c.telemetry.disableHostname,
      FilterDefault: c.telemetry.filterDefault,
      InMemoryCollectionInterval: `${c.telemetry.inMemoryCollectionIntervalMs / 1000}s`,
      InMemoryRetentionPeriod: `${c.telemetry.inMemoryRetentionPeriodMs / 1000}s`,
      PrefixFilter: c.telemetry.prefixFilter.length > 0 ? c.telemetry.prefixFilter : null,
      PrometheusMetrics: c.telemetry.prometheusMetrics,
      PublishAllocationMetrics: c.telemetry.publishAllocationMetrics,
      PublishNodeMetrics: c.telemetry.publishNodeMetrics,
      StatsdAddr: c.telemetry.statsdAddress,
      StatsiteAddr: c.telemetry.statsiteAddress,
      UseNodeName: c.telemetry.useNodeName,
    },
    Version: { Revision: REVISION, Version: NOMAD_VERSION, VersionMetadata: '', VersionPrerelease: NOMAD_VERSION_PRERELEASE },
  };
}

/** The gossip tags a Nomad server advertises, as `nomad server members -detailed` shows them. */
export function serverTags(c: AgentConfig, addrs: ResolvedAddresses, serverId: string): Record<string, string> {
  const [rpcIp, rpcPort] = splitHostPort(addrs.advertise.rpc);
  const tags: Record<string, string> = {
    role: 'nomad',
    region: c.region,
    dc: c.datacenter,
    build: NOMAD_VERSION,
    vsn: '1',
    mvn: '1',
    raft_vsn: '3',
    id: serverId,
    rpc_addr: rpcIp,
    port: rpcPort,
  };
  if (c.server.bootstrapExpect > 0) {
    tags.expect = String(c.server.bootstrapExpect);
    if (c.server.bootstrapExpect === 1) tags.bootstrap = '1';
  }
  return tags;
}

export function memberName(c: AgentConfig, nodeName: string): string {
  return `${nodeName}.${c.region}`;
}

export function raftStats(s: ConsensusStats): Record<string, string> {
  const cfg = s.configuration.map((x) => `{Suffrage:${x.Voter ? 'Voter' : 'Nonvoter'} ID:${x.ID} Address:${x.Address}}`).join(' ');
  return {
    applied_index: String(s.appliedIndex),
    commit_index: String(s.commitIndex),
    fsm_pending: String(s.fsmPending ?? 0),
    last_contact: s.state === 'Leader' ? '0' : s.lastContactKnown === false ? 'never' : `${s.lastContactMs}ms`,
    last_log_index: String(s.lastLogIndex),
    last_log_term: String(s.lastLogTerm),
    last_snapshot_index: String(s.lastSnapshotIndex ?? 0),
    last_snapshot_term: String(s.lastSnapshotTerm ?? 0),
    latest_configuration: `[${cfg}]`,
    latest_configuration_index: String(s.configurationIndex ?? 0),
    num_peers: String(s.numPeers),
    protocol_version: '3',
    protocol_version_max: '3',
    protocol_version_min: '0',
    snapshot_version_max: '1',
    snapshot_version_min: '0',
    state: s.state,
    term: String(s.term),
  };
}

export function runtimeStats(): Record<string, string> {
  return {
    arch: process.arch === 'x64' ? 'amd64' : process.arch,
    cpu_count: String(cpus().length),
    goroutines: '0',
    'kernel.name': process.platform,
    max_procs: String(cpus().length),
    version: `node${process.versions.node}`,
  };
}

export function splitHostPort(hp: string): [string, string] {
  const i = hp.lastIndexOf(':');
  return i < 0 ? [hp, ''] : [hp.slice(0, i).replace(/^\[|\]$/g, ''), hp.slice(i + 1)];
}
