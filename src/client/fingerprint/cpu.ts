// CPU: cores, model and clock from /proc/cpuinfo. Some virtual machines and ARM boards list no
// "cpu MHz"; then the cpufreq maximum in /sys, and as a last resort a stated default, so that
// the node still advertises schedulable CPU.
import { cpus } from 'node:os';
import type { FingerprintContext, FingerprintResult } from './types.js';

/** Used only when neither /proc/cpuinfo nor cpufreq reports a clock. */
export const DEFAULT_CPU_MHZ = 1000;

export function parseCpuInfo(text: string): { cores: number; modelName: string; mhz: number | null } {
  let cores = 0;
  let modelName = '';
  let mhz: number | null = null;
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const key = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (key === 'processor') cores++;
    else if (key === 'model name' && modelName === '') modelName = value;
    else if (key === 'cpu MHz' && mhz === null) {
      const n = parseFloat(value);
      if (Number.isFinite(n) && n > 0) mhz = n;
    }
  }
  return { cores, modelName, mhz };
}

export async function fingerprintCpu(ctx: FingerprintContext): Promise<FingerprintResult> {
  const [info, freqKHz] = await Promise.all([
    ctx.readText('/proc/cpuinfo'),
    ctx.readText('/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq'),
  ]);
  const parsed = info ? parseCpuInfo(info) : { cores: 0, modelName: '', mhz: null };
  const cores = parsed.cores > 0 ? parsed.cores : cpus().length || 1;
  let mhz = parsed.mhz;
  if (mhz === null && freqKHz) {
    const k = parseInt(freqKHz.trim(), 10);
    if (Number.isFinite(k) && k > 0) mhz = k / 1000;
  }
  if (mhz === null) mhz = cpus()[0]?.speed || DEFAULT_CPU_MHZ;
  const mhzPerCore = Math.floor(mhz);
  // An operator's figure wins over the host's (a VM whose clock the host misreports, a share of it).
  const configured = ctx.cpuTotalComputeMHz ?? 0;
  const totalMhz = configured > 0 ? configured : mhzPerCore * cores;
  const attributes: Record<string, string> = {
    'cpu.numcores': String(cores),
    'cpu.frequency': String(mhzPerCore),
    'cpu.totalcompute': String(totalMhz),
  };
  const model = parsed.modelName || cpus()[0]?.model || '';
  if (model) attributes['cpu.modelname'] = model;
  return { attributes, cpu: { totalMhz, cores, mhzPerCore } };
}
