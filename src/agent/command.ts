// `nomad agent`: reads flags and configuration files, prints the banner, starts the agent and
// runs until SIGINT or SIGTERM, then shuts down cleanly. Returns the process exit code.
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { FlagSet, HelpRequested, UsageError } from '../cli/flags.js';
import { applyDevMode, defaultConfig, mergeConfig, type AgentConfig, type PartialConfig } from './config.js';
import { loadConfigPath } from './config-file.js';
import { resolveAddresses } from './addresses.js';
import { configurationBlock } from './banner.js';
import { AgentLogger, parseLogLevel } from './logger.js';
import { GatedSink } from './gated-sink.js';
import { checkClientJoin, checkJoinConfig } from './join.js';
import { checkTlsConfig } from './tls-config.js';
import { parseKey } from '../gossip/keyring.js';
import { parseDurationNs } from '../structs/time.js';

const HELP = `Usage: nomad agent [options]

  Starts the Nomad agent and runs until an interrupt is received. The agent may
  be a client and/or server.

General Options:

  -dev                 One process that is server and client at once, state in
                       memory, HTTP on 127.0.0.1:4646. For trying things out.
  -config=<path>       A configuration file or directory (HCL or JSON); may be
                       given several times: later files win.
  -bind=<addr>         The address the agent binds to for all its services.
  -data-dir=<path>     Where the agent keeps its state.
  -dc=<name>           The datacenter of the agent (default "dc1").
  -region=<name>       The region of the agent (default "global").
  -node=<name>         The name of this node (default: the host name).
  -log-level=<level>   TRACE, DEBUG, INFO, WARN or ERROR.
  -log-json            Log as JSON lines.

Server Options:

  -server              Enable server mode.
  -bootstrap-expect=N  How many servers to wait for before electing a leader.
  -join=<addr>         Join a server's gossip pool at start; repeatable.
  -retry-join=<addr>   Keep trying to join; repeatable.
  -retry-interval=<d>  Time between retry-join attempts (default 30s).
  -retry-max=N         Retry-join attempts after the first; 0 means no limit.
  -encrypt=<key>       The gossip encryption key.

Client Options:

  -client              Enable client mode.
  -servers=<list>      Comma-separated servers for the client to reach.
  -node-class=<class>  The node class of this client.
  -meta=<key=value>    Node metadata; repeatable.
  -network-interface=<name>  The interface whose address tasks are given.
  -state-dir=<path>    Where the client keeps its state.
  -alloc-dir=<path>    Where allocation directories are made.

ACL Options:

  -acl-enabled         Enable access control lists.
`;

