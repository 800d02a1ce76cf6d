// The client's configuration, as the agent hands it over (after reading files and flags).
export interface ClientReserved {
  cpuMhz: number;
  memoryMB: number;
  diskMB: number;
  /** "22,80,8000-8080": host ports the scheduler must not hand out. */
  reservedPorts: string;
}

export interface ClientConfig {
  nodeName: string;
  datacenter: string;
  region: string;
  nodeClass: string;
  meta: Record<string, string>;
  /** `client { options { ... } }`: "driver.raw_exec.enable", "env.denylist", ... */
  options: Record<string, string>;
  /** Plugin config blocks by driver name. */
  pluginConfig?: Record<string, Record<string, unknown>>;
  /** `client { chroot_env { ... } }`: host path -> path in an isolated task's chroot. */
  chrootEnv?: Record<string, string>;
  /** `host_volume` blocks: host paths tasks may mount, by volume name. */
  hostVolumes?: Record<string, { Name: string; Path: string; ReadOnly: boolean }>;
  /** Refuse `alloc exec` into this client's tasks. */
  disableRemoteExec?: boolean;
  /** Root of the allocation dirs (<data_dir>/alloc); a temp dir in dev mode. */
  dataDir: string;
  /** Where the node ID and task handles are kept across restarts (<data_dir>/client). */
  stateDir: string;
  devMode: boolean;
  /** Interface name to fingerprint ("lo" in dev mode), or '' to pick by bind address. */
  networkInterface: string;
  bindAddress: string;
  /** host:port of this agent's HTTP API. */
  httpAdvertise: string;
  networkSpeedMbits?: number;
  /** `cpu_total_compute`: the node's CPU in MHz instead of what the host fingerprint finds (0: fingerprint). */
  cpuTotalComputeMHz?: number;
  /** `memory_total_mb`: the node's memory instead of the host's total (0: fingerprint). */
  memoryTotalMB?: number;
  maxKillTimeoutMs: number;
  minDynamicPort: number;
  maxDynamicPort: number;
  reserved: ClientReserved;
  /** How many terminal allocations keep their directories (Nomad's gc_max_allocs). */
  gcMaxAllocs?: number;
  /** How often drivers are fingerprinted again, to notice health changes. */
  driverFingerprintIntervalMs?: number;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Nomad's defaults for a client block that says nothing. */
export const CLIENT_DEFAULTS = {
  maxKillTimeoutMs: 30_000,
  minDynamicPort: 20_000,
  maxDynamicPort: 32_000,
  gcMaxAllocs: 50,
  driverFingerprintIntervalMs: 30_000,
} as const;

/** Meta every Nomad client advertises unless configured otherwise. */
export const DEFAULT_NODE_META: Record<string, string> = {
  'connect.log_level': 'info',
  'connect.proxy_concurrency': '1',
  'connect.sidecar_image': 'envoyproxy/envoy:v${NOMAD_envoy_version}',
  'connect.gateway_image': 'envoyproxy/envoy:v${NOMAD_envoy_version}',
};
