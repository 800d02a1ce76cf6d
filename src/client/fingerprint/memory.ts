// memory.totalbytes from /proc/meminfo (os.totalmem as a fallback off Linux).
import { totalmem } from 'node:os';
import type { FingerprintContext, FingerprintResult } from './types.js';

export function parseMemTotalBytes(meminfo: string): number | null {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : null;
}

export async function fingerprintMemory(ctx: FingerprintContext): Promise<FingerprintResult> {
  const text = await ctx.readText('/proc/meminfo');
  const bytes = (text ? parseMemTotalBytes(text) : null) ?? totalmem();
  return { attributes: { 'memory.totalbytes': String(bytes) }, memoryMB: Math.floor(bytes / (1024 * 1024)) };
}
