// `nomad node status`: the node list, or one node with its resources, usage and allocations.
import type { Allocation, Node, NodeListStub } from '../../structs/index.js';
import type { HostStats, NomadClient } from '../../api/index.js';
import type { Io } from '../context.js';
import { argsError, defineCommand, errText } from '../base.js';
import { BYTES_PER_MIB, FULL_ID_LENGTH, SHORT_ID_LENGTH, formatKV, formatList, formatSecondsDuration, formatTime, humanizeBytes, limit, parseRfc3339Ms } from '../format.js';
import { formatAllocList, sortAllocsNewestFirst } from '../views.js';
import { sanitizeUuidPrefix } from './alloc-status.js';

export function formatNodeList(nodes: NodeListStub[], verbose: boolean, idLength: number): string {
  const rows = [verbose ? 'ID|DC|Name|Class|Address|Version|Drain|Eligibility|Status' : 'ID|DC|Name|Class|Drain|Eligibility|Status'];
  for (const n of nodes) {
    const cls = n.NodeClass || '<none>';
    rows.push(
      verbose
        ? `${limit(n.ID, idLength)}|${n.Datacenter}|${n.Name}|${cls}|${n.Address}|${n.Version}|${n.Drain}|${n.SchedulingEligibility}|${n.Status}`
        : `${limit(n.ID, idLength)}|${n.Datacenter}|${n.Name}|${cls}|${n.Drain}|${n.SchedulingEligibility}|${n.Status}`,
    );
  }
  return formatList(rows);
}

export const nodeStatusCommand = defineCommand({
  name: 'node status',
  synopsis: 'Display status information about nodes',
  help: `Usage: nomad node status [options] <node>

  Lists the client nodes, or shows one node (by ID or unique ID prefix): its
  state, events, allocated and used resources, and allocations.

Node Status Options:

  -self
    Show the node run by the agent being queried.

  -short
    Show only the node's basic information.

  -verbose
    Show full IDs, addresses and versions.

  -json
    Print the node (or the list) as JSON.
`,
  api: true,
  flags: (fs) => fs.bool('self').bool('short').bool('verbose').bool('json').bool('stats').bool('allocs').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length > 1) return argsError(io, 'node status', 'This command takes either one or no arguments');
    const verbose = flags.bool('verbose');
    const idLength = verbose ? FULL_ID_LENGTH : SHORT_ID_LENGTH;
    const api = client();
    if (args.length === 0 && !flags.bool('self')) {
      let nodes: NodeListStub[];
      try {
        nodes = (await api.nodes.list()).body ?? [];
      } catch (err) {
        io.err(`Error querying node status: ${errText(err)}`);
        return 1;
      }
      if (flags.bool('json')) {
        io.out(JSON.stringify(nodes, null, 4));
        return 0;
      }
      if (nodes.length === 0) return 0;
      io.out(formatNodeList(nodes, verbose, idLength));
      return 0;
    }
    let nodeId: string;
    if (flags.bool('self')) {
      try {
        nodeId = await api.nodes.selfId();
      } catch (err) {
        io.err(`Error determining local node: ${errText(err)}`);
        return 1;
      }
    } else {
      const given = args[0]!;
      if (given.length === 1) {
        io.err('Identifier must contain at least two characters.');
        return 1;
      }
      let nodes: NodeListStub[];
      try {
        nodes = (await api.nodes.list({ prefix: sanitizeUuidPrefix(given) })).body ?? [];
      } catch (err) {
        io.err(`Error querying node info: ${errText(err)}`);
        return 1;
      }
      if (nodes.length === 0) {
        io.err(`No node(s) with prefix "${given}" found`);
        return 1;
      }
      if (nodes.length > 1) {
        io.err(`Prefix matched multiple nodes\n\n${formatNodeList(nodes, verbose, idLength)}`);
        return 1;
      }
      nodeId = nodes[0]!.ID;
    }
    let node: Node;
    try {
      node = (await api.nodes.info(nodeId)).body;
    } catch (err) {
      io.err(`Error querying node info: ${errText(err)}`);
      return 1;
    }
    if (flags.bool('json')) {
      io.out(JSON.stringify(node, null, 4));
      return 0;
    }
    return showNode(api, io, node, verbose, idLength, flags.bool('short'));
  },
});

function driverStatus(node: Node): string {
  const out: string[] = [];
  for (const [name, d] of Object.entries(node.Drivers ?? {})) {
    if (!d.Detected) continue;
    out.push(d.Healthy ? name : `${name} (unhealthy)`);
  }
  return out.sort().join(',');
}

/** -verbose: every driver the node fingerprinted, detected or not, with its health. */
function formatDriverTable(node: Node): string {
  const rows = ['Driver|Detected|Healthy|Message|Time'];
  for (const name of Object.keys(node.Drivers ?? {}).sort()) {
    const d = node.Drivers[name]!;
    const t = parseRfc3339Ms(d.UpdateTime);
    rows.push(`${name}|${d.Detected}|${d.Healthy}|${d.HealthDescription}|${Number.isNaN(t) ? '' : formatTime(t)}`);
  }
  return formatList(rows);
}

