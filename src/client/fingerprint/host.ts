// kernel.name, kernel.version, os.name, os.version (from /etc/os-release), os.signals,
// unique.hostname: facts about the host that constraints commonly test.
import { hostname, platform, release } from 'node:os';
import { signalNames } from '../../drivers/signals.js';
import type { FingerprintContext, FingerprintResult } from './types.js';

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

export async function fingerprintKernel(): Promise<FingerprintResult> {
  return { attributes: { 'kernel.name': platform(), 'kernel.version': release() } };
}

export async function fingerprintOs(ctx: FingerprintContext): Promise<FingerprintResult> {
  const text = await ctx.readText('/etc/os-release');
  const rel = text ? parseOsRelease(text) : {};
  const attributes: Record<string, string> = { 'os.signals': signalNames().join(',') };
  if (rel['ID']) attributes['os.name'] = rel['ID'];
  if (rel['VERSION_ID']) attributes['os.version'] = rel['VERSION_ID'];
  return { attributes };
}

export async function fingerprintHost(): Promise<FingerprintResult> {
  return { attributes: { 'unique.hostname': hostname() } };
}
