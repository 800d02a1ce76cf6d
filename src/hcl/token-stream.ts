// The parser's view of the tokens. Newlines end arguments in a body but mean nothing inside
// brackets, so whether they are visible is a stack the parser pushes as it enters brackets.

import type { Diagnostic } from './diagnostic.js';
import type { Token, TokenType } from './lexer.js';
import type { Pos, Range } from './range.js';

/**
 * How deep blocks, brackets, templates and operator chains may nest. The parser recurses on
 * nesting, and so does everything that walks what it builds: past this a file is refused with
 * the position, rather than overflowing a stack. No job or configuration comes near it.
 */
export const MAX_NESTING = 200;

/** Thrown when the nesting passes MAX_NESTING; the parse stops there with one diagnostic. */
export class NestingTooDeep extends Error {}

export class TokenStream {
  private index = 0;
  private depth = 0;
  private readonly newlineModes: boolean[] = [true];
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    private readonly tokens: Token[],
    readonly source: string,
    readonly filename: string,
  ) {}

  private get includeNewlines(): boolean {
    return this.newlineModes[this.newlineModes.length - 1] ?? true;
  }

  /** Around the parse of anything that may nest; `at` is where the error points. */
  nested<T>(at: Token, parse: () => T): T {
    if (++this.depth > MAX_NESTING) {
      this.error(at.range, 'Nesting too deep', `Blocks, brackets and expressions may nest at most ${MAX_NESTING} levels deep.`);
      throw new NestingTooDeep();
    }
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  pushNewlines(include: boolean): void {
    this.newlineModes.push(include);
  }

  popNewlines(): void {
    if (this.newlineModes.length > 1) this.newlineModes.pop();
  }

  private skipIgnored(): void {
    if (this.includeNewlines) return;
    while (this.tokens[this.index]?.type === 'newline') this.index++;
  }

  peek(): Token {
    this.skipIgnored();
    return this.tokens[Math.min(this.index, this.tokens.length - 1)] as Token;
  }

  /** The token after the next one (with the same newline visibility). */
  peekSecond(): Token {
    this.skipIgnored();
    let i = this.index + 1;
    if (!this.includeNewlines) while (this.tokens[i]?.type === 'newline') i++;
    return this.tokens[Math.min(i, this.tokens.length - 1)] as Token;
  }

  next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.index++;
    return t;
  }

  /** The next token in raw order, newlines included: templates need every token. */
  nextRaw(): Token {
    const t = this.tokens[Math.min(this.index, this.tokens.length - 1)] as Token;
    if (t.type !== 'eof') this.index++;
    return t;
  }

  peekRaw(): Token {
    return this.tokens[Math.min(this.index, this.tokens.length - 1)] as Token;
  }

  is(type: TokenType): boolean {
    return this.peek().type === type;
  }

  accept(type: TokenType): Token | undefined {
    return this.is(type) ? this.next() : undefined;
  }

  /** The end of the token just consumed. */
  lastEnd(): Pos {
    for (let i = this.index - 1; i >= 0; i--) {
      const t = this.tokens[i] as Token;
      if (t.type !== 'newline') return t.range.end;
    }
    return { line: 1, column: 1, byte: 0 };
  }

  error(range: Range, summary: string, detail: string): void {
    // One problem at one place is reported once: recovery may trip over the same token again.
    if (this.diagnostics.some((d) => d.range?.start.byte === range.start.byte)) return;
    this.diagnostics.push({ severity: 'error', summary, detail, range });
  }

  range(start: Pos, end: Pos): Range {
    return { filename: this.filename, start, end };
  }

  text(range: Range): string {
    return this.source.slice(range.start.byte, range.end.byte);
  }

  /**
   * Recovery: skip to the end of the current line (or a closing brace that belongs to an
   * enclosing block), stepping over anything bracketed on the way.
   */
  skipToLineEnd(): void {
    let depth = 0;
    for (;;) {
      const t = this.peekRaw();
      if (t.type === 'eof') return;
      if (depth === 0 && (t.type === 'newline' || t.type === '}')) return;
      if (t.type === '{' || t.type === '[' || t.type === '(' || t.type === 'interp' || t.type === 'control') depth++;
      if (t.type === '}' || t.type === ']' || t.type === ')' || t.type === 'tmplend') depth = Math.max(0, depth - 1);
      this.nextRaw();
    }
  }
}

/** How a token is named in error messages. */
export function describeToken(t: Token): string {
  switch (t.type) {
    case 'eof':
      return 'the end of the file';
    case 'newline':
      return 'a newline';
    case 'ident':
      return `"${t.text}"`;
    case 'number':
      return `the number ${t.text}`;
    case 'oquote':
      return 'a quoted string';
    case 'oheredoc':
      return 'a heredoc';
    case 'interp':
    case 'control':
    case 'tmplend':
    case 'lit':
    case 'cquote':
    case 'cheredoc':
      return 'template text';
    default:
      return `"${t.text}"`;
  }
}
