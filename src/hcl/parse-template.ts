// Quoted strings and heredocs are templates: literal text, `${ expr }` interpolations, and
// `%{ if }` / `%{ for }` directives, with `~` markers that strip whitespace next to them.

import type { Expr, TemplatePart } from './ast.js';
import type { Token } from './lexer.js';
import type { Pos, Range } from './range.js';
import { makeExpr, parseExpression } from './parse-expression.js';
import { describeToken, type TokenStream } from './token-stream.js';

/** Template items before directives are nested: a flat sequence with strip markers. */
type FlatItem =
  | { kind: 'text'; value: string; range: Range; lineStart: boolean }
  | { kind: 'interp'; expr: Expr; range: Range; stripBefore: boolean; stripAfter: boolean }
  | { kind: 'if'; cond: Expr; range: Range; stripBefore: boolean; stripAfter: boolean }
  | { kind: 'else' | 'endif' | 'endfor'; range: Range; stripBefore: boolean; stripAfter: boolean }
  | { kind: 'for'; keyVar?: string; valueVar: string; collection: Expr; range: Range; stripBefore: boolean; stripAfter: boolean };

export function parseTemplate(p: TokenStream): Expr {
  const open = p.nextRaw();
  const heredoc = open.type === 'oheredoc';
  const closeType = heredoc ? 'cheredoc' : 'cquote';
  const items: FlatItem[] = [];
  for (;;) {
    const t = p.peekRaw();
    if (t.type === closeType) {
      p.nextRaw();
      break;
    }
    if (t.type === 'eof') break; // the lexer has already reported the unterminated string
    if (t.type === 'lit') {
      p.nextRaw();
      const value = heredoc ? unescapeHeredoc(t.text) : unescapeQuoted(p, t);
      items.push({ kind: 'text', value, range: t.range, lineStart: t.lineStart === true });
      continue;
    }
    if (t.type === 'interp' || t.type === 'control') {
      const item = parseSequence(p);
      if (item) items.push(item);
      continue;
    }
    // Cannot happen with tokens from our lexer; stay safe rather than loop.
    p.nextRaw();
  }
  if (heredoc && open.heredocFlush) flushIndent(items);
  applyStripMarkers(items);
  const parts = nest(p, items);
  const start = open.range.start;
  const end = p.lastEnd();
  if (!heredoc && parts.length === 1 && parts[0]?.kind === 'interp') {
    const only = parts[0];
    return makeExpr(p, 'template-wrap', start, end, { inner: only.expr, interpText: only.text });
  }
  return makeExpr(p, 'template', start, end, { parts, heredoc });
}

function parseSequence(p: TokenStream): FlatItem | undefined {
  const open = p.nextRaw();
  const stripBefore = open.strip === true;
  p.pushNewlines(false);
  const finish = (): { end: Pos; stripAfter: boolean } => {
    const close = p.peek();
    let stripAfter = false;
    if (close.type === 'tmplend') {
      p.next();
      stripAfter = close.strip === true;
    } else {
      p.error(close.range, 'Extra characters in template sequence', `Expected a closing brace "}" to end the template sequence; found ${describeToken(close)}.`);
      skipToTemplateEnd(p);
    }
    p.popNewlines();
    return { end: p.lastEnd(), stripAfter };
  };
  if (open.type === 'interp') {
    const expr = parseExpression(p);
    const { end, stripAfter } = finish();
    return { kind: 'interp', expr, range: p.range(open.range.start, end), stripBefore, stripAfter };
  }
  const keyword = p.peek();
  if (keyword.type === 'ident' && keyword.text === 'if') {
    p.next();
    const cond = parseExpression(p);
    const { end, stripAfter } = finish();
    return { kind: 'if', cond, range: p.range(open.range.start, end), stripBefore, stripAfter };
  }
  if (keyword.type === 'ident' && (keyword.text === 'else' || keyword.text === 'endif' || keyword.text === 'endfor')) {
    p.next();
    const { end, stripAfter } = finish();
    return { kind: keyword.text, range: p.range(open.range.start, end), stripBefore, stripAfter };
  }
  if (keyword.type === 'ident' && keyword.text === 'for') {
    p.next();
    const first = p.next();
    let keyVar: string | undefined;
    let valueVar = first.text;
    if (p.accept(',')) {
      keyVar = first.text;
      valueVar = p.next().text;
    }
    const inTok = p.next();
    if (inTok.type !== 'ident' || inTok.text !== 'in') {
      p.error(inTok.range, 'Invalid template directive', `Expected "in" after the iteration variables of a "for" directive; found ${describeToken(inTok)}.`);
    }
    const collection = parseExpression(p);
    const { end, stripAfter } = finish();
    const item: FlatItem = { kind: 'for', valueVar, collection, range: p.range(open.range.start, end), stripBefore, stripAfter };
    if (keyVar !== undefined) item.keyVar = keyVar;
    return item;
  }
  p.error(keyword.range, 'Invalid template directive', 'A template directive starts with "if", "else", "endif", "for" or "endfor".');
  skipToTemplateEnd(p);
  p.popNewlines();
  return undefined;
}

