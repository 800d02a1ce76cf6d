// parseHcl: source text to a Body plus every syntax problem found. The parser recovers at line
// and block boundaries so that one mistake does not hide the next.

import type { Body, Expr } from './ast.js';
import type { Diagnostic } from './diagnostic.js';
import { lex } from './lexer.js';
import { parseBody } from './parse-body.js';
import { makeExpr, parseExpression } from './parse-expression.js';
import { describeToken, NestingTooDeep, TokenStream } from './token-stream.js';

export interface ParseResult {
  body: Body;
  diagnostics: Diagnostic[];
}

export function parseHcl(source: string, filename: string): ParseResult {
  const { tokens, diagnostics: lexDiags } = lex(source, filename);
  const stream = new TokenStream(tokens, source, filename);
  const body = stopIfTooDeep(
    () => parseBody(stream, undefined),
    (): Body => ({ kind: 'body', items: [], range: stream.range(tokens[0]!.range.start, tokens[tokens.length - 1]!.range.end) }),
  );
  return { body, diagnostics: mergeDiagnostics(lexDiags, stream.diagnostics) };
}

/** Parse a lone expression, e.g. a `-var` value given for a list-typed variable. */
export function parseHclExpression(source: string, filename: string): { expr: Expr; diagnostics: Diagnostic[] } {
  const { tokens, diagnostics: lexDiags } = lex(source, filename);
  const stream = new TokenStream(tokens, source, filename);
  stream.pushNewlines(false);
  const expr = stopIfTooDeep(
    () => parseExpression(stream),
    (): Expr => makeExpr(stream, 'invalid', tokens[0]!.range.start, tokens[tokens.length - 1]!.range.end, {}),
  );
  const rest = stream.peek();
  if (rest.type !== 'eof') {
    stream.error(rest.range, 'Extra characters after expression', `Expected the end of the expression; found ${describeToken(rest)}.`);
  }
  return { expr, diagnostics: mergeDiagnostics(lexDiags, stream.diagnostics) };
}

/** A parse that went too deep ends with its diagnostic and stands-in for what it would have built. */
function stopIfTooDeep<T>(parse: () => T, standIn: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof NestingTooDeep) return standIn();
    throw e;
  }
}

/** Lexer and parser problems, in source order. */
function mergeDiagnostics(a: Diagnostic[], b: Diagnostic[]): Diagnostic[] {
  return [...a, ...b].sort((x, y) => (x.range?.start.byte ?? 0) - (y.range?.start.byte ?? 0));
}
