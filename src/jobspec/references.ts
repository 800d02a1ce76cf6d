// Finding `root.name` references in an expression (e.g. which locals a local depends on).

import { childExprs, type Expr } from '../hcl/ast.js';

export function forEachReference(expr: Expr, root: string, visit: (name: string) => void): void {
  if (expr.kind === 'getattr' && expr.object.kind === 'variable' && expr.object.name === root) {
    visit(expr.name);
    return;
  }
  if (expr.kind === 'index' && expr.collection.kind === 'variable' && expr.collection.name === root && expr.key.kind === 'literal' && typeof expr.key.value === 'string') {
    visit(expr.key.value);
  }
  for (const child of childExprs(expr)) forEachReference(child, root, visit);
}

/** Variables and locals whose value is missing or wrong (already reported). */
export interface Poisoned {
  var: Set<string>;
  local: Set<string>;
}

/** Does the expression use a value whose error was already reported? Then it is not checked again. */
export function usesPoisoned(expr: Expr, poisoned: Poisoned): boolean {
  let found = false;
  forEachReference(expr, 'var', (n) => (found ||= poisoned.var.has(n)));
  forEachReference(expr, 'local', (n) => (found ||= poisoned.local.has(n)));
  return found;
}
