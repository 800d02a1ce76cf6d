// exec: runs a command isolated with the kernel's own tools (namespaces, chroot, cgroups), as
// Nomad's exec driver does. All of the isolation is in isolation/isolated-driver.ts; this file
// is the exec task config and fingerprint.
import type { DriverFingerprint, TaskConfig } from './driver.js';
import { DEFAULT_PIDS_LIMIT, IsolatedDriver, isolationSettings, type IsolatedCommand } from './isolation/isolated-driver.js';

const EXEC_FIELDS = new Set(['command', 'args', 'pid_mode', 'ipc_mode', 'pids_limit']);

/** Checks the fields every isolated task shares (modes, pids limit); used by exec and java. */
export function validateIsolationFields(config: Record<string, unknown>, errors: string[]): void {
  for (const key of ['pid_mode', 'ipc_mode']) {
    const v = config[key];
    if (v !== undefined && v !== null && v !== '' && v !== 'private' && v !== 'host') errors.push(`config.${key}: must be "private" or "host"`);
  }
  const pl = config['pids_limit'];
  if (pl !== undefined && pl !== null && (typeof pl !== 'number' || !Number.isInteger(pl) || pl < 0)) errors.push('config.pids_limit: must be a non-negative integer');
}

export function validateStringList(config: Record<string, unknown>, key: string, errors: string[]): void {
  const v = config[key];
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) errors.push(`config.${key}: must be a list of strings`);
  else v.forEach((a, i) => typeof a !== 'string' && errors.push(`config.${key}[${i}]: must be a string`));
}

/** The namespace modes and pids limit of a task, falling back to the plugin's defaults. */
export function isolationOptions(cfg: TaskConfig, settings: ReturnType<typeof isolationSettings>): Omit<IsolatedCommand, 'command' | 'args'> {
  const mode = (v: unknown, dflt: 'private' | 'host'): 'private' | 'host' => (v === 'host' ? 'host' : v === 'private' ? 'private' : dflt);
  const pl = cfg.config['pids_limit'];
  return {
    pidMode: mode(cfg.config['pid_mode'], settings.defaultPidMode),
    ipcMode: mode(cfg.config['ipc_mode'], settings.defaultIpcMode),
    // 0 means no limit, as in Nomad's docker driver.
    pidsLimit: typeof pl === 'number' ? (pl === 0 ? null : pl) : DEFAULT_PIDS_LIMIT,
  };
}

export class ExecDriver extends IsolatedDriver {
  readonly name = 'exec';

  async fingerprint(): Promise<DriverFingerprint> {
    const sup = await this.support();
    if (!sup.ok) return { Detected: false, Healthy: false, HealthDescription: sup.reason, Attributes: {} };
    return { Detected: true, Healthy: true, HealthDescription: 'Healthy', Attributes: { 'driver.exec': '1' } };
  }

  validateConfig(config: Record<string, unknown>): string[] {
    const errors: string[] = [];
    const command = config['command'];
    if (typeof command !== 'string' || command.trim() === '') errors.push('config.command: a non-empty string is required');
    validateStringList(config, 'args', errors);
    validateIsolationFields(config, errors);
    for (const key of Object.keys(config)) if (!EXEC_FIELDS.has(key)) errors.push(`config.${key}: unknown field for the exec driver`);
    return errors;
  }

  protected buildCommand(cfg: TaskConfig): IsolatedCommand {
    const args = ((cfg.config['args'] as string[] | undefined) ?? []).map(String);
    return { command: String(cfg.config['command']), args, ...isolationOptions(cfg, isolationSettings(this.ctx, this.name)) };
  }
}
