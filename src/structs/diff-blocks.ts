// Diffs of the blocks that appear at more than one level of a job: placement rules (constraint,
// affinity, spread), networks with their ports, services with their checks, plain policy blocks,
// and a fallback for any nested value without a rule of its own.
import type { Affinity, Constraint, NetworkResource, Port, Service, ServiceCheck, Spread } from './job.js';
import type { ObjectDiff } from './diff-types.js';
import { isRecord, primitiveFlat, valueFlat, type Loose } from './diff-flatten.js';
import { keyedDiffs, objectDiff, setDiffs, stringSetDiff } from './diff-fields.js';

type List<T> = readonly T[] | null | undefined;

/** A block made only of primitive fields (RestartPolicy, EphemeralDisk, LogConfig, ...). */
export function plainObjectDiff(name: string, old: unknown, next: unknown, contextual: boolean): ObjectDiff | null {
  return objectDiff(name, primitiveFlat(old), primitiveFlat(next), contextual);
}

export function constraintDiffs(old: List<Constraint>, next: List<Constraint>, contextual: boolean): ObjectDiff[] {
  return setDiffs(old, next, (o, n) => plainObjectDiff('Constraint', o, n, contextual));
}

export function affinityDiffs(old: List<Affinity>, next: List<Affinity>, contextual: boolean): ObjectDiff[] {
  return setDiffs(old, next, (o, n) => plainObjectDiff('Affinity', o, n, contextual));
}

export function spreadDiffs(old: List<Spread>, next: List<Spread>, contextual: boolean): ObjectDiff[] {
  return setDiffs(old, next, (o, n) => {
    const targets = setDiffs(o?.SpreadTarget, n?.SpreadTarget, (a, b) => plainObjectDiff('SpreadTarget', a, b, contextual));
    return objectDiff('Spread', primitiveFlat(o), primitiveFlat(n), contextual, targets);
  });
}

// A dynamic port's value is chosen at placement, so only what the job asks for is compared.
const DYNAMIC_PORT_SKIP = new Set(['Value']);

function portDiffs(name: string, old: List<Port>, next: List<Port>, dynamic: boolean, contextual: boolean): ObjectDiff[] {
  const skip = dynamic ? DYNAMIC_PORT_SKIP : undefined;
  return keyedDiffs(old, next, (p) => p.Label, (o, n) => objectDiff(name, primitiveFlat(o, { skip }), primitiveFlat(n, { skip }), contextual));
}

/** Networks have no name: a changed network shows as the old one removed and the new one added. */
export function networkDiffs(old: List<NetworkResource>, next: List<NetworkResource>, contextual: boolean): ObjectDiff[] {
  return setDiffs(old, next, (o, n) => {
    const children = [
      ...portDiffs('Static Port', o?.ReservedPorts, n?.ReservedPorts, false, contextual),
      ...portDiffs('Dynamic Port', o?.DynamicPorts, n?.DynamicPorts, true, contextual),
    ];
    const dns = objectDiff('DNS', valueFlat(o?.DNS, 'struct'), valueFlat(n?.DNS, 'struct'), contextual);
    if (dns) children.push(dns);
    return objectDiff('Network', primitiveFlat(o), primitiveFlat(n), contextual, children);
  });
}

const SERVICE_HANDLED = new Set(['Tags', 'CanaryTags', 'Checks', 'Meta', 'CanaryMeta']);
const SERVICE_MAPS = ['Meta', 'CanaryMeta'];

function checkDiff(o: ServiceCheck | null, n: ServiceCheck | null, contextual: boolean): ObjectDiff | null {
  const children = otherObjectDiffs(o, n, new Set(), contextual);
  return objectDiff('Check', primitiveFlat(o), primitiveFlat(n), contextual, children);
}

/** Services are matched by name, so a changed tag edits the service rather than replacing it. */
export function serviceDiffs(old: List<Service>, next: List<Service>, contextual: boolean): ObjectDiff[] {
  return keyedDiffs(old, next, (s) => s.Name, (o, n) => {
    const children: ObjectDiff[] = [];
    for (const name of ['Tags', 'CanaryTags'] as const) {
      const d = stringSetDiff(name, o?.[name], n?.[name], contextual);
      if (d) children.push(d);
    }
    children.push(...keyedDiffs(o?.Checks, n?.Checks, (c) => c.Name, (a, b) => checkDiff(a, b, contextual)));
    children.push(...otherObjectDiffs(o, n, SERVICE_HANDLED, contextual));
    return objectDiff('Service', primitiveFlat(o, { maps: SERVICE_MAPS }), primitiveFlat(n, { maps: SERVICE_MAPS }), contextual, children);
  });
}

/**
 * Nested values of a struct that no rule above covers (Consul, Scaling, Connect, ...): each one
 * becomes an object named after its field, with every leaf flattened, so no change goes unseen.
 */
export function otherObjectDiffs(old: unknown, next: unknown, handled: ReadonlySet<string>, contextual: boolean): ObjectDiff[] {
  const o: Loose = isRecord(old) ? old : {};
  const n: Loose = isRecord(next) ? next : {};
  const out: ObjectDiff[] = [];
  for (const key of [...new Set([...Object.keys(o), ...Object.keys(n)])].sort()) {
    if (handled.has(key)) continue;
    if (!isNested(o[key]) && !isNested(n[key])) continue;
    const d = objectDiff(key, valueFlat(o[key], 'struct'), valueFlat(n[key], 'struct'), contextual);
    if (d) out.push(d);
  }
  return out;
}

function isNested(v: unknown): boolean {
  return typeof v === 'object' && v !== null;
}
