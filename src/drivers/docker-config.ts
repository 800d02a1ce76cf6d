// The docker task config (Nomad's field names) checked and turned into the Engine API's
// container-create body. Pure: no engine calls, so every mapping is unit-tested.
import { isAbsolute, join } from 'node:path';
import type { TaskConfig } from './driver.js';

const MIB = 1024 * 1024;
const DEFAULT_CFS_PERIOD_US = 100_000;
/** The kernel's smallest CFS quota. */
const MIN_CFS_QUOTA_US = 1_000;

const KNOWN_FIELDS = new Set([
  'image', 'load', 'force_pull', 'command', 'args', 'entrypoint', 'ports', 'port_map', 'network_mode', 'volumes', 'mounts',
  'labels', 'auth', 'privileged', 'memory_hard_limit', 'cpu_hard_limit', 'cpu_cfs_period', 'work_dir', 'hostname', 'pids_limit',
]);

export interface DockerSettings {
  allowPrivileged: boolean;
  volumesEnabled: boolean;
  cpuMhzPerCore: number;
}

export interface RegistryAuth {
  username?: string;
  password?: string;
  email?: string;
  serveraddress?: string;
}

export interface DockerTaskPlan {
  image: string;
  /** Host path of an image archive to `docker load` first. */
  loadPath: string | null;
  forcePull: boolean;
  auth: RegistryAuth | null;
  containerName: string;
  createBody: Record<string, unknown>;
}

/** HCL blocks arrive as a list of one map; attributes as a map. Either way, one map. */
function asMap(v: unknown): Record<string, unknown> | null {
  if (Array.isArray(v)) return v.length > 0 ? asMap(v[0]) : null;
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : null;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}

function strings(config: Record<string, unknown>, key: string, errors: string[]): string[] {
  const v = config[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    errors.push(`config.${key}: must be a list of strings`);
    return [];
  }
  v.forEach((a, i) => typeof a !== 'string' && errors.push(`config.${key}[${i}]: must be a string`));
  return v.map(String);
}

export function validateDockerConfig(config: Record<string, unknown>): string[] {
  const errors: string[] = [];
  if (typeof config['image'] !== 'string' || config['image'].trim() === '') errors.push('config.image: a non-empty string is required');
  for (const k of ['command', 'load', 'network_mode', 'work_dir', 'hostname']) {
    if (config[k] !== undefined && config[k] !== null && typeof config[k] !== 'string') errors.push(`config.${k}: must be a string`);
  }
  for (const k of ['args', 'entrypoint', 'ports', 'volumes']) strings(config, k, errors);
  for (const k of ['force_pull', 'privileged', 'cpu_hard_limit']) {
    if (config[k] !== undefined && config[k] !== null && typeof config[k] !== 'boolean') errors.push(`config.${k}: must be a boolean`);
  }
  for (const k of ['memory_hard_limit', 'cpu_cfs_period', 'pids_limit']) {
    const v = config[k];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) errors.push(`config.${k}: must be a non-negative integer`);
  }
  asList(config['mounts']).forEach((m, i) => {
    const mm = asMap(m);
    if (!mm) return errors.push(`config.mounts[${i}]: must be a block`);
    const type = mm['type'] ?? 'volume';
    if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') errors.push(`config.mounts[${i}].type: must be "bind", "volume" or "tmpfs"`);
    if (typeof mm['target'] !== 'string' || mm['target'] === '') errors.push(`config.mounts[${i}].target: a path is required`);
  });
  for (const key of Object.keys(config)) if (!KNOWN_FIELDS.has(key)) errors.push(`config.${key}: unknown field for the docker driver`);
  return errors;
}

/** Splits "registry:5000/repo:tag" or "repo@sha256:..." into what /images/create wants. */
export function parseImageRef(image: string): { repo: string; tag: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { repo: image.slice(0, at), tag: image.slice(at + 1) };
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon > slash) return { repo: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { repo: image, tag: 'latest' };
}

/** Host paths in the interpolated config become the paths the container sees. */
export function toContainerPath(value: string, taskDir: string, allocShared: string): string {
  return value
    .split(join(taskDir, 'local')).join('/local')
    .split(join(taskDir, 'secrets')).join('/secrets')
    .split(allocShared).join('/alloc');
}

