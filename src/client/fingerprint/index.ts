// Fingerprints the host and builds the Node the client registers. Every fingerprinter reads
// files in parallel and none spawns a process: the agent must reach "node ready" quickly.
import { readFile } from 'node:fs/promises';
import type { TaskDriver } from '../../drivers/driver.js';
import { newNode, type Node } from '../../structs/node.js';
import type { ClientConfig } from '../config.js';
import { DEFAULT_NODE_META } from '../config.js';
import { computeNodeClass } from '../computed-class.js';
import type { NodeIdentity } from '../node-id.js';
import { fingerprintArch } from './arch.js';
import { fingerprintCgroup } from './cgroup.js';
import { fingerprintCpu } from './cpu.js';
import { driverAttributes, fingerprintDrivers } from './drivers.js';
import { fingerprintHost, fingerprintKernel, fingerprintOs } from './host.js';
import { fingerprintMemory } from './memory.js';
import { fingerprintNetwork } from './network.js';
import { fingerprintNomad } from './nomad.js';
import { fingerprintStorage } from './storage.js';
import type { FingerprintContext, FingerprintResult } from './types.js';

/** Files read by several fingerprinters (/proc/mounts) are read once. */
export function cachedReader(): FingerprintContext['readText'] {
  const cache = new Map<string, Promise<string | null>>();
  return (path) => {
    let p = cache.get(path);
    if (!p) {
      p = readFile(path, 'utf8').catch(() => null);
      cache.set(path, p);
    }
    return p;
  };
}

export interface HostFingerprint {
  results: FingerprintResult[];
  attributes: Record<string, string>;
  cpu: { totalMhz: number; cores: number; mhzPerCore: number };
}

export async function fingerprintHostFacts(config: ClientConfig): Promise<HostFingerprint> {
  const ctx: FingerprintContext = {
    dataDir: config.dataDir,
    networkInterface: config.networkInterface,
    bindAddress: config.bindAddress,
    httpAdvertise: config.httpAdvertise,
    networkSpeedMbits: config.networkSpeedMbits ?? 0,
    cpuTotalComputeMHz: config.cpuTotalComputeMHz ?? 0,
    memoryTotalMB: config.memoryTotalMB ?? 0,
    readText: cachedReader(),
  };
  const results = await Promise.all([
    fingerprintArch(),
    fingerprintCpu(ctx),
    fingerprintMemory(ctx),
    fingerprintStorage(ctx),
    fingerprintNetwork(ctx),
    fingerprintKernel(),
    fingerprintOs(ctx),
    fingerprintHost(),
    fingerprintNomad(ctx),
    fingerprintCgroup(ctx),
  ]);
  const attributes: Record<string, string> = {};
  for (const r of results) Object.assign(attributes, r.attributes);
  const cpu = results.find((r) => r.cpu)?.cpu ?? { totalMhz: 0, cores: 1, mhzPerCore: 0 };
  return { results, attributes, cpu };
}

export async function buildNode(config: ClientConfig, identity: NodeIdentity, drivers: Map<string, TaskDriver>, host: HostFingerprint): Promise<Node> {
  const driverInfos = await fingerprintDrivers(drivers);
  const attributes = { ...host.attributes, ...driverAttributes(driverInfos) };
  const memoryMB = host.results.find((r) => r.memoryMB !== undefined)?.memoryMB ?? 0;
  const diskMB = host.results.find((r) => r.diskMB !== undefined)?.diskMB ?? 0;
  const net = host.results.find((r) => r.networks !== undefined);
  const networks = net?.networks ?? [];
  const meta = { ...DEFAULT_NODE_META, ...config.meta };
  const r = config.reserved;
  const node = newNode({
    ID: identity.id,
    SecretID: identity.secretId,
    Datacenter: config.datacenter,
    Name: config.nodeName || attributes['unique.hostname'] || identity.id,
    HTTPAddr: config.httpAdvertise,
    TLSEnabled: false,
    Attributes: attributes,
    NodeResources: {
      Cpu: { CpuShares: host.cpu.totalMhz, TotalCpuCores: host.cpu.cores, ReservableCpuCores: Array.from({ length: host.cpu.cores }, (_, i) => i) },
      Memory: { MemoryMB: memoryMB },
      Disk: { DiskMB: diskMB },
      Networks: networks,
      NodeNetworks: net?.nodeNetworks ?? [],
      Devices: null,
      MinDynamicPort: config.minDynamicPort,
      MaxDynamicPort: config.maxDynamicPort,
    },
    ReservedResources: {
      Cpu: { CpuShares: r.cpuMhz, ReservedCpuCores: null },
      Memory: { MemoryMB: r.memoryMB },
      Disk: { DiskMB: r.diskMB },
      Networks: { ReservedHostPorts: r.reservedPorts },
    },
    Resources: { CPU: host.cpu.totalMhz, Cores: 0, MemoryMB: memoryMB, MemoryMaxMB: 0, DiskMB: diskMB, IOPS: 0, Networks: networks, Devices: null },
    Reserved: { CPU: r.cpuMhz, Cores: 0, MemoryMB: r.memoryMB, MemoryMaxMB: 0, DiskMB: r.diskMB, IOPS: 0, Networks: null, Devices: null },
    Meta: meta,
    NodeClass: config.nodeClass,
    StatusUpdatedAt: Math.floor(Date.now() / 1000),
    Drivers: driverInfos,
    HostVolumes: config.hostVolumes && Object.keys(config.hostVolumes).length > 0 ? config.hostVolumes : null,
  });
  node.ComputedClass = computeNodeClass(node);
  return node;
}
