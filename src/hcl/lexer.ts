// The HCL scanner. HCL is lexed in modes: ordinary expression text, the inside of a quoted
// template, and the inside of a heredoc. A stack of open brackets decides which mode a closing
// brace returns to, so `"a ${ {x = 1}.x } b"` lexes correctly.

import type { Diagnostic } from './diagnostic.js';
import type { Pos, Range } from './range.js';

export type TokenType =
  | 'ident'
  | 'number'
  | 'oquote' // opening " of a quoted template
  | 'cquote' // closing "
  | 'lit' // literal text inside a template, raw (escapes not yet decoded)
  | 'interp' // ${
  | 'control' // %{
  | 'tmplend' // } closing an interpolation or directive
  | 'oheredoc' // <<EOF or <<-EOF and its newline
  | 'cheredoc' // the closing marker line
  | 'newline'
  | 'eof'
  | 'invalid'
  | '{' | '}' | '[' | ']' | '(' | ')'
  | ',' | '.' | '...' | '=' | '=>' | ':' | '?' | '!'
  | '==' | '!=' | '<' | '>' | '<=' | '>=' | '&&' | '||'
  | '+' | '-' | '*' | '/' | '%';

export interface Token {
  type: TokenType;
  /** The exact source text of the token. */
  text: string;
  range: Range;
  /** For interp/control: `${~`; for tmplend: `~}`. */
  strip?: boolean;
  /** For heredoc literals: this literal begins a line (used by `<<-` indentation stripping). */
  lineStart?: boolean;
  /** For oheredoc: the marker word and whether it is the indented `<<-` form. */
  heredocMarker?: string;
  heredocFlush?: boolean;
}

type Frame =
  | { kind: 'brace' }
  | { kind: 'paren' }
  | { kind: 'template-brace' }
  | { kind: 'quoted' }
  | { kind: 'heredoc'; marker: string; atLineStart: boolean };

const PUNCT3 = ['...'];
const PUNCT2 = ['=>', '==', '!=', '<=', '>=', '&&', '||'];
const PUNCT1 = '{}[](),.=:?!<>+-*/%';

const ID_START = /[\p{ID_Start}_]/u;
const ID_CONTINUE = /[\p{ID_Continue}\-_]/u;

export interface LexResult {
  tokens: Token[];
  diagnostics: Diagnostic[];
}

export function lex(source: string, filename: string): LexResult {
  return new Lexer(source, filename).run();
}

class Lexer {
  private offset = 0;
  private line = 1;
  private column = 1;
  private readonly tokens: Token[] = [];
  private readonly diagnostics: Diagnostic[] = [];
  private readonly stack: Frame[] = [];

  constructor(
    private readonly src: string,
    private readonly filename: string,
  ) {
    // A byte-order mark is not content.
    if (src.charCodeAt(0) === 0xfeff) this.offset = 1;
  }

