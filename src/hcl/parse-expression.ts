// Expressions, by precedence climbing. From loosest to tightest binding:
//   a ? b : c,  ||,  &&,  == !=,  < > <= >=,  + -,  * / %,  unary ! -,  then postfix
//   traversals (.attr, [index], [*], .*) and primaries.

import type { BinaryOp, Expr, ObjectItem, SplatItemExpr } from './ast.js';
import type { Token } from './lexer.js';
import type { Pos } from './range.js';
import { parseTemplate } from './parse-template.js';
import { describeToken, type TokenStream } from './token-stream.js';

const BINARY_LEVELS: BinaryOp[][] = [['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>='], ['+', '-'], ['*', '/', '%']];

type ExprFields<K extends Expr['kind']> = Omit<Extract<Expr, { kind: K }>, 'range' | 'text' | 'kind'>;

export function makeExpr<K extends Expr['kind']>(p: TokenStream, kind: K, start: Pos, end: Pos, fields: ExprFields<K>): Extract<Expr, { kind: K }> {
  const range = p.range(start, end);
  return { kind, range, text: p.text(range), ...fields } as unknown as Extract<Expr, { kind: K }>;
}

/**
 * Whether a number literal means the value it parsed to, up to the rounding of fractions that
 * every binary float has: not infinite, not a non-zero literal that underflowed to zero, and
 * not a whole number too large to hold exactly (which would silently change it).
 */
function heldExactly(text: string, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const mantissa = text.split(/[eE]/)[0]!;
  if (value === 0 && /[1-9]/.test(/^0[xX]/.test(text) ? text.slice(2) : mantissa)) return false;
  if (/^(0[xX][0-9a-fA-F]+|\d+)$/.test(text) && !Number.isSafeInteger(value)) return false;
  return true;
}

function invalidAt(p: TokenStream, t: Token): Expr {
  return makeExpr(p, 'invalid', t.range.start, t.range.end, {});
}

export function parseExpression(p: TokenStream): Expr {
  return p.nested(p.peek(), () => parseConditional(p));
}

function parseConditional(p: TokenStream): Expr {
  const cond = parseBinary(p, 0);
  if (!p.is('?')) return cond;
  p.next();
  p.pushNewlines(false);
  const trueExpr = parseExpression(p);
  if (!p.accept(':')) {
    const t = p.peek();
    p.error(t.range, 'Missing false expression in conditional', `The conditional operator (...?...:...) needs a ":" and a result for when the condition is false; found ${describeToken(t)}.`);
    p.popNewlines();
    return makeExpr(p, 'conditional', cond.range.start, trueExpr.range.end, { condition: cond, trueExpr, falseExpr: invalidAt(p, t) });
  }
  const falseExpr = parseExpression(p);
  p.popNewlines();
  return makeExpr(p, 'conditional', cond.range.start, falseExpr.range.end, { condition: cond, trueExpr, falseExpr });
}

function parseBinary(p: TokenStream, level: number): Expr {
  if (level >= BINARY_LEVELS.length) return parseUnary(p);
  const ops = BINARY_LEVELS[level] as BinaryOp[];
  let left = parseBinary(p, level + 1);
  for (;;) {
    const t = p.peek();
    if (!(ops as string[]).includes(t.type)) return left;
    p.next();
    const right = parseBinary(p, level + 1);
    left = makeExpr(p, 'binary', left.range.start, right.range.end, { op: t.type as BinaryOp, left, right });
  }
}

function parseUnary(p: TokenStream): Expr {
  const t = p.peek();
  if (t.type === '!' || t.type === '-') {
    p.next();
    const operand = p.nested(t, () => parseUnary(p));
    // A negative number literal is a literal, so that `-1` in a tuple reads as a number.
    if (t.type === '-' && operand.kind === 'literal' && typeof operand.value === 'number') {
      return makeExpr(p, 'literal', t.range.start, operand.range.end, { value: -operand.value });
    }
    return makeExpr(p, 'unary', t.range.start, operand.range.end, { op: t.type, operand });
  }
  return parsePostfix(p, parsePrimary(p));
}

