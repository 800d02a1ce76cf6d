// The agent's configuration: what files and flags can set, the defaults, and dev mode's values.
// Several sources merge in order (defaults, then each -config file, then flags): later wins.

export interface AgentPorts {
  http: number;
  rpc: number;
  serf: number;
}

export interface AgentAddresses {
  http: string;
  rpc: string;
  serf: string;
}

export interface ClientReserved {
  cpuMHz: number;
  memoryMB: number;
  diskMB: number;
  reservedPorts: string;
}

export interface ServerJoinConfig {
  startJoin: string[];
  retryJoin: string[];
  retryIntervalMs: number | null;
  retryMax: number | null;
}

export interface SearchConfig {
  fuzzyEnabled: boolean;
  /** Objects a search looks at per context before it stops (truncating). */
  limitQuery: number;
  /** Matches returned per context. */
  limitResults: number;
  /** Shortest text a fuzzy search accepts. */
  minTermLength: number;
}

export interface AgentConfig {
  name: string;
  region: string;
  datacenter: string;
  dataDir: string;
  bindAddr: string;
  /** Per-service bind addresses; '' means bindAddr. */
  addresses: AgentAddresses;
  /** Per-service advertised addresses ("ip" or "ip:port"); '' means derived from the bind address. */
  advertise: AgentAddresses;
  ports: AgentPorts;
  logLevel: string;
  logJson: boolean;
  devMode: boolean;
  disableUpdateCheck: boolean;
  leaveOnInterrupt: boolean;
  leaveOnTerminate: boolean;
  enableDebug: boolean;
  server: {
    enabled: boolean;
    bootstrapExpect: number;
    numSchedulers: number | null;
    heartbeatGraceMs: number;
    minHeartbeatTtlMs: number;
    maxHeartbeatsPerSecond: number;
    startJoin: string[];
    retryJoin: string[];
    /** Null when not set, so that a conflict with `server_join` can be told apart from a default. */
    retryIntervalMs: number | null;
    retryMax: number | null;
    /** Nomad's `server { server_join { ... } }`, the newer spelling of the join settings. */
    serverJoin: ServerJoinConfig;
    encrypt: string;
    /** Scales every Raft timing (1 to 10), as Nomad's raft_multiplier. */
    raftMultiplier: number;
    raftProtocol: number;
    raftSnapshotThreshold: number;
    raftSnapshotIntervalMs: number;
    raftTrailingLogs: number;
    jobGcIntervalMs: number;
    jobGcThresholdMs: number;
    evalGcThresholdMs: number;
    deploymentGcThresholdMs: number;
    nodeGcThresholdMs: number;
    /** The region whose servers hold global ACL tokens and policies; '' means this region. */
    authoritativeRegion: string;
    /** Join the servers known before a restart even after a graceful leave (Nomad's rejoin_after_leave). */
    rejoinAfterLeave: boolean;
    /** The event stream (/v1/event/stream): on, and how many batches of events each server keeps. */
    enableEventBroker: boolean;
    eventBufferSize: number;
    /** The `search` block: fuzzy search and the bounds of every search. */
    search: SearchConfig;
  };
  /** The autopilot block: the configuration a new cluster's leader writes when there is none yet. */
  autopilot: {
    cleanupDeadServers: boolean;
    lastContactThresholdMs: number;
    maxTrailingLogs: number;
    minQuorum: number;
    serverStabilizationTimeMs: number;
  };
  client: {
    enabled: boolean;
    nodeClass: string;
    options: Record<string, string>;
    meta: Record<string, string>;
    servers: string[];
    stateDir: string;
    allocDir: string;
    networkInterface: string;
    cpuTotalComputeMHz: number;
    memoryTotalMB: number;
    maxKillTimeoutMs: number;
    minDynamicPort: number;
    maxDynamicPort: number;
    reserved: ClientReserved;
    chrootEnv: Record<string, string>;
    /** `client { server_join { ... } }`: servers to find at start-up (start_join is for servers only). */
    serverJoin: ServerJoinConfig;
    /** `drain_on_shutdown { ... }`: a leaving client drains its node before it stops. */
    drainOnShutdown: { enabled: boolean; deadlineMs: number; force: boolean; ignoreSystemJobs: boolean };
    /** `host_volume "name" { path, read_only }`: host directories tasks may mount. */
    hostVolumes: Record<string, { path?: string; readOnly?: boolean }>;
    /** Refuses `nomad alloc exec` into this client's tasks. */
    disableRemoteExec: boolean;
  };
  /** replicationToken: the management token a non-authoritative region's leader copies global ACLs with. */
  acl: { enabled: boolean; tokenTtlMs: number; policyTtlMs: number; replicationToken: string };
  tls: TlsConfig;
  /** The telemetry block: what the agent measures and where it sends it (see src/telemetry). */
  telemetry: {
    collectionIntervalMs: number;
    /** The in-memory sink behind /v1/metrics: its aggregation interval and how long intervals are kept. */
    inMemoryCollectionIntervalMs: number;
    inMemoryRetentionPeriodMs: number;
    publishAllocationMetrics: boolean;
    publishNodeMetrics: boolean;
    prometheusMetrics: boolean;
    disableHostname: boolean;
    useNodeName: boolean;
    filterDefault: boolean;
    /** "+prefix" / "-prefix" rules. */
    prefixFilter: string[];
    disableDispatchedJobSummaryMetrics: boolean;
    statsdAddress: string;
    statsiteAddress: string;
    datadogAddress: string;
    datadogTags: string[];
  };
  /** Driver plugin configuration by driver name (`plugin "raw_exec" { config { enabled = true } }`). */
  plugins: Record<string, Record<string, unknown>>;
  /** The files and directories read, in order. */
  files: string[];
  /** Where each setting from a file was written ("agent.hcl:12:3"), by its AgentConfig path. */
  sources: Record<string, string>;
}