  run(): LexResult {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top?.kind === 'quoted') this.scanQuoted();
      else if (top?.kind === 'heredoc') this.scanHeredoc(top);
      else if (!this.scanNormal()) break;
    }
    return { tokens: this.tokens, diagnostics: this.diagnostics };
  }

  private pos(): Pos {
    return { line: this.line, column: this.column, byte: this.offset };
  }

  private peekChar(ahead = 0): string {
    return this.src[this.offset + ahead] ?? '';
  }

  /** Advance over one code point, keeping line and column right. */
  private advance(): string {
    const cp = this.src.codePointAt(this.offset);
    if (cp === undefined) return '';
    const ch = String.fromCodePoint(cp);
    this.offset += ch.length;
    if (ch === '\n') {
      this.line++;
      this.column = 1;
    } else {
      this.column++;
    }
    return ch;
  }

  private emit(type: TokenType, start: Pos, extra?: Partial<Token>): Token {
    const end = this.pos();
    const token: Token = {
      type,
      text: this.src.slice(start.byte, end.byte),
      range: { filename: this.filename, start, end },
      ...extra,
    };
    this.tokens.push(token);
    return token;
  }

  private error(start: Pos, summary: string, detail: string): void {
    const end = this.pos();
    this.diagnostics.push({
      severity: 'error',
      summary,
      detail,
      range: { filename: this.filename, start, end: end.byte > start.byte ? end : start },
    });
  }

  /** Returns false once EOF has been emitted. */
  private scanNormal(): boolean {
    // Whitespace and comments. Newlines are tokens: they end arguments.
    for (;;) {
      const c = this.peekChar();
      if (c === ' ' || c === '\t' || c === '\r') {
        this.advance();
      } else if (c === '#' || (c === '/' && this.peekChar(1) === '/')) {
        while (this.offset < this.src.length && this.peekChar() !== '\n') this.advance();
      } else if (c === '/' && this.peekChar(1) === '*') {
        const start = this.pos();
        this.advance();
        this.advance();
        let closed = false;
        while (this.offset < this.src.length) {
          if (this.peekChar() === '*' && this.peekChar(1) === '/') {
            this.advance();
            this.advance();
            closed = true;
            break;
          }
          this.advance();
        }
        if (!closed) {
          this.error(start, 'Unterminated comment', 'There is no "*/" closing this comment before the end of the file.');
        }
      } else {
        break;
      }
    }

    const start = this.pos();
    const c = this.peekChar();
    if (c === '') {
      this.emit('eof', start);
      return false;
    }
    if (c === '\n') {
      this.advance();
      this.emit('newline', start);
      return true;
    }
    if (c === '"') {
      this.advance();
      this.emit('oquote', start);
      this.stack.push({ kind: 'quoted' });
      return true;
    }
    if (c === '<' && this.peekChar(1) === '<' && this.tryHeredocStart(start)) return true;
    if (/[0-9]/.test(c)) {
      this.scanNumber(start);
      return true;
    }
    const cp = String.fromCodePoint(this.src.codePointAt(this.offset) ?? 0);
    if (ID_START.test(cp)) {
      this.advance();
      while (this.offset < this.src.length) {
        const n = String.fromCodePoint(this.src.codePointAt(this.offset) ?? 0);
        if (!ID_CONTINUE.test(n)) break;
        this.advance();
      }
      this.emit('ident', start);
      return true;
    }
    if (c === '~' && this.peekChar(1) === '}' && this.stack[this.stack.length - 1]?.kind === 'template-brace') {
      this.advance();
      this.advance();
      this.closeTemplateBrace(start, true);
      return true;
    }
    for (const p of PUNCT3) {
      if (this.src.startsWith(p, this.offset)) {
        this.offset += p.length;
        this.column += p.length;
        this.emit(p as TokenType, start);
        return true;
      }
    }
    for (const p of PUNCT2) {
      if (this.src.startsWith(p, this.offset)) {
        this.offset += p.length;
        this.column += p.length;
        this.emit(p as TokenType, start);
        return true;
      }
    }
    if (PUNCT1.includes(c)) {
      this.advance();
      if (c === '{' || c === '[' || c === '(') {
        this.stack.push(c === '{' ? { kind: 'brace' } : { kind: 'paren' });
      } else if (c === '}') {
        const top = this.stack[this.stack.length - 1];
        if (top?.kind === 'template-brace') {
          this.closeTemplateBrace(start, false);
          return true;
        }
        if (top?.kind === 'brace') this.stack.pop();
      } else if (c === ']' || c === ')') {
        if (this.stack[this.stack.length - 1]?.kind === 'paren') this.stack.pop();
      }
      this.emit(c as TokenType, start);
      return true;
    }
    this.advance();
    const shown = c === "'" ? `Single quotes are not valid: use double quotes (") to write a string.` : `The character ${JSON.stringify(cp)} is not valid here.`;
    this.error(start, 'Invalid character', shown);
    this.emit('invalid', start);
    return true;
  }

  private closeTemplateBrace(start: Pos, strip: boolean): void {
    this.stack.pop();
    this.emit('tmplend', start, strip ? { strip: true } : {});
  }

  private scanNumber(start: Pos): void {
    // HCL1 configuration files sometimes use hexadecimal; HCL2 has only decimal.
    if (this.peekChar() === '0' && (this.peekChar(1) === 'x' || this.peekChar(1) === 'X') && /[0-9a-fA-F]/.test(this.peekChar(2))) {
      this.advance();
      this.advance();
      while (/[0-9a-fA-F]/.test(this.peekChar())) this.advance();
      this.emit('number', start);
      return;
    }
    while (/[0-9]/.test(this.peekChar())) this.advance();
    if (this.peekChar() === '.' && /[0-9]/.test(this.peekChar(1))) {
      this.advance();
      while (/[0-9]/.test(this.peekChar())) this.advance();
    }
    if ((this.peekChar() === 'e' || this.peekChar() === 'E') && (/[0-9]/.test(this.peekChar(1)) || (/[+-]/.test(this.peekChar(1)) && /[0-9]/.test(this.peekChar(2))))) {
      this.advance();
      if (/[+-]/.test(this.peekChar())) this.advance();
      while (/[0-9]/.test(this.peekChar())) this.advance();
    }
    this.emit('number', start);
  }

  private tryHeredocStart(start: Pos): boolean {
    const m = /^<<(-?)([\p{ID_Start}_][\p{ID_Continue}\-_]*)\r?\n/u.exec(this.src.slice(this.offset, this.offset + 200));
    if (!m) return false;
    const [all, dash, marker] = m as unknown as [string, string, string];
    for (let i = 0; i < all.length; i++) this.advance();
    this.emit('oheredoc', start, { heredocMarker: marker, heredocFlush: dash === '-' });
    this.stack.push({ kind: 'heredoc', marker, atLineStart: true });
    return true;
  }

  /** Is the text at `at` the start of a `${` or `%{` that is not escaped as `$${` / `%%{`? */
  private templateOpenerAt(at: number): '${' | '%{' | undefined {
    const c = this.src[at];
    if ((c === '$' || c === '%') && this.src[at + 1] === '{') return c === '$' ? '${' : '%{';
    return undefined;
  }

  private openTemplateSequence(): void {
    const start = this.pos();
    const kind = this.peekChar() === '$' ? 'interp' : 'control';
    this.advance();
    this.advance();
    let strip = false;
    if (this.peekChar() === '~') {
      this.advance();
      strip = true;
    }
    this.emit(kind, start, strip ? { strip: true } : {});
    this.stack.push({ kind: 'template-brace' });
  }

  private scanQuoted(): void {
    const start = this.pos();
    for (;;) {
      const c = this.peekChar();
      if (c === '' || c === '\n') {
        if (this.offset > start.byte) this.emit('lit', start);
        const here = this.pos();
        this.error(here, 'Unterminated template string', 'A quoted string must end with a closing quote (") on the same line.');
        this.stack.pop();
        // Stand-in closing quote so the parser sees a whole string and can carry on.
        this.tokens.push({ type: 'cquote', text: '', range: { filename: this.filename, start: here, end: here } });
        return;
      }
      if (c === '"') {
        if (this.offset > start.byte) this.emit('lit', start);
        const q = this.pos();
        this.advance();
        this.emit('cquote', q);
        this.stack.pop();
        return;
      }
      if (c === '\\') {
        this.advance();
        if (this.peekChar() !== '\n' && this.peekChar() !== '') this.advance();
        continue;
      }
      if ((c === '$' || c === '%') && this.peekChar(1) === c && this.peekChar(2) === '{') {
        // `$${` and `%%{` are escapes for a literal `${` / `%{`.
        this.advance();
        this.advance();
        this.advance();
        continue;
      }
      if (this.templateOpenerAt(this.offset)) {
        if (this.offset > start.byte) this.emit('lit', start);
        this.openTemplateSequence();
        return;
      }
      this.advance();
    }
  }

  private scanHeredoc(frame: Extract<Frame, { kind: 'heredoc' }>): void {
    if (frame.atLineStart) {
      // Is this line the closing marker?
      const lineEnd = this.src.indexOf('\n', this.offset);
      const line = this.src.slice(this.offset, lineEnd < 0 ? this.src.length : lineEnd).replace(/\r$/, '');
      if (line.trim() === frame.marker) {
        const start = this.pos();
        while (this.peekChar() === ' ' || this.peekChar() === '\t') this.advance();
        for (let i = 0; i < frame.marker.length; i++) this.advance();
        this.emit('cheredoc', start);
        this.stack.pop();
        return;
      }
      if (this.offset >= this.src.length) {
        this.error(this.pos(), 'Unterminated heredoc', `There is no line "${frame.marker}" closing this heredoc before the end of the file.`);
        this.stack.pop();
        const here = this.pos();
        this.tokens.push({ type: 'cheredoc', text: '', range: { filename: this.filename, start: here, end: here } });
        return;
      }
    }
    const start = this.pos();
    const lineStart = frame.atLineStart;
    frame.atLineStart = false;
    for (;;) {
      const c = this.peekChar();
      if (c === '') {
        if (this.offset > start.byte) this.emit('lit', start, { lineStart });
        frame.atLineStart = true;
        return;
      }
      if (c === '\n') {
        this.advance();
        this.emit('lit', start, { lineStart });
        frame.atLineStart = true;
        return;
      }
      if ((c === '$' || c === '%') && this.peekChar(1) === c && this.peekChar(2) === '{') {
        this.advance();
        this.advance();
        this.advance();
        continue;
      }
      if (this.templateOpenerAt(this.offset)) {
        if (this.offset > start.byte) this.emit('lit', start, { lineStart });
        this.openTemplateSequence();
        return;
      }
      this.advance();
    }
  }
}
