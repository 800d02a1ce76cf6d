// memory.totalbytes from /proc/meminfo (os.totalmem as a fallback off Linux).
import { totalmem } from 'node:os';
import type { FingerprintContext, FingerprintResult } from './types.js';

export function parseMemTotalBytes(meminfo: string): number | null {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : null;
}

export async function fingerprintMemory(ctx: FingerprintContext): Promise<FingerprintResult> {
  const configuredMB = ctx.memoryTotalMB ?? 0;
  // An operator's figure wins over the host's, as with Nomad's memory_total_mb.
  const bytes = configuredMB > 0 ? configuredMB * 1024 * 1024 : await hostMemoryBytes(ctx);
  return { attributes: { 'memory.totalbytes': String(bytes) }, memoryMB: Math.floor(bytes / (1024 * 1024)) };
}

async function hostMemoryBytes(ctx: FingerprintContext): Promise<number> {
  const text = await ctx.readText('/proc/meminfo');
  return (text ? parseMemTotalBytes(text) : null) ?? totalmem();
}
