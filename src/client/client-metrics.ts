// The client's gauges, published every collection interval as Nomad's client does: the counts
// of its allocations by status always; with publish_node_metrics the host's CPU per core, memory,
// disk and uptime and the node's allocated and unallocated resources; with
// publish_allocation_metrics each running task's CPU and memory. Task figures come from the
// drivers, which answer every task of one round from a single pass over /proc.
import type { Allocation } from '../structs/alloc.js';
import type { Metrics } from '../structs/metrics.js';
import type { Node } from '../structs/node.js';
import type { TaskResourceUsage } from '../rpc/client-endpoints.js';
import type { AllocRunner } from './alloc-runner.js';
import { allocTaskLabels } from './alloc-metric-labels.js';
import { HostStatsCollector } from './host-stats.js';

const MIB = 1024 * 1024;
/**
 * Tasks whose figures are published in one turn of the event loop: a client with a thousand
 * tasks sets ten thousand gauges per collection, tens of milliseconds in one piece, during which
 * no request was answered.
 */
export const TASKS_PER_GAUGE_SLICE = 100;

interface TaskFigures {
  usage: TaskResourceUsage;
  allocated: NonNullable<Allocation['AllocatedResources']>['Tasks'][string] | null;
  labels: Record<string, string>;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface ClientMetricsOptions {
  publishNodeMetrics: boolean;
  publishAllocationMetrics: boolean;
}

/** What the publisher reads from the client. */
export interface ClientMetricsSource {
  node(): Node | null;
  allocRunners(): AllocRunner[];
  readonly allocRoot: string;
  cpuMhzPerCore(): number;
}

/** Memory figures a driver says it measured, by their name in Measured, and Nomad's metric for each. */
const MEMORY_MEASURED: Array<[string, keyof TaskResourceUsage['ResourceUsage']['MemoryStats'], string]> = [
  ['RSS', 'RSS', 'rss'],
  ['Cache', 'Cache', 'cache'],
  ['Swap', 'Swap', 'swap'],
  ['Usage', 'Usage', 'usage'],
  ['Max Usage', 'MaxUsage', 'max_usage'],
  ['Kernel Usage', 'KernelUsage', 'kernel_usage'],
  ['Kernel Max Usage', 'KernelMaxUsage', 'kernel_max_usage'],
];

export class ClientMetrics {
  private readonly host: HostStatsCollector;
  /**
   * One labels object per task, reused every round: the registry and sinks key series by the
   * labels object, so a task's figures cost no label work after its first round.
   */
  private taskLabels = new Map<string, Record<string, string>>();
  private nodeLabelsCache: { key: string; labels: Record<string, string> } | null = null;

  constructor(
    private readonly source: ClientMetricsSource,
    private readonly metrics: Metrics,
    private readonly opts: ClientMetricsOptions,
  ) {
    this.host = new HostStatsCollector(source.allocRoot, () => source.cpuMhzPerCore());
  }

  async emit(): Promise<void> {
    const node = this.source.node();
    if (!node) return; // not fingerprinted yet: there is no node to label the figures with
    const runners = this.source.allocRunners();
    const labels = this.labelsOfNode(node);
    this.emitAllocationCounts(runners, labels);
    const work: Array<Promise<void>> = [];
    if (this.opts.publishNodeMetrics) {
      this.emitAllocatedResources(node, runners, labels);
      work.push(this.emitHostStats(labels));
    }
    if (this.opts.publishAllocationMetrics) {
      const live = new Map<string, Record<string, string>>();
      // Every task is asked at once (the drivers answer them from one pass), then published a
      // slice per turn of the event loop.
      const figures = await Promise.all(runners.map((r) => this.taskFigures(r, live)));
      let inSlice = 0;
      for (const ofAlloc of figures) {
        for (const f of ofAlloc) {
          if (++inSlice > TASKS_PER_GAUGE_SLICE) {
            inSlice = 1;
            await nextTurn();
          }
          this.publishTask(f);
        }
      }
      await Promise.all(work);
      this.taskLabels = live; // tasks gone since the last round are forgotten
      return;
    }
    await Promise.all(work);
  }

  private labelsOfNode(node: Node): Record<string, string> {
    const key = `${node.ID}/${node.Status}/${node.SchedulingEligibility}/${node.NodeClass}/${node.Datacenter}`;
    if (this.nodeLabelsCache?.key !== key) this.nodeLabelsCache = { key, labels: nodeLabels(node) };
    return this.nodeLabelsCache.labels;
  }

  private emitAllocationCounts(runners: AllocRunner[], labels: Record<string, string>): void {
    let pending = 0;
    let running = 0;
    let terminal = 0;
    for (const r of runners) {
      const status = r.clientStatus();
      if (status === 'pending') pending++;
      else if (status === 'running') running++;
      else if (status === 'complete' || status === 'failed' || status === 'lost') terminal++;
    }
    const m = this.metrics;
    m.setGauge('client.allocations.running', running, labels);
    m.setGauge('client.allocations.pending', pending, labels);
    m.setGauge('client.allocations.terminal', terminal, labels);
    // Allocations start at once here: none waits for a previous allocation or migrates its data.
    m.setGauge('client.allocations.blocked', 0, labels);
    m.setGauge('client.allocations.migrating', 0, labels);
    // This client registers no services or checks with Consul (it has no Consul integration).
    m.setGauge('client.consul.services', 0);
    m.setGauge('client.consul.checks', 0);
  }