/** Traversal steps after a primary: `.name`, `.0`, `[key]`, `[*]`, `.*`. */
function parsePostfix(p: TokenStream, expr: Expr): Expr {
  for (;;) {
    const t = p.peek();
    if (t.type === '.') {
      const after = p.peekSecond();
      if (after.type === 'ident') {
        p.next();
        p.next();
        expr = makeExpr(p, 'getattr', expr.range.start, after.range.end, { object: expr, name: after.text });
      } else if (after.type === 'number' && /^[0-9]+$/.test(after.text)) {
        p.next();
        p.next();
        const key = makeExpr(p, 'literal', after.range.start, after.range.end, { value: Number(after.text) });
        expr = makeExpr(p, 'index', expr.range.start, after.range.end, { collection: expr, key, legacy: true });
      } else if (after.type === '*') {
        p.next();
        p.next();
        expr = parseSplat(p, expr, true, after.range.end);
      } else {
        p.next();
        p.error(after.range, 'Invalid attribute name', `An attribute name is required after a dot; found ${describeToken(after)}.`);
        return expr;
      }
    } else if (t.type === '[') {
      p.next();
      p.pushNewlines(false);
      if (p.is('*') && p.peekSecond().type === ']') {
        p.next();
        const close = p.next();
        p.popNewlines();
        expr = parseSplat(p, expr, false, close.range.end);
        continue;
      }
      const key = parseExpression(p);
      const close = p.peek();
      if (close.type !== ']') {
        p.error(close.range, 'Missing close bracket on index', `The index operator must end with a "]"; found ${describeToken(close)}.`);
        p.popNewlines();
        return makeExpr(p, 'index', expr.range.start, key.range.end, { collection: expr, key, legacy: false });
      }
      p.next();
      p.popNewlines();
      expr = makeExpr(p, 'index', expr.range.start, close.range.end, { collection: expr, key, legacy: false });
    } else {
      return expr;
    }
  }
}

/** After `[*]` the following traversal steps apply to each element; after `.*`, only `.name` steps. */
function parseSplat(p: TokenStream, source: Expr, attrOnly: boolean, markerEnd: Pos): Expr {
  const item: SplatItemExpr = makeExpr(p, 'splat-item', markerEnd, markerEnd, {});
  let each: Expr = item;
  let end = markerEnd;
  for (;;) {
    const t = p.peek();
    if (t.type === '.' && p.peekSecond().type === 'ident') {
      p.next();
      const name = p.next();
      each = makeExpr(p, 'getattr', item.range.start, name.range.end, { object: each, name: name.text });
      end = name.range.end;
    } else if (!attrOnly && t.type === '[' && p.peekSecond().type !== '*') {
      p.next();
      p.pushNewlines(false);
      const key = parseExpression(p);
      const close = p.peek();
      if (close.type === ']') p.next();
      else p.error(close.range, 'Missing close bracket on index', `The index operator must end with a "]"; found ${describeToken(close)}.`);
      p.popNewlines();
      each = makeExpr(p, 'index', item.range.start, p.lastEnd(), { collection: each, key, legacy: false });
      end = p.lastEnd();
    } else {
      break;
    }
  }
  return makeExpr(p, 'splat', source.range.start, end, { source, each, attrOnly });
}

