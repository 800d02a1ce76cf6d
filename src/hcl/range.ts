// Source positions. Every syntax node carries a Range so that any error, even one found long
// after parsing (for example while decoding a job), can point at the exact text that caused it.

export interface Pos {
  /** 1-based line number. */
  line: number;
  /** 1-based column, counted in Unicode code points from the start of the line. */
  column: number;
  /** 0-based offset in UTF-16 code units into the source string (what String.slice takes). */
  byte: number;
}

export interface Range {
  filename: string;
  start: Pos;
  end: Pos;
}

export function makeRange(filename: string, start: Pos, end: Pos): Range {
  return { filename, start, end };
}

/** The smallest range covering both a and b (which must be from the same file). */
export function joinRanges(a: Range, b: Range): Range {
  const start = a.start.byte <= b.start.byte ? a.start : b.start;
  const end = a.end.byte >= b.end.byte ? a.end : b.end;
  return { filename: a.filename, start, end };
}

/** "file.hcl:12:5" — the form editors and terminals turn into links. */
export function formatPos(range: Range): string {
  return `${range.filename}:${range.start.line}:${range.start.column}`;
}