export async function runAgent(args: string[]): Promise<number> {
  const fs = new FlagSet('agent')
    .bool('dev')
    .list('config')
    .string('bind')
    .string('data-dir')
    .string('dc')
    .string('region')
    .string('node')
    .string('log-level')
    .bool('log-json')
    .bool('server')
    .int('bootstrap-expect')
    .list('join')
    .list('retry-join')
    .string('retry-interval')
    .int('retry-max')
    .string('encrypt')
    .bool('client')
    .string('servers')
    .string('node-class')
    .list('meta')
    .string('network-interface')
    .string('state-dir')
    .string('alloc-dir')
    .bool('acl-enabled');
  let flags;
  try {
    flags = fs.parse(args);
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(HELP);
      return 0;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${HELP}`);
      return 1;
    }
    throw e;
  }
  if (flags.args.length > 0) {
    process.stderr.write(`This command takes no arguments, got: ${flags.args.join(' ')}\n`);
    return 1;
  }

  let config: AgentConfig = defaultConfig();
  if (flags.bool('dev')) config = applyDevMode(config);

  const errors: string[] = [];
  const files = flags.list('config');
  for (const path of files) {
    const res = loadConfigPath(path);
    errors.push(...res.errors);
    for (const w of res.warnings) process.stderr.write(`==> WARNING: ${w}\n`);
    for (const part of res.configs) config = mergeConfig(config, part);
  }
  if (errors.length > 0) {
    process.stderr.write(`==> Error loading configuration:\n${errors.map((e) => `    * ${e}`).join('\n')}\n`);
    return 1;
  }

  const fromFlags: PartialConfig = {};
  const setIf = <K extends keyof PartialConfig>(flag: string, key: K, value: PartialConfig[K]) => {
    if (flags.isSet(flag)) fromFlags[key] = value;
  };
  setIf('bind', 'bindAddr', flags.string('bind'));
  setIf('data-dir', 'dataDir', flags.string('data-dir'));
  setIf('dc', 'datacenter', flags.string('dc'));
  setIf('region', 'region', flags.string('region'));
  setIf('node', 'name', flags.string('node'));
  setIf('log-level', 'logLevel', flags.string('log-level'));
  setIf('log-json', 'logJson', flags.bool('log-json'));
  const server: NonNullable<PartialConfig['server']> = {};
  if (flags.isSet('server')) server.enabled = flags.bool('server');
  if (flags.isSet('bootstrap-expect')) server.bootstrapExpect = flags.int('bootstrap-expect');
  if (flags.isSet('join')) server.startJoin = flags.list('join');
  if (flags.isSet('retry-join')) server.retryJoin = flags.list('retry-join');
  if (flags.isSet('retry-max')) server.retryMax = flags.int('retry-max');
  if (flags.isSet('retry-interval')) {
    const ns = parseDurationNs(flags.string('retry-interval'));
    if (ns === null) {
      process.stderr.write(`Error parsing -retry-interval "${flags.string('retry-interval')}": expected a duration such as "15s"\n`);
      return 1;
    }
    server.retryIntervalMs = ns / 1e6;
  }
  if (flags.isSet('encrypt')) server.encrypt = flags.string('encrypt');
  const client: NonNullable<PartialConfig['client']> = {};
  if (flags.isSet('client')) client.enabled = flags.bool('client');
  if (flags.isSet('servers')) client.servers = flags.string('servers').split(',').map((s) => s.trim()).filter(Boolean);
  if (flags.isSet('node-class')) client.nodeClass = flags.string('node-class');
  if (flags.isSet('network-interface')) client.networkInterface = flags.string('network-interface');
  if (flags.isSet('state-dir')) client.stateDir = flags.string('state-dir');
  if (flags.isSet('alloc-dir')) client.allocDir = flags.string('alloc-dir');
  if (flags.isSet('meta')) {
    const meta: Record<string, string> = {};
    for (const kv of flags.list('meta')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) {
        process.stderr.write(`Error parsing -meta "${kv}": expected key=value\n`);
        return 1;
      }
      meta[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    client.meta = meta;
  }
  if (Object.keys(server).length > 0) fromFlags.server = server;
  if (Object.keys(client).length > 0) fromFlags.client = client;
  if (flags.isSet('acl-enabled')) fromFlags.acl = { enabled: flags.bool('acl-enabled') };
  config = mergeConfig(config, fromFlags);

  const problem = checkConfig(config);
  if (problem) {
    process.stderr.write(`==> ${problem}\n`);
    return 1;
  }
  const tlsCheck = checkTlsConfig(config);
  for (const w of [...tlsCheck.warnings, ...aclWarnings(config), ...drainWarnings(config)]) process.stderr.write(`==> WARNING: ${w}\n`);
  if (tlsCheck.errors.length > 0) {
    process.stderr.write(`==> Error in the tls configuration:\n${tlsCheck.errors.map((e) => `    * ${e}`).join('\n')}\n`);
    return 1;
  }
  const level = parseLogLevel(config.logLevel)!;
  config.logLevel = level;
  const resolved = resolveAddresses(config);
  if (!resolved.ok) {
    process.stderr.write(`==> ${resolved.error}\n`);
    return 1;
  }

  process.stdout.write(files.length === 0 ? '==> No configuration files loaded\n' : files.map((f) => `==> Loaded configuration from ${f}\n`).join(''));
  process.stdout.write('==> Starting Nomad agent...\n');
  const sink = new GatedSink(process.stdout);
  const logger = new AgentLogger(level, sink, config.logJson);
  const { Agent } = await import('./agent.js');
  let agent;
  try {
    agent = await Agent.start(config, resolved.addrs, logger, sink);
  } catch (e) {
    sink.open();
    process.stderr.write(`==> Error starting agent: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(configurationBlock(config, resolved.addrs) + '\n');
  agent.announceStarted();

  return new Promise<number>((resolve) => {
    let stopping = false;
    // Once shut down, the process ends even if a library left a handle open: the agent is
    // the whole process, and its output is flushed first.
    const exit = (code: number) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
    const stopWith = (code: number, leave: boolean): void => {
      agent!.shutdown({ leave }).then(
        () => {
          resolve(code);
          exit(code);
        },
        (err: unknown) => {
          logger.error('agent: shutdown failed', { error: err });
          resolve(1);
          exit(1);
        },
      );
    };
    // Retry join gave up, or start join failed: Nomad's agent exits 1 then.
    const giveUp = (): void => {
      if (stopping) return;
      stopping = true;
      stopWith(1, false);
    };
    const startJoin = config.server.enabled && config.server.startJoin.length + config.server.serverJoin.startJoin.length > 0;
    if (startJoin) process.stdout.write('==> Joining cluster...\n');
    agent.joinAtStart(giveUp).then(
      (n) => {
        if (n !== null) process.stdout.write(`==> Join completed. Synced with ${n} initial agents\n`);
      },
      (err: unknown) => {
        process.stderr.write(`==> ${(err as Error).message}\n`);
        giveUp();
      },
    );
    const onSignal = (sig: NodeJS.Signals) => {
      const name = sig === 'SIGINT' ? 'interrupt' : sig === 'SIGTERM' ? 'terminated' : sig;
      if (stopping) {
        process.stdout.write(`==> Caught second signal: ${name}. Exiting\n`);
        process.exit(1);
      }
      stopping = true;
      process.stdout.write(`==> Caught signal: ${name}\n`);
      // Dev mode always leaves: nothing outlives a dev agent, and telling others costs nothing.
      const leave = config.devMode || (sig === 'SIGINT' && config.leaveOnInterrupt) || (sig === 'SIGTERM' && config.leaveOnTerminate);
      if (leave) process.stdout.write('==> Gracefully shutting down agent...\n');
      stopWith(0, leave);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // As Nomad: SIGUSR1 dumps the retained in-memory metric intervals to stderr.
    process.on('SIGUSR1', () => process.stderr.write(agent!.telemetryHandle?.dump() ?? ''));
    // Nomad reloads on SIGHUP; here that is the HTTPS certificates (read again from their files).
    process.on('SIGHUP', () => {
      if (!config.tls.http) {
        logger.info('agent: SIGHUP: nothing to reload (the HTTP API does not serve TLS)');
        return;
      }
      try {
        agent!.reloadTls();
        logger.info('agent: reloaded the HTTP TLS certificates');
      } catch (e) {
        logger.error('agent: reloading the HTTP TLS certificates failed; the previous ones stay in use', { error: (e as Error).message });
      }
    });
  });
}

/** drain_on_shutdown acts only when the agent leaves: without a leave_on_* setting it never would. */
function drainWarnings(c: AgentConfig): string[] {
  if (!c.client.enabled || !c.client.drainOnShutdown.enabled || c.devMode || c.leaveOnInterrupt || c.leaveOnTerminate) return [];
  return ['client.drain_on_shutdown has no effect unless leave_on_interrupt or leave_on_terminate is set: the node drains only when the agent leaves'];
}

/** ACL settings accepted for compatibility that change nothing here, or that cannot work as set. */
function aclWarnings(c: AgentConfig): string[] {
  const out: string[] = [];
  // A client-only agent caches what the servers resolve for these long; an agent with a server reads its own state.
  for (const [key, name] of [['acl.tokenTtlMs', 'token_ttl'], ['acl.policyTtlMs', 'policy_ttl']] as const) {
    const where = c.sources[key];
    if (!where) continue;
    if (c.server.enabled) out.push(`${where}: acl.${name} has no effect: the server resolves tokens from its own state, and changes take effect at once`);
    else if (!c.acl.enabled) out.push(`${where}: acl.${name} has no effect with ACLs disabled`);
  }
  const authoritative = c.server.authoritativeRegion || c.region;
  const at = (key: string): string => (c.sources[key] ? `${c.sources[key]}: ` : '');
  if (!c.acl.enabled && c.server.authoritativeRegion) {
    out.push(`${at('server.authoritativeRegion')}server.authoritative_region has no effect with ACLs disabled: it names where global ACL tokens and policies are written`);
  }
  if (!c.acl.enabled && c.acl.replicationToken) out.push(`${at('acl.replicationToken')}acl.replication_token has no effect with ACLs disabled`);
  if (c.acl.enabled && c.server.enabled && authoritative !== c.region && !c.acl.replicationToken) {
    out.push(
      `${at('server.authoritativeRegion')}acl.replication_token is not set: this region (${c.region}) cannot copy global ACL tokens and policies from the authoritative region (${authoritative}) without a management token`,
    );
  }
  return out;
}

/** The checks Nomad makes before starting, with its wording where it has one. */
function checkConfig(c: AgentConfig): string | null {
  if (!c.server.enabled && !c.client.enabled) return 'Must specify either server, client or dev mode for the agent.';
  if (!parseLogLevel(c.logLevel)) return `Invalid log level: "${c.logLevel}". Valid levels are TRACE, DEBUG, INFO, WARN, ERROR.`;
  if (!c.devMode && !c.dataDir) return 'Must specify "data_dir" in config file or "data-dir" on the command line when running in non-dev mode.';
  const joinProblem = c.server.enabled ? checkJoinConfig(c) : null;
  if (joinProblem) return joinProblem;
  if (c.server.enabled && c.server.encrypt) {
    try {
      parseKey(c.server.encrypt);
    } catch (e) {
      return `Invalid encryption key: ${(e as Error).message}`;
    }
  }
  if (c.server.enabled && c.server.bootstrapExpect < 0) return `Invalid bootstrap_expect ${c.server.bootstrapExpect}: must be 0 or more.`;
  if (c.server.enabled && (!Number.isInteger(c.server.raftMultiplier) || c.server.raftMultiplier < 1 || c.server.raftMultiplier > 10)) {
    return `Invalid raft_multiplier ${c.server.raftMultiplier}: must be between 1 and 10.`;
  }
  if (c.server.enabled && c.server.raftProtocol !== 3) {
    return `raft_protocol = ${c.server.raftProtocol} is not supported: servers speak Raft protocol 3 (server IDs are UUIDs).`;
  }
  if (c.server.enabled && c.server.raftSnapshotThreshold < 1) return `Invalid raft_snapshot_threshold ${c.server.raftSnapshotThreshold}: must be at least 1.`;
  if (c.server.enabled && c.server.raftTrailingLogs < 1) return `Invalid raft_trailing_logs ${c.server.raftTrailingLogs}: must be at least 1.`;
  if (c.server.enabled && c.server.eventBufferSize < 0) return `Invalid event_buffer_size ${c.server.eventBufferSize}: must be 0 (the default of 100) or more.`;
  const search = c.server.search;
  for (const [name, value] of [['limit_query', search.limitQuery], ['limit_results', search.limitResults], ['min_term_length', search.minTermLength]] as const) {
    if (c.server.enabled && value < 1) return `Invalid search ${name} ${value}: must be at least 1.`;
  }
  if (c.client.enabled) {
    const clientJoin = checkClientJoin(c);
    if (clientJoin) return clientJoin;
  }
  for (const [name, port] of Object.entries(c.ports)) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) return `Invalid ${name} port ${port}: must be between 0 and 65535.`;
  }
  if (c.telemetry.inMemoryCollectionIntervalMs > c.telemetry.inMemoryRetentionPeriodMs) return 'telemetry in-memory collection interval cannot be greater than retention period';
  for (const [name, hv] of Object.entries(c.client.enabled ? c.client.hostVolumes : {})) {
    if (!hv.path) return `client.host_volume "${name}": missing "path"`;
    if (!isAbsolute(hv.path)) return `client.host_volume "${name}": path "${hv.path}" must be absolute`;
    if (!existsSync(hv.path)) return `client.host_volume "${name}": path "${hv.path}" does not exist`;
  }
  if (c.client.minDynamicPort > c.client.maxDynamicPort) return `client.min_dynamic_port (${c.client.minDynamicPort}) must not exceed max_dynamic_port (${c.client.maxDynamicPort}).`;
  return null;
}
