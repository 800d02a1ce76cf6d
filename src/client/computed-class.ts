// ComputedClass: a hash of everything that makes nodes interchangeable for the scheduler
// (datacenter, class, non-unique attributes and meta, drivers), so feasibility checks can be
// cached per class. Stable across restarts: the same inputs always give the same "v1:<n>".
import type { DriverInfo } from '../structs/node.js';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;

function fnv1a64(text: string): bigint {
  let h = FNV_OFFSET;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * FNV_PRIME) & MASK_64;
  }
  return h;
}

function sortedNonUnique(m: Record<string, string> | null): Array<[string, string]> {
  return Object.entries(m ?? {})
    .filter(([k]) => !k.startsWith('unique.'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function computeNodeClass(input: {
  Datacenter: string;
  NodeClass: string;
  Attributes: Record<string, string>;
  Meta: Record<string, string> | null;
  Drivers: Record<string, DriverInfo>;
  HostVolumes?: Record<string, { ReadOnly: boolean }> | null;
}): string {
  const drivers = Object.keys(input.Drivers)
    .sort()
    .map((name) => [name, input.Drivers[name]!.Detected, input.Drivers[name]!.Healthy]);
  const volumes = Object.keys(input.HostVolumes ?? {})
    .sort()
    .map((name) => [name, input.HostVolumes![name]!.ReadOnly]);
  // Nodes without host volumes keep the class they always had.
  const parts: unknown[] = [input.Datacenter, input.NodeClass, sortedNonUnique(input.Attributes), sortedNonUnique(input.Meta), drivers];
  if (volumes.length > 0) parts.push(volumes);
  const canonical = JSON.stringify(parts);
  return `v1:${fnv1a64(canonical).toString(10)}`;
}