function skipToTemplateEnd(p: TokenStream): void {
  for (;;) {
    const t = p.peekRaw();
    if (t.type === 'eof' || t.type === 'cquote' || t.type === 'cheredoc') return;
    p.nextRaw();
    if (t.type === 'tmplend') return;
  }
}

/** `<<-` heredocs lose the indentation common to all their non-blank lines. */
function flushIndent(items: FlatItem[]): void {
  let min = Infinity;
  for (const item of items) {
    if (item.kind !== 'text' || !item.lineStart) continue;
    if (item.value.trim() === '') continue;
    const indent = /^[ \t]*/.exec(item.value)?.[0].length ?? 0;
    min = Math.min(min, indent);
  }
  if (min === Infinity || min === 0) return;
  for (const item of items) {
    if (item.kind !== 'text' || !item.lineStart) continue;
    const indent = /^[ \t]*/.exec(item.value)?.[0].length ?? 0;
    item.value = item.value.slice(Math.min(indent, min));
  }
}

function applyStripMarkers(items: FlatItem[]): void {
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as FlatItem;
    if (item.kind === 'text') continue;
    const before = items[i - 1];
    if (item.stripBefore && before?.kind === 'text') before.value = before.value.replace(/\s+$/u, '');
    const after = items[i + 1];
    if (item.stripAfter && after?.kind === 'text') after.value = after.value.replace(/^\s+/u, '');
  }
}

/** Turn the flat sequence into nested if/for parts, reporting unbalanced directives. */
function nest(p: TokenStream, items: FlatItem[]): TemplatePart[] {
  let index = 0;
  const parseUntil = (enders: string[]): { parts: TemplatePart[]; ender?: FlatItem } => {
    const parts: TemplatePart[] = [];
    while (index < items.length) {
      const item = items[index++] as FlatItem;
      switch (item.kind) {
        case 'text':
          if (item.value !== '') parts.push({ kind: 'text', value: item.value, range: item.range });
          break;
        case 'interp':
          parts.push({ kind: 'interp', expr: item.expr, range: item.range, text: p.text(item.range) });
          break;
        case 'if': {
          const thenPart = parseUntil(['else', 'endif']);
          let elsePart: TemplatePart[] = [];
          if (thenPart.ender?.kind === 'else') {
            const rest = parseUntil(['endif']);
            elsePart = rest.parts;
            if (!rest.ender) p.error(item.range, 'Unterminated template directive', 'This "if" directive has no matching %{ endif }.');
          } else if (!thenPart.ender) {
            p.error(item.range, 'Unterminated template directive', 'This "if" directive has no matching %{ endif }.');
          }
          parts.push({ kind: 'if', cond: item.cond, then: thenPart.parts, else: elsePart, range: item.range });
          break;
        }
        case 'for': {
          const body = parseUntil(['endfor']);
          if (!body.ender) p.error(item.range, 'Unterminated template directive', 'This "for" directive has no matching %{ endfor }.');
          const part: TemplatePart = { kind: 'for', valueVar: item.valueVar, collection: item.collection, body: body.parts, range: item.range };
          if (item.keyVar !== undefined) part.keyVar = item.keyVar;
          parts.push(part);
          break;
        }
        default:
          if (enders.includes(item.kind)) return { parts, ender: item };
          p.error(item.range, 'Unexpected template directive', `There is no open directive for this %{ ${item.kind} } to close.`);
      }
    }
    return { parts };
  };
  return parseUntil([]).parts;
}

/** Decode the escapes of a quoted string: \n \r \t \" \\ \uNNNN \UNNNNNNNN, $${ and %%{. */
function unescapeQuoted(p: TokenStream, t: Token): string {
  const raw = t.text;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '\\') {
      const n = raw[i + 1] ?? '';
      const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
      if (n in simple) {
        out += simple[n];
        i++;
        continue;
      }
      const hexLen = n === 'u' ? 4 : n === 'U' ? 8 : 0;
      const hex = raw.slice(i + 2, i + 2 + hexLen);
      if (hexLen > 0 && hex.length === hexLen && /^[0-9a-fA-F]+$/.test(hex)) {
        const cp = parseInt(hex, 16);
        if (cp <= 0x10ffff) {
          out += String.fromCodePoint(cp);
          i += 1 + hexLen;
          continue;
        }
      }
      const at: Pos = { line: t.range.start.line, column: t.range.start.column + [...raw.slice(0, i)].length, byte: t.range.start.byte + i };
      const end: Pos = { ...at, column: at.column + 2, byte: at.byte + 2 };
      p.error(p.range(at, end), 'Invalid escape sequence', `The escape "\\${n}" is not valid. Escapes are \\n, \\r, \\t, \\", \\\\, \\uNNNN and \\UNNNNNNNN.`);
      out += n;
      i++;
      continue;
    }
    if ((c === '$' || c === '%') && raw[i + 1] === c && raw[i + 2] === '{') {
      out += `${c}{`;
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

function unescapeHeredoc(raw: string): string {
  return raw.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{').replace(/\r\n/g, '\n');
}