interface PortBinding {
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

/** Host ports come from the allocation (the NOMAD_HOST_PORT_* the runner sets), `to` as the container port. */
function portBindings(config: Record<string, unknown>, env: Record<string, string>, errors: string[]): PortBinding[] {
  const out: PortBinding[] = [];
  const bind = (label: string, containerPort: number | null): void => {
    const host = Number(env[`NOMAD_HOST_PORT_${label}`]);
    if (!Number.isInteger(host) || host <= 0) {
      errors.push(`Port "${label}" not found, check network block`);
      return;
    }
    out.push({ hostIp: env[`NOMAD_HOST_IP_${label}`] ?? '', hostPort: host, containerPort: containerPort ?? (Number(env[`NOMAD_PORT_${label}`]) || host) });
  };
  for (const label of strings(config, 'ports', errors)) bind(label, null);
  // Legacy port_map: every port of the task's network, mapped to the given container port (or itself).
  const portMap = asMap(config['port_map']);
  if (portMap) {
    const labels = Object.keys(env).filter((k) => k.startsWith('NOMAD_HOST_PORT_')).map((k) => k.slice('NOMAD_HOST_PORT_'.length));
    for (const label of labels) {
      if (out.some((b) => b.hostPort === Number(env[`NOMAD_HOST_PORT_${label}`]))) continue;
      const mapped = portMap[label];
      bind(label, mapped === undefined ? Number(env[`NOMAD_HOST_PORT_${label}`]) : Number(mapped));
    }
  }
  return out;
}

function hostSource(src: string, taskDir: string, s: DockerSettings, what: string, errors: string[]): string {
  if (isAbsolute(src)) {
    if (!s.volumesEnabled) errors.push(`${what}: volumes are not enabled; cannot mount host paths: "${src}"`);
    return src;
  }
  // Relative paths live in the task dir, and may not climb out of it.
  const p = join(taskDir, src);
  if (!p.startsWith(taskDir + '/') && p !== taskDir) errors.push(`${what}: "${src}" escapes the task directory`);
  return p;
}

function buildMounts(config: Record<string, unknown>, taskDir: string, s: DockerSettings, errors: string[]): Record<string, unknown>[] {
  return asList(config['mounts']).map((raw, i) => {
    const m = asMap(raw) ?? {};
    const type = String(m['type'] ?? 'volume');
    const mount: Record<string, unknown> = { Type: type, Target: String(m['target'] ?? ''), ReadOnly: m['readonly'] === true };
    const source = typeof m['source'] === 'string' ? m['source'] : '';
    if (type === 'bind') {
      mount['Source'] = hostSource(source, taskDir, s, `config.mounts[${i}].source`, errors);
      const bo = asMap(m['bind_options']);
      if (bo?.['propagation']) mount['BindOptions'] = { Propagation: String(bo['propagation']) };
    } else if (type === 'volume') {
      if (source) mount['Source'] = source;
      const vo = asMap(m['volume_options']);
      if (vo) {
        const dc = asMap(vo['driver_config']);
        mount['VolumeOptions'] = {
          NoCopy: vo['no_copy'] === true,
          Labels: asMap(vo['labels']) ?? undefined,
          DriverConfig: dc ? { Name: String(dc['name'] ?? ''), Options: asMap(dc['options']) ?? undefined } : undefined,
        };
      }
    } else {
      const to = asMap(m['tmpfs_options']);
      if (to) mount['TmpfsOptions'] = { SizeBytes: Number(to['size'] ?? 0) || undefined, Mode: Number(to['mode'] ?? 0) || undefined };
    }
    return mount;
  });
}

/** Builds everything startTask needs, or the list of problems. */
export function planDockerTask(cfg: TaskConfig, s: DockerSettings): { plan: DockerTaskPlan | null; errors: string[] } {
  const c = cfg.config;
  const errors = validateDockerConfig(c);
  if (errors.length > 0) return { plan: null, errors };
  const allocShared = join(cfg.allocDir, 'alloc');
  const fix = (v: string): string => toContainerPath(v, cfg.taskDir, allocShared);
  const env: Record<string, string> = { ...cfg.env, NOMAD_ALLOC_DIR: '/alloc', NOMAD_TASK_DIR: '/local', NOMAD_SECRETS_DIR: '/secrets' };
  for (const [k, v] of Object.entries(env)) env[k] = fix(v);

  const privileged = c['privileged'] === true;
  if (privileged && !s.allowPrivileged) errors.push('config.privileged: Docker privileged mode is disabled on this Nomad agent');

  const binds = [`${allocShared}:/alloc`, `${join(cfg.taskDir, 'local')}:/local`, `${join(cfg.taskDir, 'secrets')}:/secrets`];
  strings(c, 'volumes', errors).forEach((v, i) => {
    const parts = v.split(':');
    if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) return errors.push(`config.volumes[${i}]: "${v}" is not of the form host:container[:mode]`);
    const src = hostSource(parts[0], cfg.taskDir, s, `config.volumes[${i}]`, errors);
    binds.push([src, ...parts.slice(1)].join(':'));
  });
  // Host volumes the client resolved for the task's volume_mount blocks.
  for (const m of cfg.mounts ?? []) binds.push(`${m.hostPath}:${m.destination}${m.readOnly ? ':ro' : ''}`);
  const mounts = buildMounts(c, cfg.taskDir, s, errors);