  private emitAllocatedResources(node: Node, runners: AllocRunner[], labels: Record<string, string>): void {
    let cpu = 0;
    let memoryMB = 0;
    let diskMB = 0;
    const networkMbits = new Map<string, number>();
    for (const r of runners) {
      const a = r.alloc;
      if (a.DesiredStatus !== 'run' || r.isFinished) continue;
      const res = allocatedOf(a);
      cpu += res.cpu;
      memoryMB += res.memoryMB;
      diskMB += res.diskMB;
      for (const [dev, mbits] of res.networkMbits) networkMbits.set(dev, (networkMbits.get(dev) ?? 0) + mbits);
    }
    const m = this.metrics;
    const total = node.NodeResources;
    const reserved = node.ReservedResources;
    if (!total) return;
    m.setGauge('client.allocated.cpu', cpu, labels);
    m.setGauge('client.allocated.memory', memoryMB, labels);
    m.setGauge('client.allocated.disk', diskMB, labels);
    m.setGauge('client.unallocated.cpu', total.Cpu.CpuShares - (reserved?.Cpu.CpuShares ?? 0) - cpu, labels);
    m.setGauge('client.unallocated.memory', total.Memory.MemoryMB - (reserved?.Memory.MemoryMB ?? 0) - memoryMB, labels);
    m.setGauge('client.unallocated.disk', total.Disk.DiskMB - (reserved?.Disk.DiskMB ?? 0) - diskMB, labels);
    for (const n of total.Networks ?? []) {
      if (!n.Device) continue;
      m.setGauge('client.unallocated.network', n.MBits - (networkMbits.get(n.Device) ?? 0), { ...labels, device: n.Device });
    }
  }

  private async emitHostStats(labels: Record<string, string>): Promise<void> {
    const h = await this.host.collect();
    const m = this.metrics;
    for (const c of h.CPU) setGauges(m, 'client.host.cpu', { total: c.Total, user: c.User, system: c.System, idle: c.Idle }, { ...labels, cpu: c.CPU });
    setGauges(m, 'client.host.memory', { total: h.Memory.Total, available: h.Memory.Available, used: h.Memory.Used, free: h.Memory.Free }, labels);
    for (const d of h.DiskStats) {
      setGauges(m, 'client.host.disk', { size: d.Size, used: d.Used, available: d.Available, used_percent: d.UsedPercent, inodes_percent: d.InodesUsedPercent }, { ...labels, disk: d.Device });
    }
    m.setGauge('client.uptime', h.Uptime, labels);
  }

  /** The figures of a running allocation's running tasks, with the labels they are published under. */
  private async taskFigures(runner: AllocRunner, live: Map<string, Record<string, string>>): Promise<TaskFigures[]> {
    const alloc = runner.alloc;
    if (runner.isFinished) return [];
    const out = await Promise.all(
      runner.taskRunners().map(async (t): Promise<TaskFigures | null> => {
        if (t.state.State !== 'running') return null;
        const usage = await t.stats();
        if (!usage) return null;
        const id = `${alloc.ID}/${t.name}`;
        const labels = this.taskLabels.get(id) ?? allocTaskLabels(alloc, t.name);
        live.set(id, labels);
        return { usage, allocated: alloc.AllocatedResources?.Tasks[t.name] ?? null, labels };
      }),
    );
    return out.filter((f): f is TaskFigures => f !== null);
  }

  private publishTask({ usage, allocated, labels }: TaskFigures): void {
    const m = this.metrics;
    const mem = usage.ResourceUsage.MemoryStats;
    for (const [measured, field, name] of MEMORY_MEASURED) {
      if (mem.Measured?.includes(measured)) m.setGauge(`client.allocs.memory.${name}`, mem[field] as number, labels);
    }
    if (allocated) {
      m.setGauge('client.allocs.memory.allocated', allocated.Memory.MemoryMB * MIB, labels);
      m.setGauge('client.allocs.cpu.allocated', allocated.Cpu.CpuShares, labels);
    }
    const cpu = usage.ResourceUsage.CpuStats;
    const cpuFigures = { total_percent: cpu.Percent, system: cpu.SystemMode, user: cpu.UserMode, throttled_time: cpu.ThrottledTime, throttled_periods: cpu.ThrottledPeriods, total_ticks: cpu.TotalTicks };
    setGauges(m, 'client.allocs.cpu', cpuFigures, labels);
  }
}

/** One gauge per figure, named prefix.figure, all with the same labels. */
function setGauges(m: Metrics, prefix: string, figures: Record<string, number>, labels: Record<string, string>): void {
  for (const name in figures) m.setGauge(`${prefix}.${name}`, figures[name]!, labels);
}

/** Labels of every node figure; an empty node class reads "none", as Nomad prints it. */
export function nodeLabels(node: Node): Record<string, string> {
  return {
    node_id: node.ID,
    datacenter: node.Datacenter,
    node_class: node.NodeClass || 'none',
    node_status: node.Status,
    node_scheduling_eligibility: node.SchedulingEligibility,
  };
}

function allocatedOf(a: Allocation): { cpu: number; memoryMB: number; diskMB: number; networkMbits: Map<string, number> } {
  const out = { cpu: 0, memoryMB: 0, diskMB: a.AllocatedResources?.Shared.DiskMB ?? 0, networkMbits: new Map<string, number>() };
  const addNets = (nets: Array<{ Device: string; MBits: number }> | null | undefined): void => {
    for (const n of nets ?? []) if (n.Device) out.networkMbits.set(n.Device, (out.networkMbits.get(n.Device) ?? 0) + n.MBits);
  };
  for (const t of Object.values(a.AllocatedResources?.Tasks ?? {})) {
    out.cpu += t.Cpu.CpuShares;
    out.memoryMB += t.Memory.MemoryMB;
    addNets(t.Networks);
  }
  addNets(a.AllocatedResources?.Shared.Networks);
  return out;
}
