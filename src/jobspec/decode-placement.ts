// constraint, affinity and spread blocks: where allocations may or should go.

import type { Affinity, Constraint, Spread, SpreadTarget, DeepPartial } from '../structs/job.js';
import { defined, type BlockReader } from './block-reader.js';


/**
 * The shorthand arguments (`version = ">= 1.2"` instead of `operator = "version"` plus
 * `value = ">= 1.2"`), which set the operator and take the value from the argument.
 */
const SHORTHAND_OPERATORS = ['regexp', 'version', 'semver', 'set_contains', 'set_contains_any', 'set_contains_all'];

function readTarget(r: BlockReader, allowed: string[]): { LTarget?: string; RTarget?: string; Operand?: string } {
  const out: { LTarget?: string; RTarget?: string; Operand?: string } = defined({
    LTarget: r.string('attribute'),
    RTarget: r.string('value'),
    Operand: r.string('operator'),
  });
  for (const op of allowed) {
    const v = r.string(op);
    if (v === undefined) continue;
    if (out.Operand !== undefined && out.Operand !== op) {
      const a = r.attribute(op);
      r.error(a?.nameRange, 'Conflicting operators', `"${op}" sets the operator, but "operator" is also set to "${out.Operand}".`);
    }
    out.Operand = op;
    out.RTarget = v;
  }
  return out;
}

export function decodeConstraint(r: BlockReader): DeepPartial<Constraint> | undefined {
  const out = readTarget(r, SHORTHAND_OPERATORS.filter((o) => o !== 'set_contains_all'));
  const distinctHosts = r.bool('distinct_hosts');
  if (distinctHosts === true) out.Operand = 'distinct_hosts';
  const distinctProperty = r.string('distinct_property');
  if (distinctProperty !== undefined) {
    // The property to spread over is the left side; "value" (if any) is how many may share it.
    out.Operand = 'distinct_property';
    out.LTarget = distinctProperty;
  }
  if (distinctHosts === false && Object.keys(out).length === 0) return undefined;
  return out;
}

export function decodeAffinity(r: BlockReader): DeepPartial<Affinity> {
  const out: DeepPartial<Affinity> = readTarget(r, SHORTHAND_OPERATORS.filter((o) => o !== 'set_contains'));
  const weight = r.int('weight');
  if (weight !== undefined) out.Weight = weight;
  return out;
}

export function decodeSpread(r: BlockReader): DeepPartial<Spread> {
  const targets = r.labeledBlocks('target', (label, t): DeepPartial<SpreadTarget> => defined({ Value: label, Percent: t.int('percent') }));
  return defined({
    Attribute: r.string('attribute'),
    Weight: r.int('weight'),
    SpreadTarget: targets as SpreadTarget[] | undefined,
  });
}