function parsePrimary(p: TokenStream): Expr {
  const t = p.peek();
  switch (t.type) {
    case 'number': {
      p.next();
      const value = /^0[xX]/.test(t.text) ? parseInt(t.text.slice(2), 16) : Number(t.text);
      if (!heldExactly(t.text, value)) {
        p.error(t.range, 'Invalid number', `The number ${t.text} cannot be held as written: a number must be finite and not vanishingly small, and a whole number at most ${Number.MAX_SAFE_INTEGER} in size.`);
      }
      return makeExpr(p, 'literal', t.range.start, t.range.end, { value });
    }
    case 'ident': {
      p.next();
      if (t.text === 'true' || t.text === 'false') return makeExpr(p, 'literal', t.range.start, t.range.end, { value: t.text === 'true' });
      if (t.text === 'null') return makeExpr(p, 'literal', t.range.start, t.range.end, { value: null });
      if (p.peekRaw().type === '(') return parseCall(p, t);
      return makeExpr(p, 'variable', t.range.start, t.range.end, { name: t.text });
    }
    case 'oquote':
    case 'oheredoc':
      return parseTemplate(p);
    case '(': {
      p.next();
      p.pushNewlines(false);
      const inner = parseExpression(p);
      const close = p.peek();
      if (close.type === ')') p.next();
      else p.error(close.range, 'Unbalanced parentheses', `Expected a closing parenthesis ")" here; found ${describeToken(close)}.`);
      p.popNewlines();
      return makeExpr(p, 'parens', t.range.start, p.lastEnd(), { inner });
    }
    case '[':
      return parseTuple(p);
    case '{':
      return parseObject(p);
    default: {
      p.error(t.range, 'Invalid expression', `Expected the start of an expression, but found ${describeToken(t)}.`);
      // Consume the token unless it is one that ends an enclosing construct.
      if (!['eof', 'newline', '}', ']', ')', ',', 'tmplend', 'cquote', 'cheredoc'].includes(t.type)) p.next();
      return invalidAt(p, t);
    }
  }
}

function parseCall(p: TokenStream, nameTok: Token): Expr {
  p.next(); // (
  p.pushNewlines(false);
  const args: Expr[] = [];
  let expandFinal = false;
  while (!p.is(')') && !p.is('eof')) {
    args.push(parseExpression(p));
    if (p.accept('...')) {
      expandFinal = true;
      if (!p.is(')')) {
        const t = p.peek();
        p.error(t.range, 'Missing closing parenthesis', 'An argument expanded with "..." must be the last argument; expected ")".');
      }
    }
    if (p.accept(',')) continue;
    if (!p.is(')')) {
      const t = p.peek();
      p.error(t.range, 'Missing argument separator', `Arguments to a function call are separated by commas; found ${describeToken(t)}.`);
      break;
    }
  }
  const close = p.peek();
  if (close.type === ')') p.next();
  else p.error(nameTok.range, 'Unterminated function call', `There is no closing parenthesis for this call to "${nameTok.text}".`);
  p.popNewlines();
  return makeExpr(p, 'call', nameTok.range.start, p.lastEnd(), { name: nameTok.text, nameRange: nameTok.range, args, expandFinal });
}

function isForKeyword(p: TokenStream): boolean {
  const t = p.peek();
  if (t.type !== 'ident' || t.text !== 'for') return false;
  const after = p.peekSecond();
  return after.type === 'ident';
}

function parseTuple(p: TokenStream): Expr {
  const open = p.next();
  p.pushNewlines(false);
  if (isForKeyword(p)) {
    const e = parseForBody(p, open, ']');
    p.popNewlines();
    return e;
  }
  const items: Expr[] = [];
  while (!p.is(']') && !p.is('eof')) {
    items.push(parseExpression(p));
    if (p.accept(',')) continue;
    if (!p.is(']')) {
      const t = p.peek();
      p.error(t.range, 'Missing item separator', `Items in a list are separated by commas; found ${describeToken(t)}.`);
      skipTo(p, ']');
      break;
    }
  }
  const close = p.peek();
  if (close.type === ']') p.next();
  else p.error(open.range, 'Unterminated list', 'There is no closing bracket "]" for this list.');
  p.popNewlines();
  return makeExpr(p, 'tuple', open.range.start, p.lastEnd(), { items });
}

