// Bind and advertise addresses for HTTP, RPC and gossip, derived as Nomad does: each service
// binds to its `addresses` entry or `bind_addr`; it advertises its `advertise` entry, or the bind
// address when that is a concrete IP, or else the first private IP of the host.
import { networkInterfaces } from 'node:os';
import type { AgentConfig } from './config.js';

export interface HostPorts {
  http: string;
  rpc: string;
  serf: string;
}

export interface ResolvedAddresses {
  bindIp: { http: string; rpc: string; serf: string };
  bind: HostPorts;
  advertise: HostPorts;
}

export function resolveAddresses(c: AgentConfig): { ok: true; addrs: ResolvedAddresses } | { ok: false; error: string } {
  const bindIp = {
    http: c.addresses.http || c.bindAddr,
    rpc: c.addresses.rpc || c.bindAddr,
    serf: c.addresses.serf || c.bindAddr,
  };
  const adv: Record<keyof HostPorts, string> = { http: '', rpc: '', serf: '' };
  for (const svc of ['http', 'rpc', 'serf'] as const) {
    const port = c.ports[svc];
    const given = c.advertise[svc];
    if (given) {
      adv[svc] = given.includes(':') ? given : `${given}:${port}`;
      continue;
    }
    const ip = bindIp[svc];
    if (ip === '0.0.0.0' || ip === '::') {
      const host = firstPrivateIp();
      if (!host) return { ok: false, error: `Failed to parse advertise address for ${svc.toUpperCase()}: no private IP address found; set advertise.${svc}` };
      adv[svc] = `${host}:${port}`;
    } else adv[svc] = `${ip}:${port}`;
  }
  return {
    ok: true,
    addrs: {
      bindIp,
      bind: { http: `${bindIp.http}:${c.ports.http}`, rpc: `${bindIp.rpc}:${c.ports.rpc}`, serf: `${bindIp.serf}:${c.ports.serf}` },
      advertise: adv,
    },
  };
}

function firstPrivateIp(): string | null {
  const ifs = networkInterfaces();
  let loopback: string | null = null;
  for (const list of Object.values(ifs)) {
    for (const a of list ?? []) {
      if (a.family !== 'IPv4') continue;
      if (a.internal) loopback ??= a.address;
      else return a.address;
    }
  }
  return loopback;
}
