// The agent configuration keys we understand, where each lands in AgentConfig, and the keys that
// Nomad knows but this agent does not act on yet (accepted with a warning that names them).
import { checkPrefixRules } from '../telemetry/prefix-filter.js';
import { checkSinkAddress } from '../telemetry/sink-address.js';

export type FieldKind = 'string' | 'int' | 'float' | 'bool' | 'duration' | 'stringList' | 'stringMap' | 'any';

export interface ValueField {
  kind: FieldKind;
  /** Dotted path in AgentConfig, e.g. "server.bootstrapExpect". */
  to: string;
  /** What is wrong with a well-typed value, or null when it is fine. */
  check?: (value: unknown) => string | null;
}

export interface BlockField {
  kind: 'block';
  fields: Record<string, Field>;
  /** A path set to true when the block appears at all (an empty block still means something). */
  present?: string;
}

/** A block with one label whose body is kept as plain data (`plugin "raw_exec" { ... }`). */
export interface LabeledAnyField {
  kind: 'labeledAny';
  to: string;
}

/**
 * Blocks with one name label, each decoded against `fields` (paths relative to the block) into
 * a map by name at `to`: `host_volume "certs" { path = "/etc/ssl" }`.
 */
export interface LabeledBlockField {
  kind: 'labeledBlock';
  to: string;
  fields: Record<string, Field>;
}

/** Known to Nomad, not acted on here. */
export interface IgnoredField {
  kind: 'ignored';
}

export type Field = ValueField | BlockField | LabeledAnyField | LabeledBlockField | IgnoredField;

const v = (kind: FieldKind, to: string, check?: (value: unknown) => string | null): ValueField => (check ? { kind, to, check } : { kind, to });
const positiveDuration = (ms: unknown): string | null => (typeof ms === 'number' && ms > 0 ? null : 'must be greater than zero');
const IGNORED: IgnoredField = { kind: 'ignored' };
const ignore = (...keys: string[]): Record<string, Field> => Object.fromEntries(keys.map((k) => [k, IGNORED]));
const addrBlock = (to: string): BlockField => ({
  kind: 'block',
  fields: { http: v('string', `${to}.http`), rpc: v('string', `${to}.rpc`), serf: v('string', `${to}.serf`) },
});