function parseObject(p: TokenStream): Expr {
  const open = p.next();
  p.pushNewlines(false);
  if (isForKeyword(p)) {
    const e = parseForBody(p, open, '}');
    p.popNewlines();
    return e;
  }
  p.popNewlines();
  // Items are separated by commas or newlines.
  p.pushNewlines(true);
  const items: ObjectItem[] = [];
  for (;;) {
    while (p.accept('newline')) {}
    if (p.is('}') || p.is('eof')) break;
    p.pushNewlines(false);
    let key = parseExpression(p);
    p.popNewlines();
    // A bare identifier key names the attribute; it is not a variable reference.
    if (key.kind === 'variable') key = makeExpr(p, 'literal', key.range.start, key.range.end, { value: key.name });
    const sep = p.peek();
    if (sep.type !== '=' && sep.type !== ':') {
      p.error(sep.range, 'Missing key/value separator', `Expected an equals sign ("=") to mark the beginning of the attribute value; found ${describeToken(sep)}.`);
      skipTo(p, '}');
      break;
    }
    p.next();
    const value = parseExpression(p);
    items.push({ key, value });
    const after = p.peek();
    if (after.type === ',' || after.type === 'newline') {
      p.next();
      continue;
    }
    if (after.type === '}') break;
    p.error(after.range, 'Missing attribute separator', `Attributes in an object are separated by a comma or a newline; found ${describeToken(after)}.`);
    skipTo(p, '}');
    break;
  }
  p.popNewlines();
  const close = p.peek();
  if (close.type === '}') p.next();
  else p.error(open.range, 'Unterminated object', 'There is no closing brace "}" for this object.');
  return makeExpr(p, 'object', open.range.start, p.lastEnd(), { items });
}

/** Recovery inside brackets: skip to the closing token at this nesting depth. */
function skipTo(p: TokenStream, close: ']' | '}' | ')'): void {
  let depth = 0;
  for (;;) {
    const t = p.peekRaw();
    if (t.type === 'eof') return;
    if (depth === 0 && t.type === close) return;
    if (t.type === '{' || t.type === '[' || t.type === '(') depth++;
    if (t.type === '}' || t.type === ']' || t.type === ')') depth--;
    p.nextRaw();
  }
}

/** `[for k, v in coll : value if cond]` or `{for k, v in coll : key => value... if cond}`. */
function parseForBody(p: TokenStream, open: Token, close: ']' | '}'): Expr {
  p.next(); // for
  const first = p.next();
  let keyVar: string | undefined;
  let valueVar = first.text;
  if (p.accept(',')) {
    keyVar = first.text;
    const second = p.next();
    if (second.type !== 'ident') p.error(second.range, 'Invalid for expression', 'Expected a variable name after the comma.');
    valueVar = second.text;
  }
  const inTok = p.next();
  if (inTok.type !== 'ident' || inTok.text !== 'in') {
    p.error(inTok.range, 'Invalid for expression', `Expected "in" after the iteration variables; found ${describeToken(inTok)}.`);
  }
  const collection = parseExpression(p);
  const colon = p.peek();
  if (colon.type === ':') p.next();
  else p.error(colon.range, 'Invalid for expression', `Expected a colon ":" after the collection; found ${describeToken(colon)}.`);
  let keyExpr: Expr | undefined;
  let valueExpr = parseExpression(p);
  let grouping = false;
  if (close === '}') {
    keyExpr = valueExpr;
    const arrow = p.peek();
    if (arrow.type === '=>') p.next();
    else p.error(arrow.range, 'Invalid for expression', `An object "for" expression needs "=>" between the key and the value; found ${describeToken(arrow)}.`);
    valueExpr = parseExpression(p);
    if (p.accept('...')) grouping = true;
  }
  let condition: Expr | undefined;
  const ifTok = p.peek();
  if (ifTok.type === 'ident' && ifTok.text === 'if') {
    p.next();
    condition = parseExpression(p);
  }
  const end = p.peek();
  if (end.type === close) p.next();
  else {
    p.error(end.range, 'Invalid for expression', `Expected "${close}" to end the "for" expression; found ${describeToken(end)}.`);
    skipTo(p, close);
    p.accept(close);
  }
  const fields = { valueVar, collection, valueExpr, grouping } as ExprFields<'for'>;
  if (keyVar !== undefined) fields.keyVar = keyVar;
  if (keyExpr) fields.keyExpr = keyExpr;
  if (condition) fields.condition = condition;
  return makeExpr(p, 'for', open.range.start, p.lastEnd(), fields);
}
