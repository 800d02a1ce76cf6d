// network blocks: the ports a group or task needs. A port with `static` is reserved at that
// number; any other port is dynamic (chosen at placement).

import type { DNSConfig, NetworkResource, Port, DeepPartial } from '../structs/job.js';
import { defined, type BlockReader } from './block-reader.js';


export function decodeNetwork(r: BlockReader): DeepPartial<NetworkResource> {
  const reserved: DeepPartial<Port>[] = [];
  const dynamic: DeepPartial<Port>[] = [];
  r.labeledBlocks('port', (label, p) => {
    const value = p.int('static');
    const port: DeepPartial<Port> = defined({ Label: label, Value: value, To: p.int('to'), HostNetwork: p.string('host_network') });
    (value !== undefined ? reserved : dynamic).push(port);
    return port;
  });
  const dns = r.block('dns', (d): DeepPartial<DNSConfig> => defined({ Servers: d.stringList('servers'), Searches: d.stringList('searches'), Options: d.stringList('options') }));
  return defined({
    Mode: r.string('mode'),
    Device: r.string('device'),
    CIDR: r.string('cidr'),
    IP: r.string('ip'),
    MBits: r.int('mbits'),
    DNS: dns as DNSConfig | undefined,
    ReservedPorts: reserved.length > 0 ? (reserved as Port[]) : undefined,
    DynamicPorts: dynamic.length > 0 ? (dynamic as Port[]) : undefined,
  });
}