export const AGENT_SCHEMA: BlockField = {
  kind: 'block',
  fields: {
    name: v('string', 'name'),
    region: v('string', 'region'),
    datacenter: v('string', 'datacenter'),
    data_dir: v('string', 'dataDir'),
    bind_addr: v('string', 'bindAddr'),
    log_level: v('string', 'logLevel'),
    log_json: v('bool', 'logJson'),
    disable_update_check: v('bool', 'disableUpdateCheck'),
    leave_on_interrupt: v('bool', 'leaveOnInterrupt'),
    leave_on_terminate: v('bool', 'leaveOnTerminate'),
    enable_debug: v('bool', 'enableDebug'),
    addresses: addrBlock('addresses'),
    advertise: addrBlock('advertise'),
    ports: {
      kind: 'block',
      fields: { http: v('int', 'ports.http'), rpc: v('int', 'ports.rpc'), serf: v('int', 'ports.serf') },
    },
    server: {
      kind: 'block',
      fields: {
        enabled: v('bool', 'server.enabled'),
        bootstrap_expect: v('int', 'server.bootstrapExpect'),
        num_schedulers: v('int', 'server.numSchedulers'),
        heartbeat_grace: v('duration', 'server.heartbeatGraceMs'),
        min_heartbeat_ttl: v('duration', 'server.minHeartbeatTtlMs'),
        max_heartbeats_per_second: v('float', 'server.maxHeartbeatsPerSecond'),
        start_join: v('stringList', 'server.startJoin'),
        retry_join: v('stringList', 'server.retryJoin'),
        retry_interval: v('duration', 'server.retryIntervalMs'),
        retry_max: v('int', 'server.retryMax'),
        server_join: {
          kind: 'block',
          fields: {
            start_join: v('stringList', 'server.serverJoin.startJoin'),
            retry_join: v('stringList', 'server.serverJoin.retryJoin'),
            retry_interval: v('duration', 'server.serverJoin.retryIntervalMs'),
            retry_max: v('int', 'server.serverJoin.retryMax'),
          },
        },
        encrypt: v('string', 'server.encrypt'),
        raft_multiplier: v('int', 'server.raftMultiplier'),
        raft_protocol: v('int', 'server.raftProtocol'),
        raft_snapshot_threshold: v('int', 'server.raftSnapshotThreshold'),
        raft_snapshot_interval: v('duration', 'server.raftSnapshotIntervalMs'),
        raft_trailing_logs: v('int', 'server.raftTrailingLogs'),
        job_gc_interval: v('duration', 'server.jobGcIntervalMs'),
        job_gc_threshold: v('duration', 'server.jobGcThresholdMs'),
        eval_gc_threshold: v('duration', 'server.evalGcThresholdMs'),
        deployment_gc_threshold: v('duration', 'server.deploymentGcThresholdMs'),
        node_gc_threshold: v('duration', 'server.nodeGcThresholdMs'),
        authoritative_region: v('string', 'server.authoritativeRegion'),
        rejoin_after_leave: v('bool', 'server.rejoinAfterLeave'),
        enable_event_broker: v('bool', 'server.enableEventBroker'),
        event_buffer_size: v('int', 'server.eventBufferSize'),
        search: {
          kind: 'block',
          fields: {
            fuzzy_enabled: v('bool', 'server.search.fuzzyEnabled'),
            limit_query: v('int', 'server.search.limitQuery'),
            limit_results: v('int', 'server.search.limitResults'),
            min_term_length: v('int', 'server.search.minTermLength'),
          },
        },
        ...ignore(
          'data_dir', 'protocol_version', 'enabled_schedulers',
          'csi_volume_claim_gc_threshold', 'csi_plugin_gc_threshold',
          'non_voting_server', 'redundancy_zone',
          'upgrade_version', 'default_scheduler_config',
          'license_path', 'deployment_query_rate_limit',
        ),
      },
    },
    client: {
      kind: 'block',
      fields: {
        enabled: v('bool', 'client.enabled'),
        node_class: v('string', 'client.nodeClass'),
        options: v('stringMap', 'client.options'),
        meta: v('stringMap', 'client.meta'),
        servers: v('stringList', 'client.servers'),
        state_dir: v('string', 'client.stateDir'),
        alloc_dir: v('string', 'client.allocDir'),
        network_interface: v('string', 'client.networkInterface'),
        cpu_total_compute: v('int', 'client.cpuTotalComputeMHz'),
        memory_total_mb: v('int', 'client.memoryTotalMB'),
        max_kill_timeout: v('duration', 'client.maxKillTimeoutMs'),
        min_dynamic_port: v('int', 'client.minDynamicPort'),
        max_dynamic_port: v('int', 'client.maxDynamicPort'),
        chroot_env: v('stringMap', 'client.chrootEnv'),
        server_join: {
          kind: 'block',
          fields: {
            start_join: v('stringList', 'client.serverJoin.startJoin'),
            retry_join: v('stringList', 'client.serverJoin.retryJoin'),
            retry_interval: v('duration', 'client.serverJoin.retryIntervalMs'),
            retry_max: v('int', 'client.serverJoin.retryMax'),
          },
        },
        drain_on_shutdown: {
          kind: 'block',
          present: 'client.drainOnShutdown.enabled',
          fields: {
            deadline: v('duration', 'client.drainOnShutdown.deadlineMs', (x) => ((x as number) > 0 ? null : 'must be a positive duration')),
            force: v('bool', 'client.drainOnShutdown.force'),
            ignore_system_jobs: v('bool', 'client.drainOnShutdown.ignoreSystemJobs'),
          },
        },
        disable_remote_exec: v('bool', 'client.disableRemoteExec'),
        host_volume: { kind: 'labeledBlock', to: 'client.hostVolumes', fields: { path: v('string', 'path'), read_only: v('bool', 'readOnly') } },
        reserved: {
          kind: 'block',
          fields: {
            cpu: v('int', 'client.reserved.cpuMHz'),
            memory: v('int', 'client.reserved.memoryMB'),
            disk: v('int', 'client.reserved.diskMB'),
            reserved_ports: v('string', 'client.reserved.reservedPorts'),
            ...ignore('cores'),
          },
        },
        ...ignore(
          'network_speed', 'gc_interval', 'gc_disk_usage_threshold', 'gc_inode_usage_threshold',
          'gc_max_allocs', 'gc_parallel_destroys', 'no_host_uuid', 'host_network',
          'cni_path', 'cni_config_dir', 'bridge_network_name', 'bridge_network_subnet', 'cgroup_parent',
          'template', 'artifact', 'reservable_cores',
          'bind_wildcard_default_host_network', 'cpu_total_compute_mhz', 'fingerprint',
        ),
      },
    },
    acl: {
      kind: 'block',
      fields: {
        enabled: v('bool', 'acl.enabled'),
        token_ttl: v('duration', 'acl.tokenTtlMs'),
        policy_ttl: v('duration', 'acl.policyTtlMs'),
        replication_token: v('string', 'acl.replicationToken'),
      },
    },
    telemetry: {
      kind: 'block',
      fields: {
        collection_interval: v('duration', 'telemetry.collectionIntervalMs', positiveDuration),
        in_memory_collection_interval: v('duration', 'telemetry.inMemoryCollectionIntervalMs', positiveDuration),
        in_memory_retention_period: v('duration', 'telemetry.inMemoryRetentionPeriodMs', positiveDuration),
        publish_allocation_metrics: v('bool', 'telemetry.publishAllocationMetrics'),
        publish_node_metrics: v('bool', 'telemetry.publishNodeMetrics'),
        prometheus_metrics: v('bool', 'telemetry.prometheusMetrics'),
        disable_hostname: v('bool', 'telemetry.disableHostname'),
        use_node_name: v('bool', 'telemetry.useNodeName'),
        filter_default: v('bool', 'telemetry.filterDefault'),
        prefix_filter: v('stringList', 'telemetry.prefixFilter', checkPrefixRules),
        disable_dispatched_job_summary_metrics: v('bool', 'telemetry.disableDispatchedJobSummaryMetrics'),
        statsd_address: v('string', 'telemetry.statsdAddress', checkSinkAddress),
        statsite_address: v('string', 'telemetry.statsiteAddress', checkSinkAddress),
        datadog_address: v('string', 'telemetry.datadogAddress', checkSinkAddress),
        datadog_tags: v('stringList', 'telemetry.datadogTags'),
        ...ignore(
          'backwards_compatible_metrics', 'disable_tagged_metrics', 'include_alloc_metadata_in_metrics',
          'allowed_metadata_keys_in_metrics', 'disable_quota_utilization_metrics', 'disable_rpc_rate_metrics_labels',
          'circonus_api_token', 'circonus_api_app', 'circonus_api_url',
          'circonus_submission_interval', 'circonus_submission_url', 'circonus_check_id',
          'circonus_check_force_metric_activation', 'circonus_check_instance_id', 'circonus_check_search_tag',
          'circonus_check_display_name', 'circonus_check_tags', 'circonus_broker_id', 'circonus_broker_select_tag',
        ),
      },
    },
    tls: {
      kind: 'block',
      fields: {
        http: v('bool', 'tls.http'),
        rpc: v('bool', 'tls.rpc'),
        ca_file: v('string', 'tls.caFile'),
        cert_file: v('string', 'tls.certFile'),
        key_file: v('string', 'tls.keyFile'),
        verify_server_hostname: v('bool', 'tls.verifyServerHostname'),
        verify_https_client: v('bool', 'tls.verifyHttpsClient'),
        rpc_upgrade_mode: v('bool', 'tls.rpcUpgradeMode'),
        tls_min_version: v('string', 'tls.tlsMinVersion'),
        tls_cipher_suites: v('string', 'tls.tlsCipherSuites'),
        ...ignore('tls_prefer_server_cipher_suites'),
      },
    },
    autopilot: {
      kind: 'block',
      fields: {
        cleanup_dead_servers: v('bool', 'autopilot.cleanupDeadServers'),
        last_contact_threshold: v('duration', 'autopilot.lastContactThresholdMs'),
        max_trailing_logs: v('int', 'autopilot.maxTrailingLogs'),
        min_quorum: v('int', 'autopilot.minQuorum'),
        server_stabilization_time: v('duration', 'autopilot.serverStabilizationTimeMs'),
        ...ignore('enable_redundancy_zones', 'disable_upgrade_migration', 'enable_custom_upgrades'),
      },
    },
    plugin: { kind: 'labeledAny', to: 'plugins' },
    ...ignore(
      'vault', 'consul', 'sentinel', 'audit', 'ui', 'limits', 'enable_syslog',
      'syslog_facility', 'log_file', 'log_rotate_bytes', 'log_rotate_duration', 'log_rotate_max_files',
      'http_api_response_headers', 'plugin_dir', 'disable_anonymous_signature',
    ),
  },
};
