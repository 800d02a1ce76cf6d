// AllocMetric bookkeeping: why nodes were filtered or exhausted and how the best ones scored,
// as `nomad alloc status -verbose` and failed-placement messages show them.
import type { AllocMetric } from '../structs/alloc.js';
import type { Node } from '../structs/node.js';

/** Nomad keeps the five best nodes' scores. */
export const MAX_RETAINED_NODE_SCORES = 5;

export function newMetric(): AllocMetric {
  return {
    NodesEvaluated: 0,
    NodesFiltered: 0,
    NodesAvailable: null,
    ClassFiltered: null,
    ConstraintFiltered: null,
    NodesExhausted: 0,
    ClassExhausted: null,
    DimensionExhausted: null,
    QuotaExhausted: null,
    ResourcesExhausted: null,
    Scores: null,
    ScoreMetaData: null,
    AllocationTime: 0,
    CoalescedFailures: 0,
  };
}

function bump(map: Record<string, number> | null, key: string): Record<string, number> {
  const m = map ?? {};
  m[key] = (m[key] ?? 0) + 1;
  return m;
}

export function filterNode(m: AllocMetric, node: Node, reason: string): void {
  m.NodesFiltered++;
  if (node.NodeClass) m.ClassFiltered = bump(m.ClassFiltered, node.NodeClass);
  if (reason) m.ConstraintFiltered = bump(m.ConstraintFiltered, reason);
}

export function exhaustNode(m: AllocMetric, node: Node, dimension: string): void {
  m.NodesExhausted++;
  if (node.NodeClass) m.ClassExhausted = bump(m.ClassExhausted, node.NodeClass);
  if (dimension) m.DimensionExhausted = bump(m.DimensionExhausted, dimension);
}

