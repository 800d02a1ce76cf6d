// Shared by the tests of this folder: evaluate a single expression written as HCL text.

import type { Expr } from '../../src/hcl/ast.js';
import type { Diagnostic } from '../../src/hcl/diagnostic.js';
import { evaluate, type EvalContext } from '../../src/hcl/evaluate.js';
import { standardFunctions } from '../../src/hcl/functions/index.js';
import { parseHcl, parseHclExpression } from '../../src/hcl/parser.js';
import type { Value } from '../../src/hcl/value.js';

export function exprOf(text: string): Expr {
  const { expr, diagnostics } = parseHclExpression(text, 'expr.hcl');
  if (diagnostics.length > 0) throw new Error(`parse errors in ${JSON.stringify(text)}: ${JSON.stringify(diagnostics.map((d) => d.summary + ': ' + d.detail))}`);
  return expr;
}

/** The value of `x = <text>` parsed as an attribute, so body-level newline rules apply. */
export function attrExpr(text: string): Expr {
  const { body, diagnostics } = parseHcl(`x = ${text}\n`, 'attr.hcl');
  if (diagnostics.length > 0) throw new Error(`parse errors: ${JSON.stringify(diagnostics.map((d) => d.summary + ': ' + d.detail))}`);
  const item = body.items[0];
  if (!item || item.kind !== 'attribute') throw new Error('no attribute');
  return item.expr;
}

export function ctxWith(variables: Record<string, Value> = {}, extra: Partial<EvalContext> = {}): EvalContext {
  return { variables, functions: standardFunctions(), ...extra };
}

export function evalText(text: string, variables: Record<string, Value> = {}, extra: Partial<EvalContext> = {}): Value {
  const r = evaluate(attrExpr(text), ctxWith(variables, extra));
  if (r.diagnostics.length > 0) throw new Error(r.diagnostics.map((d) => `${d.summary}: ${d.detail}`).join('\n'));
  return r.value;
}

export function evalError(text: string, variables: Record<string, Value> = {}, extra: Partial<EvalContext> = {}): Diagnostic {
  const r = evaluate(attrExpr(text), ctxWith(variables, extra));
  const d = r.diagnostics[0];
  if (!d) throw new Error(`expected an error from ${text}, got ${JSON.stringify(r.value)}`);
  return d;
}

/** "line:column" of a diagnostic, for compact assertions. */
export function at(d: Diagnostic): string {
  return `${d.range?.start.line}:${d.range?.start.column}`;
}