  const networkMode = typeof c['network_mode'] === 'string' && c['network_mode'] !== '' ? c['network_mode'] : undefined;
  const ports = networkMode === 'host' ? [] : portBindings(c, cfg.env, errors);
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of ports) {
    // As Nomad: each mapped port is published for both TCP and UDP.
    for (const proto of ['tcp', 'udp']) {
      const key = `${p.containerPort}/${proto}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
    }
  }

  const r = cfg.resources;
  const hard = typeof c['memory_hard_limit'] === 'number' && c['memory_hard_limit'] > 0 ? c['memory_hard_limit'] : r.memoryMaxMB > r.memoryMB ? r.memoryMaxMB : 0;
  const memoryBytes = (hard > 0 ? hard : r.memoryMB) * MIB;
  const hostConfig: Record<string, unknown> = {
    Binds: binds,
    Mounts: mounts.length > 0 ? mounts : undefined,
    PortBindings: Object.keys(bindings).length > 0 ? bindings : undefined,
    NetworkMode: networkMode,
    Privileged: privileged,
    Memory: memoryBytes > 0 ? memoryBytes : undefined,
    // No swap: above its limit a task is OOM-killed, as with exec.
    MemorySwap: memoryBytes > 0 ? memoryBytes : undefined,
    MemoryReservation: hard > 0 && r.memoryMB > 0 ? r.memoryMB * MIB : undefined,
    CpuShares: r.cpuShares > 0 ? Math.max(2, r.cpuShares) : undefined,
    CpusetCpus: r.reservedCores && r.reservedCores.length > 0 ? r.reservedCores.join(',') : undefined,
    PidsLimit: typeof c['pids_limit'] === 'number' && c['pids_limit'] > 0 ? c['pids_limit'] : undefined,
  };
  if (c['cpu_hard_limit'] === true) {
    const period = typeof c['cpu_cfs_period'] === 'number' && c['cpu_cfs_period'] > 0 ? c['cpu_cfs_period'] : DEFAULT_CFS_PERIOD_US;
    // The task's MHz as a share of one core's, times the period: cpu = one core's MHz gets one core.
    hostConfig['CpuPeriod'] = period;
    hostConfig['CpuQuota'] = Math.max(MIN_CFS_QUOTA_US, Math.round((r.cpuShares / Math.max(1, s.cpuMhzPerCore)) * period));
  }

  const command = typeof c['command'] === 'string' && c['command'] !== '' ? fix(c['command']) : null;
  const args = strings(c, 'args', errors).map(fix);
  const entrypoint = strings(c, 'entrypoint', errors).map(fix);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(asMap(c['labels']) ?? {})) labels[k] = String(v);
  labels['com.hashicorp.nomad.alloc_id'] = cfg.allocId;
  labels['com.hashicorp.nomad.task_name'] = cfg.taskName;
  labels['com.hashicorp.nomad.job_name'] = cfg.jobName;
  labels['com.hashicorp.nomad.task_group_name'] = cfg.taskGroupName;

  const auth = asMap(c['auth']);
  const load = typeof c['load'] === 'string' && c['load'] !== '' ? c['load'] : null;
  if (errors.length > 0) return { plan: null, errors };
  return {
    errors,
    plan: {
      image: String(c['image']),
      // As Nomad: the archive is looked up in the task's local dir, where artifacts land.
      loadPath: load === null ? null : isAbsolute(load) ? load : join(cfg.taskDir, 'local', load),
      forcePull: c['force_pull'] === true,
      auth: auth
        ? { username: optStr(auth['username']), password: optStr(auth['password']), email: optStr(auth['email']), serveraddress: optStr(auth['server_address']) }
        : null,
      containerName: `${cfg.taskName}-${cfg.allocId}`,
      createBody: {
        Image: String(c['image']),
        Cmd: command !== null ? [command, ...args] : args.length > 0 ? args : undefined,
        Entrypoint: entrypoint.length > 0 ? entrypoint : undefined,
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        Labels: labels,
        WorkingDir: typeof c['work_dir'] === 'string' && c['work_dir'] !== '' ? c['work_dir'] : undefined,
        Hostname: typeof c['hostname'] === 'string' && c['hostname'] !== '' ? c['hostname'] : undefined,
        ExposedPorts: Object.keys(exposed).length > 0 ? exposed : undefined,
        HostConfig: hostConfig,
      },
    },
  };
}

function optStr(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