/** Nomad's tls block. RPC settings are kept to refuse them (no RPC transport runs yet). */
export interface TlsConfig {
  http: boolean;
  rpc: boolean;
  caFile: string;
  certFile: string;
  keyFile: string;
  verifyServerHostname: boolean;
  verifyHttpsClient: boolean;
  rpcUpgradeMode: boolean;
  /** "tls10" ... "tls13"; '' for the default (tls12). */
  tlsMinVersion: string;
  /** Go's cipher suite names, comma-separated; '' for the defaults. */
  tlsCipherSuites: string;
}

export function defaultConfig(): AgentConfig {
  return {
    name: '',
    region: 'global',
    datacenter: 'dc1',
    dataDir: '',
    bindAddr: '0.0.0.0',
    addresses: { http: '', rpc: '', serf: '' },
    advertise: { http: '', rpc: '', serf: '' },
    ports: { http: 4646, rpc: 4647, serf: 4648 },
    logLevel: 'INFO',
    logJson: false,
    devMode: false,
    disableUpdateCheck: false,
    leaveOnInterrupt: false,
    leaveOnTerminate: false,
    enableDebug: false,
    server: {
      enabled: false,
      bootstrapExpect: 0,
      numSchedulers: null,
      heartbeatGraceMs: 10_000,
      minHeartbeatTtlMs: 10_000,
      maxHeartbeatsPerSecond: 50,
      startJoin: [],
      retryJoin: [],
      retryIntervalMs: null,
      retryMax: null,
      serverJoin: { startJoin: [], retryJoin: [], retryIntervalMs: null, retryMax: null },
      encrypt: '',
      raftMultiplier: 1,
      raftProtocol: 3,
      raftSnapshotThreshold: 8192,
      raftSnapshotIntervalMs: 120_000,
      raftTrailingLogs: 10_240,
      jobGcIntervalMs: 5 * 60_000,
      jobGcThresholdMs: 4 * 3600_000,
      evalGcThresholdMs: 3600_000,
      deploymentGcThresholdMs: 3600_000,
      nodeGcThresholdMs: 24 * 3600_000,
      authoritativeRegion: '',
      rejoinAfterLeave: false,
      enableEventBroker: true,
      eventBufferSize: 100,
      search: { fuzzyEnabled: true, limitQuery: 20, limitResults: 100, minTermLength: 2 },
    },
    autopilot: { cleanupDeadServers: true, lastContactThresholdMs: 200, maxTrailingLogs: 250, minQuorum: 0, serverStabilizationTimeMs: 10_000 },
    client: {
      enabled: false,
      nodeClass: '',
      options: {},
      meta: {},
      servers: [],
      stateDir: '',
      allocDir: '',
      networkInterface: '',
      cpuTotalComputeMHz: 0,
      memoryTotalMB: 0,
      maxKillTimeoutMs: 30_000,
      minDynamicPort: 20000,
      maxDynamicPort: 32000,
      reserved: { cpuMHz: 0, memoryMB: 0, diskMB: 0, reservedPorts: '' },
      chrootEnv: {},
      serverJoin: { startJoin: [], retryJoin: [], retryIntervalMs: null, retryMax: null },
      // Nomad's defaults for a drain_on_shutdown block: an hour, migrating, system jobs last.
      drainOnShutdown: { enabled: false, deadlineMs: 3600_000, force: false, ignoreSystemJobs: false },
      hostVolumes: {},
      disableRemoteExec: false,
    },
    acl: { enabled: false, tokenTtlMs: 30_000, policyTtlMs: 30_000, replicationToken: '' },
    tls: {
      http: false,
      rpc: false,
      caFile: '',
      certFile: '',
      keyFile: '',
      verifyServerHostname: false,
      verifyHttpsClient: false,
      rpcUpgradeMode: false,
      tlsMinVersion: '',
      tlsCipherSuites: '',
    },
    telemetry: {
      collectionIntervalMs: 1000,
      inMemoryCollectionIntervalMs: 10_000,
      inMemoryRetentionPeriodMs: 60_000,
      publishAllocationMetrics: false,
      publishNodeMetrics: false,
      prometheusMetrics: false,
      disableHostname: false,
      useNodeName: false,
      filterDefault: true,
      prefixFilter: [],
      disableDispatchedJobSummaryMetrics: false,
      statsdAddress: '',
      statsiteAddress: '',
      datadogAddress: '',
      datadogTags: [],
    },
    plugins: {},
    files: [],
    sources: {},
  };
}

