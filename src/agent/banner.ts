// The lines the agent prints before its log starts, in the layout Nomad users know.
import type { AgentConfig } from './config.js';
import { NOMAD_VERSION } from '../version.js';
import type { ResolvedAddresses } from './addresses.js';

const KEY_WIDTH = 22;

export function configurationBlock(c: AgentConfig, addrs: ResolvedAddresses): string {
  const row = (k: string, v: string) => `${k.padStart(KEY_WIDTH)}: ${v}`;
  const hp = (a: { http: string; rpc: string; serf: string }) => `HTTP: ${a.http}; RPC: ${a.rpc}; Serf: ${a.serf}`;
  return [
    '==> Nomad agent configuration:',
    '',
    row('Advertise Addrs', hp(addrs.advertise)),
    row('Bind Addrs', hp(addrs.bind)),
    row('Client', String(c.client.enabled)),
    row('Log Level', c.logLevel),
    row('Region', `${c.region} (DC: ${c.datacenter})`),
    row('Server', String(c.server.enabled)),
    row('Version', NOMAD_VERSION),
    '',
    '==> Nomad agent started! Log data will stream in below:',
    '',
  ].join('\n');
}
