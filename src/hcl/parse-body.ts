// Bodies: a sequence of `name = expr` attributes and `type "label" ... { body }` blocks.
// Lenient where HCL1 files (agent configuration) differ from HCL2: quoted attribute names
// (`"rack" = "r1"`), several items on one line, and commas between items are accepted.

import type { Attribute, Block, Body, BodyItem } from './ast.js';
import type { Token } from './lexer.js';
import { parseExpression } from './parse-expression.js';
import { describeToken, type TokenStream } from './token-stream.js';

/**
 * Parse items until `}` (when inside a block) or the end of the file.
 * `openBrace` is the block's opening brace, for the "unclosed block" report.
 */
export function parseBody(p: TokenStream, openBrace: Token | undefined): Body {
  const start = p.peekRaw().range.start;
  const items: BodyItem[] = [];
  p.pushNewlines(true);
  for (;;) {
    const t = p.peek();
    if (t.type === 'newline' || t.type === ',') {
      p.next();
      continue;
    }
    if (t.type === 'eof') {
      if (openBrace) {
        p.error(openBrace.range, 'Unclosed configuration block', 'There is no closing brace for this block before the end of the file; every "{" needs a matching "}".');
      }
      break;
    }
    if (t.type === '}') {
      if (openBrace) break;
      p.error(t.range, 'Unexpected closing brace', 'This "}" does not close any block: check for an extra brace or a block opened too early.');
      p.next();
      continue;
    }
    const item = parseItem(p);
    if (item) items.push(item);
  }
  p.popNewlines();
  return { kind: 'body', items, range: p.range(start, p.peekRaw().range.start) };
}

function parseItem(p: TokenStream): BodyItem | undefined {
  const nameTok = p.peek();
  let name: string;
  if (nameTok.type === 'ident') {
    p.next();
    name = nameTok.text;
  } else if (nameTok.type === 'oquote') {
    const quoted = readQuotedLabel(p);
    if (quoted === undefined) return undefined;
    name = quoted;
  } else {
    p.error(nameTok.range, 'Argument or block definition required', `An argument or block definition is required here; found ${describeToken(nameTok)}.`);
    p.next();
    p.skipToLineEnd();
    return undefined;
  }
  const nameRange = p.range(nameTok.range.start, p.lastEnd());
  const after = p.peek();
  if (after.type === '=' || (after.type === ':' && nameTok.type === 'oquote')) {
    p.next();
    const expr = parseExpression(p);
    const attr: Attribute = { kind: 'attribute', name, nameRange, expr, range: p.range(nameTok.range.start, expr.range.end) };
    endOfItem(p, 'argument');
    return attr;
  }
  if (after.type === '{' || after.type === 'ident' || after.type === 'oquote') {
    return parseBlock(p, name, nameRange);
  }
  if (after.type === 'newline' || after.type === 'eof' || after.type === '}') {
    p.error(nameRange, 'Invalid argument or block', `"${name}" must be followed by an equals sign ("=") to set an argument, or by a "{" to open a block.`);
    return undefined;
  }
  p.error(after.range, 'Invalid argument or block', `Expected "=" or a block's "{" after "${name}"; found ${describeToken(after)}.`);
  p.skipToLineEnd();
  return undefined;
}

function parseBlock(p: TokenStream, type: string, typeRange: Block['typeRange']): Block | undefined {
  const labels: string[] = [];
  const labelRanges: Block['labelRanges'] = [];
  for (;;) {
    const t = p.peek();
    if (t.type === 'ident') {
      p.next();
      labels.push(t.text);
      labelRanges.push(t.range);
    } else if (t.type === 'oquote') {
      const label = readQuotedLabel(p);
      if (label === undefined) return undefined;
      labels.push(label);
      labelRanges.push(p.range(t.range.start, p.lastEnd()));
    } else {
      break;
    }
  }
  const open = p.peek();
  if (open.type !== '{') {
    p.error(open.range, 'Invalid block definition', `A block's labels must be followed by "{"; found ${describeToken(open)}.`);
    p.skipToLineEnd();
    return undefined;
  }
  p.next();
  const body = p.nested(open, () => parseBody(p, open));
  const close = p.peek();
  let closeRange = close.range;
  if (close.type === '}') {
    p.next();
    endOfItem(p, 'block');
  } else {
    closeRange = { ...close.range, end: close.range.start };
  }
  return {
    kind: 'block',
    type,
    typeRange,
    labels,
    labelRanges,
    body,
    openBraceRange: open.range,
    closeBraceRange: closeRange,
    range: p.range(typeRange.start, closeRange.end),
  };
}

/** A quoted block label or attribute name: plain text only, no interpolation. */
function readQuotedLabel(p: TokenStream): string | undefined {
  const open = p.next();
  let value = '';
  for (;;) {
    const t = p.peekRaw();
    if (t.type === 'cquote') {
      p.nextRaw();
      return value;
    }
    if (t.type === 'lit') {
      p.nextRaw();
      value += t.text.replace(/\\(["\\])/g, '$1');
      continue;
    }
    if (t.type === 'interp' || t.type === 'control') {
      p.error(t.range, 'Invalid block label', 'Block labels and quoted names are plain strings: template sequences (${...}, %{...}) are not allowed here.');
      // Skip the rest of the string.
      while (!['cquote', 'eof'].includes(p.peekRaw().type)) p.nextRaw();
      p.nextRaw();
      p.skipToLineEnd();
      return undefined;
    }
    p.error(open.range, 'Invalid block label', 'This quoted string is not terminated.');
    return undefined;
  }
}

/** After an argument or a block's closing brace: a newline, a comma, `}` or the end of file. */
function endOfItem(p: TokenStream, what: 'argument' | 'block'): void {
  const t = p.peek();
  if (t.type === 'newline' || t.type === 'eof' || t.type === '}' || t.type === ',') return;
  // Another item on the same line: HCL1 allowed this; accept it when it looks like one.
  if ((t.type === 'ident' || t.type === 'oquote') && looksLikeItemStart(p)) return;
  p.error(
    t.range,
    what === 'argument' ? 'Missing newline after argument' : 'Missing newline after block definition',
    `An ${what} definition must end with a newline; found ${describeToken(t)}.`,
  );
  p.skipToLineEnd();
}

function looksLikeItemStart(p: TokenStream): boolean {
  const second = p.peekSecond();
  return p.peek().type === 'ident' ? second.type === '=' || second.type === '{' || second.type === 'oquote' : true;
}
