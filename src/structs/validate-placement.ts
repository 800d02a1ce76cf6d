// Validation of placement rules: constraints, affinities and spreads, in the words Nomad uses
// for each problem, each led by the field path that holds it.
import { RE2JS } from 're2js';
import type { Affinity, Constraint, Spread } from './job.js';
import { parseConstraintTerms } from './versions.js';

export type AddError = (path: string, message: string) => void;

const CONSTRAINT_OPERANDS = new Set([
  '=', '==', 'is', '!=', 'not', '<', '<=', '>', '>=',
  'regexp', 'version', 'semver', 'set_contains', 'set_contains_all', 'set_contains_any',
  'is_set', 'is_not_set', 'distinct_hosts', 'distinct_property',
]);

/** The checks of an operand's right-hand side that constraints and affinities share. */
function checkTarget(kind: 'constraint' | 'affinity', operand: string, rTarget: string, path: string, add: AddError): void {
  if (operand === 'regexp') {
    try {
      RE2JS.compile(rTarget);
    } catch (e) {
      add(`${path}.RTarget`, `Regular expression failed to compile: ${(e as Error).message}`);
    }
  } else if (operand === 'version' || operand === 'semver') {
    if (parseConstraintTerms(rTarget, operand === 'semver') === null) {
      const what = operand === 'version' ? 'Version' : 'Semver';
      add(`${path}.RTarget`, `${what} ${kind} is invalid: Malformed constraint: ${rTarget}`);
    }
  }
}

export function validateConstraints(cs: Constraint[] | null, path: string, add: AddError): void {
  (cs ?? []).forEach((c, i) => {
    const p = `${path}[${i}]`;
    if (!CONSTRAINT_OPERANDS.has(c.Operand)) {
      add(`${p}.Operand`, `unknown constraint operator "${c.Operand}"`);
      return;
    }
    const needsL = c.Operand !== 'distinct_hosts';
    if (needsL && !c.LTarget) add(`${p}.LTarget`, `constraint "${c.Operand}" needs an attribute`);
    const needsR = !['distinct_hosts', 'distinct_property', 'is_set', 'is_not_set'].includes(c.Operand);
    if (needsR && c.RTarget === '' && c.Operand !== '=' && c.Operand !== '==' && c.Operand !== '!=' && c.Operand !== 'is' && c.Operand !== 'not') {
      add(`${p}.RTarget`, `constraint "${c.Operand}" needs a value`);
    }
    checkTarget('constraint', c.Operand, c.RTarget, p, add);
    if (c.Operand === 'distinct_property' && c.RTarget !== '' && !/^[1-9]\d*$/.test(c.RTarget)) {
      add(`${p}.RTarget`, `distinct_property limit must be a positive whole number, got "${c.RTarget}"`);
    }
  });
}

export function validateAffinities(as: Affinity[] | null, path: string, add: AddError): void {
  (as ?? []).forEach((a, i) => {
    const p = `${path}[${i}]`;
    if (!a.Operand) add(`${p}.Operand`, 'Missing affinity operand');
    else if (!CONSTRAINT_OPERANDS.has(a.Operand) || a.Operand === 'distinct_hosts' || a.Operand === 'distinct_property') {
      add(`${p}.Operand`, `Unknown affinity operator "${a.Operand}"`);
    }
    checkTarget('affinity', a.Operand, a.RTarget, p, add);
    if (!a.LTarget) add(`${p}.LTarget`, 'No LTarget provided but is required');
    if (a.Weight === 0) add(`${p}.Weight`, 'Affinity weight cannot be zero');
    if (a.Weight > 100 || a.Weight < -100) add(`${p}.Weight`, `Affinity weight must be within the range [-100,100], got ${a.Weight}`);
  });
}

export function validateSpreads(ss: Spread[] | null, path: string, add: AddError): void {
  (ss ?? []).forEach((s, i) => {
    const p = `${path}[${i}]`;
    if (!s.Attribute) add(`${p}.Attribute`, 'Missing spread attribute');
    if (s.Weight <= 0 || s.Weight > 100) add(`${p}.Weight`, `Spread stanza must have a positive weight from 0 to 100, got ${s.Weight}`);
    const seen = new Set<string>();
    let sum = 0;
    (s.SpreadTarget ?? []).forEach((t, ti) => {
      const tp = `${p}.SpreadTarget[${ti}]`;
      if (seen.has(t.Value)) add(`${tp}.Value`, `Spread target value "${t.Value}" already defined`);
      seen.add(t.Value);
      if (t.Percent < 0 || t.Percent > 100) add(`${tp}.Percent`, `Spread target percentage for value "${t.Value}" must be between 0 and 100`);
      sum += t.Percent;
    });
    if (sum > 100) add(`${p}.SpreadTarget`, `Sum of spread target percentages must not be greater than 100%; got ${sum}%`);
  });
}
