// A JSON parser that keeps where every value was written, so that errors in JSON job files
// can point at a line and column like errors in HCL files do.

import type { Pos, Range } from '../hcl/range.js';

export type JsonNode =
  | { kind: 'object'; entries: Array<{ key: string; keyRange: Range; value: JsonNode }>; range: Range }
  | { kind: 'array'; items: JsonNode[]; range: Range }
  | { kind: 'string'; value: string; range: Range }
  | { kind: 'number'; value: number; range: Range }
  | { kind: 'bool'; value: boolean; range: Range }
  | { kind: 'null'; range: Range };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly range: Range,
  ) {
    super(message);
  }
}

/** As deep as the agent takes a JSON body. */
const MAX_JSON_NESTING = 512;

export function parseJsonWithPositions(text: string, filename: string): JsonNode {
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const pos = (): Pos => ({ line, column: i - lineStart + 1, byte: i });
  const fail = (message: string): never => {
    const p = pos();
    throw new JsonSyntaxError(message, { filename, start: p, end: p });
  };
  const ws = (): void => {
    while (i < text.length) {
      const c = text[i];
      if (c === '\n') {
        line++;
        lineStart = i + 1;
      } else if (c !== ' ' && c !== '\t' && c !== '\r') break;
      i++;
    }
  };
  const range = (start: Pos): Range => ({ filename, start, end: pos() });
  // Each level is a few frames of this parser and of what reads its result: bound it.
  let depth = 0;
  const enter = (): void => {
    if (++depth > MAX_JSON_NESTING) fail(`Nesting too deep: arrays and objects may nest at most ${MAX_JSON_NESTING} levels`);
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      if (text[i] === '\n') fail('Unterminated string');
      i++;
    }
    if (i >= text.length) fail('Unterminated string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('Invalid escape in string');
    }
  };
  const value = (): JsonNode => {
    ws();
    const start = pos();
    const c = text[i];
    if (c === '{') {
      enter();
      i++;
      const entries: Array<{ key: string; keyRange: Range; value: JsonNode }> = [];
      ws();
      if (text[i] === '}') {
        i++;
        depth--;
        return { kind: 'object', entries, range: range(start) };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('Expected a quoted object key');
        const keyStart = pos();
        const key = str();
        const keyRange = range(keyStart);
        ws();
        if (text[i] !== ':') fail('Expected ":" after the object key');
        i++;
        entries.push({ key, keyRange, value: value() });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          depth--;
          return { kind: 'object', entries, range: range(start) };
        }
        fail('Expected "," or "}" in object');
      }
    }
    if (c === '[') {
      enter();
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        depth--;
        return { kind: 'array', items, range: range(start) };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          depth--;
          return { kind: 'array', items, range: range(start) };
        }
        fail('Expected "," or "]" in array');
      }
    }
    if (c === '"') return { kind: 'string', value: str(), range: range(start) };
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m) {
      i += m[0].length;
      return { kind: 'number', value: Number(m[0]), range: range(start) };
    }
    for (const [word, node] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return node === null ? { kind: 'null', range: range(start) } : { kind: 'bool', value: node, range: range(start) };
      }
    }
    return fail(i >= text.length ? 'Unexpected end of input' : `Unexpected character ${JSON.stringify(text[i])}`);
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  const root = value();
  ws();
  if (i < text.length) fail('Unexpected text after the JSON value');
  return root;
}

/** The plain value of a node. */
export function jsonValue(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const e of node.entries) {
        if (e.key === '__proto__') Object.defineProperty(out, e.key, { value: jsonValue(e.value), enumerable: true, writable: true, configurable: true });
        else out[e.key] = jsonValue(e.value);
      }
      return out;
    }
    case 'array':
      return node.items.map(jsonValue);
    case 'null':
      return null;
    default:
      return node.value;
  }
}
