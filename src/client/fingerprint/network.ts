// The client's network: the bind interface's addresses as NodeResources.Networks (one per
// address, as Nomad lists them) and NodeNetworks, and unique.network.ip-address.
import { networkInterfaces } from 'node:os';
import type { NetworkResource } from '../../structs/job.js';
import type { NodeAddress } from '../../structs/node.js';
import type { FingerprintContext, FingerprintResult } from './types.js';

const ZERO_MAC = '00:00:00:00:00:00';

/** Finds the interface by name, or the one holding the bind address. */
function pickInterface(ctx: FingerprintContext): { name: string; addrs: NonNullable<ReturnType<typeof networkInterfaces>[string]> } | null {
  const all = networkInterfaces();
  if (ctx.networkInterface && all[ctx.networkInterface]) return { name: ctx.networkInterface, addrs: all[ctx.networkInterface]! };
  for (const [name, addrs] of Object.entries(all)) {
    if (addrs?.some((a) => a.address === ctx.bindAddress)) return { name, addrs };
  }
  // Default: the first non-internal interface with an IPv4 address.
  for (const [name, addrs] of Object.entries(all)) {
    if (addrs?.some((a) => !a.internal && a.family === 'IPv4')) return { name, addrs };
  }
  return null;
}

export async function fingerprintNetwork(ctx: FingerprintContext): Promise<FingerprintResult> {
  const picked = pickInterface(ctx);
  if (!picked) return { attributes: {}, networks: [], nodeNetworks: [] };
  const speed = ctx.networkSpeedMbits > 0 ? ctx.networkSpeedMbits : 1000;
  const networks: NetworkResource[] = [];
  const addresses: NodeAddress[] = [];
  let mac = '';
  for (const a of picked.addrs) {
    if (a.family === 'IPv6' && a.scopeid && a.address.startsWith('fe80')) continue; // link-local: not schedulable
    mac = a.mac && a.mac !== ZERO_MAC ? a.mac : mac;
    // Nomad lists each address as a host-sized CIDR.
    const hostBits = a.family === 'IPv4' ? '32' : '128';
    networks.push({ Mode: 'host', Device: picked.name, CIDR: `${a.address}/${hostBits}`, IP: a.address, MBits: speed, DNS: null, ReservedPorts: null, DynamicPorts: null });
    addresses.push({ Family: a.family === 'IPv4' ? 'ipv4' : 'ipv6', Alias: 'default', Address: a.address, ReservedPorts: '', Gateway: '' });
  }
  const ipv4 = picked.addrs.find((a) => a.family === 'IPv4')?.address ?? networks[0]?.IP ?? '';
  const attributes: Record<string, string> = {};
  if (ipv4) attributes['unique.network.ip-address'] = ipv4;
  return {
    attributes,
    networks,
    nodeNetworks: [{ Mode: 'host', Device: picked.name, MacAddress: mac, Speed: speed, Addresses: addresses }],
  };
}
