// The environment a task sees: Nomad's NOMAD_* variables, node-level interpolation, the task's
// env block, and for drivers without file-system isolation the agent's own environment.
import type { Allocation } from '../structs/alloc.js';
import type { Job, Task, TaskGroup } from '../structs/job.js';
import { interpolateString, type InterpolationNode } from './interpolate.js';

/** Never handed to tasks: credentials of the agent itself (Nomad's default env.denylist). */
export const DEFAULT_ENV_DENYLIST = [
  'CONSUL_TOKEN',
  'CONSUL_HTTP_TOKEN',
  'VAULT_TOKEN',
  'NOMAD_LICENSE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'GOOGLE_APPLICATION_CREDENTIALS',
];

export interface TaskEnvInput {
  alloc: Allocation;
  job: Job;
  group: TaskGroup;
  task: Task;
  node: InterpolationNode | null;
  region: string;
  /** Host paths of the alloc dir pieces, as the task sees them (no chroot for raw_exec). */
  allocDirShared: string;
  taskLocalDir: string;
  taskSecretsDir: string;
  /** The agent's environment, included for drivers without file-system isolation. */
  hostEnv: Record<string, string | undefined> | null;
  envDenylist?: string[];
}

/** "example.cache[3]" -> "3". */
export function allocIndex(allocName: string): string {
  const m = /\[(\d+)\]$/.exec(allocName);
  return m ? m[1]! : '0';
}

export function buildTaskEnv(input: TaskEnvInput): Record<string, string> {
  const { alloc, job, group, task } = input;
  const env: Record<string, string> = {};
  if (input.hostEnv) {
    const deny = new Set(input.envDenylist ?? DEFAULT_ENV_DENYLIST);
    for (const [k, v] of Object.entries(input.hostEnv)) if (v !== undefined && !deny.has(k)) env[k] = v;
  }
  env['NOMAD_ALLOC_DIR'] = input.allocDirShared;
  env['NOMAD_TASK_DIR'] = input.taskLocalDir;
  env['NOMAD_SECRETS_DIR'] = input.taskSecretsDir;
  env['NOMAD_ALLOC_ID'] = alloc.ID;
  env['NOMAD_ALLOC_NAME'] = alloc.Name;
  env['NOMAD_ALLOC_INDEX'] = allocIndex(alloc.Name);
  env['NOMAD_TASK_NAME'] = task.Name;
  env['NOMAD_GROUP_NAME'] = group.Name;
  env['NOMAD_JOB_ID'] = job.ID;
  env['NOMAD_JOB_NAME'] = job.Name;
  env['NOMAD_JOB_PARENT_ID'] = job.ParentID ?? '';
  env['NOMAD_NAMESPACE'] = alloc.Namespace || job.Namespace || 'default';
  env['NOMAD_REGION'] = input.region || job.Region;
  if (input.node) env['NOMAD_DC'] = input.node.Datacenter;

  const taskRes = alloc.AllocatedResources?.Tasks?.[task.Name];
  const cpu = taskRes?.Cpu.CpuShares ?? task.Resources?.CPU ?? 0;
  const mem = taskRes?.Memory.MemoryMB ?? task.Resources?.MemoryMB ?? 0;
  const memMax = taskRes?.Memory.MemoryMaxMB ?? task.Resources?.MemoryMaxMB ?? 0;
  env['NOMAD_CPU_LIMIT'] = String(cpu);
  env['NOMAD_MEMORY_LIMIT'] = String(mem);
  if (memMax > 0) env['NOMAD_MEMORY_MAX_LIMIT'] = String(memMax);

  addPorts(env, alloc, task.Name);

  const meta = { ...(job.Meta ?? {}), ...(group.Meta ?? {}), ...(task.Meta ?? {}) };
  for (const [k, v] of Object.entries(meta)) {
    env[`NOMAD_META_${k}`] = v;
    env[`NOMAD_META_${k.toUpperCase()}`] = v;
  }

  // The env block may refer to node attributes and to the NOMAD_* values above.
  const scope = { node: input.node, region: env['NOMAD_REGION']!, env: { ...env } };
  for (const [k, v] of Object.entries(task.Env ?? {})) env[k] = interpolateString(String(v), scope);
  return env;
}

function setPort(env: Record<string, string>, label: string, hostIp: string, hostPort: number, to: number): void {
  const inner = to > 0 ? to : hostPort;
  const hostAddr = hostIp.includes(':') ? `[${hostIp}]:${hostPort}` : `${hostIp}:${hostPort}`;
  env[`NOMAD_PORT_${label}`] = String(inner);
  env[`NOMAD_ALLOC_PORT_${label}`] = String(inner);
  env[`NOMAD_HOST_PORT_${label}`] = String(hostPort);
  env[`NOMAD_IP_${label}`] = hostIp;
  env[`NOMAD_ADDR_${label}`] = hostAddr;
  env[`NOMAD_HOST_IP_${label}`] = hostIp;
  env[`NOMAD_HOST_ADDR_${label}`] = hostAddr;
}

function addPorts(env: Record<string, string>, alloc: Allocation, taskName: string): void {
  const ar = alloc.AllocatedResources;
  // Group-level network (network block in the group): Shared.Ports carries the host IP.
  for (const p of ar?.Shared?.Ports ?? []) setPort(env, p.Label, p.HostIP, p.Value, p.To);
  if (!ar?.Shared?.Ports?.length) {
    for (const n of ar?.Shared?.Networks ?? []) {
      for (const p of [...(n.ReservedPorts ?? []), ...(n.DynamicPorts ?? [])]) setPort(env, p.Label, n.IP, p.Value, p.To);
    }
  }
  // Task-level networks (the older resources { network { ... } } form).
  for (const n of ar?.Tasks?.[taskName]?.Networks ?? []) {
    for (const p of [...(n.ReservedPorts ?? []), ...(n.DynamicPorts ?? [])]) setPort(env, p.Label, n.IP, p.Value, p.To);
  }
}
