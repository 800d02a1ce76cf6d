// java: runs a JVM (a jar, or a main class on a class path) under the same isolation as exec:
// the IsolatedDriver base gives it its own cgroups, chroot and namespaces.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DriverContext, DriverFingerprint, TaskConfig } from './driver.js';
import { isolationOptions, validateIsolationFields, validateStringList } from './exec.js';
import { IsolatedDriver, isolationSettings, type IsolatedCommand } from './isolation/isolated-driver.js';
import { probeJavaVersion, type JavaVersionInfo } from './java-version.js';

const JAVA_FIELDS = new Set(['jar_path', 'class', 'class_path', 'jvm_options', 'args', 'pid_mode', 'ipc_mode', 'pids_limit']);

export class JavaDriver extends IsolatedDriver {
  readonly name = 'java';
  private probe: Promise<void> | null = null;
  private java: { info: JavaVersionInfo | null; error: string } | null = null;

  constructor(ctx: DriverContext) {
    super(ctx);
    // A version seen by an earlier run answers the first fingerprint at once; the probe refreshes it.
    const cached = readCache(this.cacheFile());
    if (cached) this.java = { info: cached, error: '' };
  }

  private cacheFile(): string | null {
    return this.ctx.stateDir ? join(this.ctx.stateDir, 'java', 'version.json') : null;
  }

  /** Starts the `java -version` probe now, so its answer is likely in by the first fingerprint. */
  startProbe(): Promise<void> {
    if (!this.probe) {
      this.probe = probeJavaVersion().then((r) => {
        const changed = JSON.stringify(r.info) !== JSON.stringify(this.java?.info ?? null);
        this.java = r;
        writeCache(this.cacheFile(), r.info);
        if (changed) this.ctx.onFingerprintChange?.(this.name);
      });
    }
    return this.probe;
  }

  /** Resolves once the version probe has finished (for tests and the benchmark). */
  async probeDone(): Promise<void> {
    await this.startProbe();
  }

  async fingerprint(): Promise<DriverFingerprint> {
    void this.startProbe();
    const sup = await this.support();
    if (!sup.ok) return { Detected: false, Healthy: false, HealthDescription: sup.reason.replace(/^exec/, 'java'), Attributes: {} };
    if (this.java === null) return { Detected: false, Healthy: false, HealthDescription: 'Java version probe in progress', Attributes: {} };
    const { info, error } = this.java;
    if (!info) return { Detected: false, Healthy: false, HealthDescription: error, Attributes: {} };
    return {
      Detected: true,
      Healthy: true,
      HealthDescription: 'Healthy',
      Attributes: { 'driver.java': '1', 'driver.java.version': info.version, 'driver.java.runtime': info.runtime, 'driver.java.vm': info.vm },
    };
  }

  validateConfig(config: Record<string, unknown>): string[] {
    const errors: string[] = [];
    const jar = config['jar_path'];
    const cls = config['class'];
    const present = (v: unknown): boolean => typeof v === 'string' && v.trim() !== '';
    if (!present(jar) && !present(cls)) errors.push('config: jar_path or class must be specified');
    for (const key of ['jar_path', 'class', 'class_path']) {
      const v = config[key];
      if (v !== undefined && v !== null && typeof v !== 'string') errors.push(`config.${key}: must be a string`);
    }
    validateStringList(config, 'jvm_options', errors);
    validateStringList(config, 'args', errors);
    validateIsolationFields(config, errors);
    for (const key of Object.keys(config)) if (!JAVA_FIELDS.has(key)) errors.push(`config.${key}: unknown field for the java driver`);
    return errors;
  }

  protected buildCommand(cfg: TaskConfig): IsolatedCommand {
    const c = cfg.config;
    const list = (k: string): string[] => ((c[k] as string[] | undefined) ?? []).map(String);
    const args = [...list('jvm_options')];
    if (typeof c['class_path'] === 'string' && c['class_path'] !== '') args.push('-cp', c['class_path']);
    // As Nomad: a jar runs with -jar; otherwise the main class names what to run.
    if (typeof c['jar_path'] === 'string' && c['jar_path'] !== '') args.push('-jar', c['jar_path']);
    else args.push(String(c['class']));
    args.push(...list('args'));
    return { command: 'java', args, ...isolationOptions(cfg, isolationSettings(this.ctx, this.name)) };
  }
}

function readCache(file: string | null): JavaVersionInfo | null {
  if (!file) return null;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as JavaVersionInfo;
    return typeof v.version === 'string' ? v : null;
  } catch {
    return null;
  }
}

function writeCache(file: string | null, info: JavaVersionInfo | null): void {
  if (!file || !info) return;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(info));
  } catch {
    // The cache only saves time at the next start; losing it is harmless.
  }
}