/** What `-dev` sets on top of the defaults: one process, server and client, on loopback. */
export function applyDevMode(c: AgentConfig): AgentConfig {
  return {
    ...c,
    devMode: true,
    bindAddr: '127.0.0.1',
    logLevel: 'DEBUG',
    enableDebug: true,
    disableUpdateCheck: true,
    server: { ...c.server, enabled: true, bootstrapExpect: 1 },
    // As today's Nomad: a dev agent is ready to be scraped and publishes node and allocation metrics.
    telemetry: { ...c.telemetry, prometheusMetrics: true, publishAllocationMetrics: true, publishNodeMetrics: true },
    client: {
      ...c.client,
      enabled: true,
      networkInterface: c.client.networkInterface || 'lo',
      options: { 'driver.raw_exec.enable': 'true', 'driver.docker.volumes': 'true', ...c.client.options },
    },
  };
}

/** A partial configuration as read from one source: nested objects with only what it set. */
export type PartialConfig = DeepPartialConfig<AgentConfig>;
type DeepPartialConfig<T> = {
  [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends Record<string, unknown> ? DeepPartialConfig<T[K]> : T[K];
};

const MAP_KEYS = new Set(['options', 'meta', 'chrootEnv', 'plugins', 'sources', 'hostVolumes']);

/** Later sources win field by field; maps (meta, options) merge key by key; lists replace. */
export function mergeConfig(base: AgentConfig, over: PartialConfig): AgentConfig {
  return mergeObj(base as unknown as Record<string, unknown>, over as Record<string, unknown>) as unknown as AgentConfig;
}

function mergeObj(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = base[k];
    if (MAP_KEYS.has(k) && isPlain(b) && isPlain(v)) out[k] = { ...b, ...v };
    else if (k === 'files' && Array.isArray(b) && Array.isArray(v)) out[k] = [...b, ...v];
    else if (isPlain(b) && isPlain(v)) out[k] = mergeObj(b, v);
    else out[k] = v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** True when raw_exec may run: dev mode, the client option, or the plugin's config. */
export function rawExecEnabled(c: AgentConfig): boolean {
  const opt = c.client.options['driver.raw_exec.enable'];
  if (opt === '1' || opt === 'true') return true;
  const plugin = c.plugins['raw_exec'];
  const cfg = plugin && isPlain(plugin['config']) ? (plugin['config'] as Record<string, unknown>) : null;
  return cfg?.['enabled'] === true || cfg?.['enabled'] === 'true';
}
