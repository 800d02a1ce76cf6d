// The syntax tree. Expressions are kept as trees (not values) so that the caller chooses when
// and with which variables to evaluate them, and so that references can be kept as text.

import type { Range } from './range.js';

export interface Body {
  kind: 'body';
  /** Attributes and blocks in source order. */
  items: BodyItem[];
  range: Range;
}

export type BodyItem = Attribute | Block;

export interface Attribute {
  kind: 'attribute';
  name: string;
  nameRange: Range;
  expr: Expr;
  /** From the name to the end of the expression. */
  range: Range;
}

export interface Block {
  kind: 'block';
  type: string;
  typeRange: Range;
  labels: string[];
  labelRanges: Range[];
  body: Body;
  openBraceRange: Range;
  closeBraceRange: Range;
  /** From the type name to the closing brace. */
  range: Range;
}

interface ExprBase {
  range: Range;
  /** The exact source text of the expression (kept so unknown references can survive as text). */
  text: string;
}

export interface LiteralExpr extends ExprBase {
  kind: 'literal';
  value: null | boolean | number | string;
}

export type TemplatePart =
  | { kind: 'text'; value: string; range: Range }
  | { kind: 'interp'; expr: Expr; range: Range; text: string }
  | { kind: 'if'; cond: Expr; then: TemplatePart[]; else: TemplatePart[]; range: Range }
  | { kind: 'for'; keyVar?: string; valueVar: string; collection: Expr; body: TemplatePart[]; range: Range };

export interface TemplateExpr extends ExprBase {
  kind: 'template';
  parts: TemplatePart[];
  heredoc: boolean;
}

/** `"${x}"`: a template that is exactly one interpolation yields x's value unconverted. */
export interface TemplateWrapExpr extends ExprBase {
  kind: 'template-wrap';
  inner: Expr;
  /** The `${ ... }` text, as written. */
  interpText: string;
}

export interface VariableExpr extends ExprBase {
  kind: 'variable';
  name: string;
}

export interface GetAttrExpr extends ExprBase {
  kind: 'getattr';
  object: Expr;
  name: string;
}

export interface IndexExpr extends ExprBase {
  kind: 'index';
  collection: Expr;
  key: Expr;
  /** `a.0` (legacy HCL1 index form) rather than `a[0]`. */
  legacy: boolean;
}

/** Stands for "each element" inside a splat's per-element traversal. */
export interface SplatItemExpr extends ExprBase {
  kind: 'splat-item';
}

export interface SplatExpr extends ExprBase {
  kind: 'splat';
  source: Expr;
  /** Traversal applied to every element; rooted at a SplatItemExpr. */
  each: Expr;
  /** `.*` (attribute-only) rather than `[*]`. */
  attrOnly: boolean;
}

export interface FunctionCallExpr extends ExprBase {
  kind: 'call';
  name: string;
  nameRange: Range;
  args: Expr[];
  /** The last argument is followed by `...` and its elements become the arguments. */
  expandFinal: boolean;
}

export interface TupleExpr extends ExprBase {
  kind: 'tuple';
  items: Expr[];
}

export interface ObjectItem {
  /** For a bare identifier key this is a literal string expression. */
  key: Expr;
  value: Expr;
}

export interface ObjectExpr extends ExprBase {
  kind: 'object';
  items: ObjectItem[];
}

export interface ForExpr extends ExprBase {
  kind: 'for';
  keyVar?: string;
  valueVar: string;
  collection: Expr;
  /** Present for object results `{for ...: k => v}`. */
  keyExpr?: Expr;
  valueExpr: Expr;
  condition?: Expr;
  /** `{for ...: k => v...}` collects values for the same key into lists. */
  grouping: boolean;
}

export type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '>' | '<=' | '>=' | '+' | '-' | '*' | '/' | '%';

export interface BinaryExpr extends ExprBase {
  kind: 'binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
}

export interface UnaryExpr extends ExprBase {
  kind: 'unary';
  op: '!' | '-';
  operand: Expr;
}

export interface ConditionalExpr extends ExprBase {
  kind: 'conditional';
  condition: Expr;
  trueExpr: Expr;
  falseExpr: Expr;
}

export interface ParensExpr extends ExprBase {
  kind: 'parens';
  inner: Expr;
}

/** Stands in for an expression that failed to parse (the error is already reported). */
export interface InvalidExpr extends ExprBase {
  kind: 'invalid';
}

export type Expr =
  | LiteralExpr
  | TemplateExpr
  | TemplateWrapExpr
  | VariableExpr
  | GetAttrExpr
  | IndexExpr
  | SplatItemExpr
  | SplatExpr
  | FunctionCallExpr
  | TupleExpr
  | ObjectExpr
  | ForExpr
  | BinaryExpr
  | UnaryExpr
  | ConditionalExpr
  | ParensExpr
  | InvalidExpr;

/** The root name of a reference chain like `attr.kernel.name` or `var.x[0]`, if expr is one. */
export function traversalRoot(expr: Expr): string | undefined {
  let e: Expr = expr;
  for (;;) {
    if (e.kind === 'variable') return e.name;
    if (e.kind === 'getattr') e = e.object;
    else if (e.kind === 'index') e = e.collection;
    else return undefined;
  }
}

/** The direct sub-expressions of an expression, including those inside template parts. */
export function childExprs(expr: Expr): Expr[] {
  switch (expr.kind) {
    case 'literal':
    case 'variable':
    case 'splat-item':
    case 'invalid':
      return [];
    case 'template':
      return templatePartExprs(expr.parts);
    case 'template-wrap':
      return [expr.inner];
    case 'getattr':
      return [expr.object];
    case 'index':
      return [expr.collection, expr.key];
    case 'splat':
      return [expr.source, expr.each];
    case 'call':
      return expr.args;
    case 'tuple':
      return expr.items;
    case 'object':
      return expr.items.flatMap((i) => [i.key, i.value]);
    case 'for':
      return [expr.collection, ...(expr.keyExpr ? [expr.keyExpr] : []), expr.valueExpr, ...(expr.condition ? [expr.condition] : [])];
    case 'binary':
      return [expr.left, expr.right];
    case 'unary':
      return [expr.operand];
    case 'conditional':
      return [expr.condition, expr.trueExpr, expr.falseExpr];
    case 'parens':
      return [expr.inner];
  }
}

function templatePartExprs(parts: TemplatePart[]): Expr[] {
  return parts.flatMap((p): Expr[] => {
    switch (p.kind) {
      case 'text':
        return [];
      case 'interp':
        return [p.expr];
      case 'if':
        return [p.cond, ...templatePartExprs(p.then), ...templatePartExprs(p.else)];
      case 'for':
        return [p.collection, ...templatePartExprs(p.body)];
    }
  });
}
