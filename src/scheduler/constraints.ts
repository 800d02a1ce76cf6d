// Constraint and affinity matching: resolving `${attr.x}`-style targets against a node and
// applying every operand Nomad knows. Compiled regexps and version ranges are cached per checker.
import type { Constraint } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import { RE2JS } from 're2js';
import { parseConstraintTerms, versionMatches } from '../structs/versions.js';

export const DISTINCT_HOSTS = 'distinct_hosts';
export const DISTINCT_PROPERTY = 'distinct_property';

export interface Resolved {
  value: string;
  found: boolean;
}

const NOT_FOUND: Resolved = { value: '', found: false };

/** Resolves a constraint target: an interpolation like `${attr.kernel.name}` or a literal. */
export function resolveTarget(target: string, node: Node): Resolved {
  if (!target.startsWith('${')) return { value: target, found: true };
  if (!target.endsWith('}')) return NOT_FOUND;
  const key = target.slice(2, -1);
  switch (key) {
    case 'node.unique.id':
      return { value: node.ID, found: true };
    case 'node.datacenter':
      return { value: node.Datacenter, found: true };
    case 'node.unique.name':
      return { value: node.Name, found: true };
    case 'node.class':
      return { value: node.NodeClass, found: true };
    case 'node.region': {
      const r = node.Attributes['nomad.region'] ?? node.Attributes['node.region'];
      return { value: r ?? 'global', found: true };
    }
  }
  if (key.startsWith('attr.')) {
    const v = node.Attributes[key.slice(5)];
    return v === undefined ? NOT_FOUND : { value: v, found: true };
  }
  if (key.startsWith('meta.')) {
    const v = node.Meta?.[key.slice(5)];
    return v === undefined ? NOT_FOUND : { value: v, found: true };
  }
  return NOT_FOUND;
}

/** Targets naming unique node values make a check differ between nodes of one computed class. */
export function targetEscapesClass(target: string): boolean {
  return target.startsWith('${node.unique.') || target.startsWith('${attr.unique.') || target.startsWith('${meta.unique.');
}

export function constraintEscapesClass(c: { LTarget: string; RTarget: string }): boolean {
  return targetEscapesClass(c.LTarget) || targetEscapesClass(c.RTarget);
}

/** How Nomad prints a constraint in AllocMetric.ConstraintFiltered. */
export function constraintString(c: Constraint): string {
  return `${c.LTarget} ${c.Operand} ${c.RTarget}`;
}

const KNOWN_OPERANDS = new Set([
  '=', '==', 'is', '!=', 'not', '<', '<=', '>', '>=', 'regexp', 'version', 'semver',
  'set_contains', 'set_contains_all', 'set_contains_any', 'is_set', 'is_not_set', DISTINCT_HOSTS, DISTINCT_PROPERTY,
]);

export function isKnownOperand(op: string): boolean {
  return KNOWN_OPERANDS.has(op);
}

function splitSet(text: string): string[] {
  return text.split(',').map((s) => s.trim());
}

const NUMERIC_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

function compareOrder(op: string, l: string, r: string): boolean {
  let cmp: number;
  if (NUMERIC_RE.test(l.trim()) && NUMERIC_RE.test(r.trim())) {
    const d = Number(l) - Number(r);
    cmp = d < 0 ? -1 : d > 0 ? 1 : 0;
  } else {
    cmp = l < r ? -1 : l > r ? 1 : 0;
  }
  switch (op) {
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    default:
      return cmp >= 0;
  }
}

/** Applies operands to resolved values; caches compiled patterns and ranges. */
export class ConstraintMatcher {
  private readonly regexps = new Map<string, RE2JS | null>();
  private readonly versionTerms = new Map<string, ReturnType<typeof parseConstraintTerms>>();

  matches(c: { LTarget: string; RTarget: string; Operand: string }, node: Node): boolean {
    const l = resolveTarget(c.LTarget, node);
    const r = resolveTarget(c.RTarget, node);
    return this.check(c.Operand, l, r);
  }

  check(operand: string, l: Resolved, r: Resolved): boolean {
    switch (operand) {
      case DISTINCT_HOSTS:
      case DISTINCT_PROPERTY:
        return true; // checked against proposed allocations, not the node alone
      case '=':
      case '==':
      case 'is':
        return l.found && r.found && l.value === r.value;
      case '!=':
      case 'not':
        // Nomad compares the values even when missing: an unset attribute differs from any set one.
        return l.found !== r.found || l.value !== r.value;
      case '<':
      case '<=':
      case '>':
      case '>=':
        return l.found && r.found && compareOrder(operand, l.value, r.value);
      case 'is_set':
        return l.found;
      case 'is_not_set':
        return !l.found;
      case 'version':
      case 'semver': {
        if (!l.found || !r.found) return false;
        const strict = operand === 'semver';
        const key = `${operand}\u0000${r.value}`;
        let terms = this.versionTerms.get(key);
        if (terms === undefined) {
          terms = parseConstraintTerms(r.value, strict);
          this.versionTerms.set(key, terms);
        }
        return terms !== null && versionMatches(l.value, terms, strict);
      }
      case 'regexp': {
        if (!l.found || !r.found) return false;
        let re = this.regexps.get(r.value);
        if (re === undefined) {
          try {
            // Go's syntax on a linear-time engine: a pattern from a job never backtracks for long.
            re = RE2JS.compile(r.value);
          } catch {
            re = null;
          }
          this.regexps.set(r.value, re);
        }
        return re !== null && re.test(l.value);
      }
      case 'set_contains':
      case 'set_contains_all': {
        if (!l.found || !r.found) return false;
        const have = new Set(splitSet(l.value));
        return splitSet(r.value).every((x) => have.has(x));
      }
      case 'set_contains_any': {
        if (!l.found || !r.found) return false;
        const have = new Set(splitSet(l.value));
        return splitSet(r.value).some((x) => have.has(x));
      }
      default:
        return false;
    }
  }
}