function nodeTotals(node: Node): { cpu: number; memMiB: number; diskMiB: number } {
  const nr = node.NodeResources;
  const rr = node.ReservedResources;
  if (nr) {
    return {
      cpu: nr.Cpu.CpuShares - (rr?.Cpu.CpuShares ?? 0),
      memMiB: nr.Memory.MemoryMB - (rr?.Memory.MemoryMB ?? 0),
      diskMiB: nr.Disk.DiskMB - (rr?.Disk.DiskMB ?? 0),
    };
  }
  return {
    cpu: (node.Resources?.CPU ?? 0) - (node.Reserved?.CPU ?? 0),
    memMiB: (node.Resources?.MemoryMB ?? 0) - (node.Reserved?.MemoryMB ?? 0),
    diskMiB: (node.Resources?.DiskMB ?? 0) - (node.Reserved?.DiskMB ?? 0),
  };
}

async function showNode(api: NomadClient, io: Io, node: Node, verbose: boolean, idLength: number, short: boolean): Promise<number> {
  let host: HostStats | null = null;
  let hostErr: unknown = null;
  if (!short) {
    try {
      host = (await api.nodes.hostStats(node.ID)).body;
    } catch (err) {
      hostErr = err;
    }
  }
  const hostVolumes = Object.keys(node.HostVolumes ?? {}).sort().join(',');
  const basic = [
    `ID|${node.ID}`,
    `Name|${node.Name}`,
    `Class|${node.NodeClass || '<none>'}`,
    `DC|${node.Datacenter}`,
    `Drain|${node.Drain}`,
    `Eligibility|${node.SchedulingEligibility}`,
    `Status|${node.Status}`,
    `CSI Controllers|<none>`,
    `CSI Drivers|<none>`,
  ];
  if (host) basic.push(`Uptime|${formatSecondsDuration(host.Uptime)}`);
  basic.push(`Host Volumes|${hostVolumes || '<none>'}`, `CSI Volumes|<none>`, `Driver Status|${driverStatus(node)}`);
  io.out(formatKV(basic));
  if (short) return 0;
  if (hostErr) {
    io.out('');
    io.err(`error fetching node stats: ${errText(hostErr)}`);
  }

  if (verbose) io.out(`\nDrivers\n${formatDriverTable(node)}`);

  const events = node.Events ?? [];
  const evRows = ['Time|Subsystem|Message'];
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    const t = parseRfc3339Ms(e.Timestamp);
    evRows.push(`${Number.isNaN(t) ? '' : formatTime(t)}|${e.Subsystem}|${e.Message}`);
  }
  io.out(`\nNode Events\n${formatList(evRows)}`);

  let allocs: Allocation[];
  try {
    allocs = (await api.nodes.allocations(node.ID)).body ?? [];
  } catch (err) {
    io.err(`Error querying node allocations: ${errText(err)}`);
    return 1;
  }
  const running = allocs.filter((a) => a.ClientStatus === 'running');
  const total = nodeTotals(node);
  let cpu = 0;
  let memMiB = 0;
  let diskMiB = 0;
  for (const a of running) {
    cpu += a.Resources?.CPU ?? 0;
    memMiB += a.Resources?.MemoryMB ?? 0;
    diskMiB += a.Resources?.DiskMB ?? 0;
  }
  io.out(
    `\nAllocated Resources\n${formatList([
      'CPU|Memory|Disk',
      `${cpu}/${total.cpu} MHz|${humanizeBytes(memMiB * BYTES_PER_MIB)}/${humanizeBytes(total.memMiB * BYTES_PER_MIB)}|${humanizeBytes(diskMiB * BYTES_PER_MIB)}/${humanizeBytes(total.diskMiB * BYTES_PER_MIB)}`,
    ])}`,
  );

  try {
    let usedTicks = 0;
    let usedBytes = 0;
    for (const a of running) {
      const s = (await api.allocations.stats(a.ID)).body;
      usedTicks += s.ResourceUsage.CpuStats.TotalTicks;
      usedBytes += s.ResourceUsage.MemoryStats.RSS;
    }
    io.out(
      `\nAllocation Resource Utilization\n${formatList([
        'CPU|Memory',
        `${Math.floor(usedTicks)}/${total.cpu} MHz|${humanizeBytes(usedBytes)}/${humanizeBytes(total.memMiB * BYTES_PER_MIB)}`,
      ])}`,
    );
  } catch {
    // Usage of one allocation could not be read: Nomad leaves the section out.
  }

  if (host) {
    const volume = node.Attributes?.['unique.storage.volume'] ?? '';
    const disk = (host.DiskStats ?? []).find((d) => d.Device === volume);
    const cpuText = `${Math.floor(host.CPUTicksConsumed)}/${node.Resources?.CPU ?? total.cpu} MHz`;
    const memText = `${humanizeBytes(host.Memory?.Used ?? 0)}/${humanizeBytes(host.Memory?.Total ?? 0)}`;
    const diskText = disk ? `${humanizeBytes(disk.Used)}/${humanizeBytes(disk.Size)}` : `(${volume})`;
    io.out(`\nHost Resource Utilization\n${formatList(['CPU|Memory|Disk', `${cpuText}|${memText}|${diskText}`])}`);
  }

  io.out(`\nAllocations\n${formatAllocList(sortAllocsNewestFirst(allocs), verbose, idLength, io.nowMs())}`);
  if (verbose) {
    const attrs = Object.keys(node.Attributes ?? {}).sort().map((k) => `${k}|${node.Attributes[k]}`);
    io.out(`\nAttributes\n${formatKV(attrs)}`);
    const meta = Object.keys(node.Meta ?? {}).sort().map((k) => `${k}|${node.Meta![k]}`);
    if (meta.length > 0) io.out(`\nMeta\n${formatKV(meta)}`);
  }
  return 0;
}
