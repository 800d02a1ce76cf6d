// Reading one block of a job file against what that block may contain. Each getter takes an
// argument or nested block by name, converts it and reports a wrong type where it is written;
// finish() then reports every argument and block that nobody asked for. Decoders stay short
// and read like the specification of their block.

import type { Attribute, Block, Body } from '../hcl/ast.js';
import { asBool, asInteger, asNumber, asString, ConversionError } from '../hcl/convert.js';
import type { Diagnostic } from '../hcl/diagnostic.js';
import { evaluate, type EvalContext } from '../hcl/evaluate.js';
import { parseGoDuration } from '../hcl/functions/duration.js';
import { bodyToPlain } from '../hcl/plain.js';
import type { Range } from '../hcl/range.js';
import { describeType, isObjectValue, type Value } from '../hcl/value.js';
import { usesPoisoned, type Poisoned } from './references.js';

export interface DecodeContext {
  evalCtx: EvalContext;
  diagnostics: Diagnostic[];
  /** Variables and locals already reported as wrong: arguments using them are skipped quietly. */
  poisoned?: Poisoned;
}

const where = (r: Range): string => `${r.filename}:${r.start.line},${r.start.column}`;

export class BlockReader {
  private readonly attrs = new Map<string, Attribute>();
  private readonly blocksByType = new Map<string, Block[]>();
  private readonly used = new Set<string>();

  constructor(
    readonly body: Body,
    readonly ctx: DecodeContext,
    /** The block's name in messages, e.g. `task "redis"`. */
    readonly what: string,
  ) {
    for (const item of body.items) {
      if (item.kind === 'attribute') {
        const earlier = this.attrs.get(item.name);
        if (earlier) {
          this.error(item.nameRange, 'Attribute redefined', `The argument "${item.name}" was already set at ${where(earlier.nameRange)}. Each argument may be set only once.`);
          continue;
        }
        this.attrs.set(item.name, item);
      } else {
        const list = this.blocksByType.get(item.type) ?? [];
        list.push(item);
        this.blocksByType.set(item.type, list);
      }
    }
  }

  error(range: Range | undefined, summary: string, detail: string): void {
    this.ctx.diagnostics.push(range ? { severity: 'error', summary, detail, range } : { severity: 'error', summary, detail });
  }

  has(name: string): boolean {
    return this.attrs.has(name) || this.blocksByType.has(name);
  }

  attribute(name: string): Attribute | undefined {
    return this.attrs.get(name);
  }

  /** The evaluated value of an argument (runtime references kept as text), or undefined. */
  value(name: string): Value | undefined {
    const attr = this.attrs.get(name);
    if (!attr) return undefined;
    this.used.add(name);
    if (this.ctx.poisoned && usesPoisoned(attr.expr, this.ctx.poisoned)) return undefined;
    const r = evaluate(attr.expr, this.ctx.evalCtx);
    if (r.diagnostics.length > 0) {
      this.ctx.diagnostics.push(...r.diagnostics);
      return undefined;
    }
    return r.value;
  }

  private typed<T>(name: string, wanted: string, conv: (v: Value) => T): T | undefined {
    const v = this.value(name);
    if (v === undefined || v === null) return undefined;
    try {
      return conv(v);
    } catch (e) {
      if (!(e instanceof ConversionError)) throw e;
      const attr = this.attrs.get(name) as Attribute;
      this.error(attr.expr.range, 'Incorrect attribute value type', `Inappropriate value for attribute "${name}": ${wanted} is required, but the value is ${describeValue(v)}.`);
      return undefined;
    }
  }

  string(name: string): string | undefined {
    return this.typed(name, 'a string', (v) => asString(v));
  }

  int(name: string): number | undefined {
    return this.typed(name, 'a whole number', (v) => asInteger(v));
  }

  number(name: string): number | undefined {
    return this.typed(name, 'a number', (v) => asNumber(v));
  }

  bool(name: string): boolean | undefined {
    return this.typed(name, 'a bool', (v) => asBool(v));
  }

  /** A Go duration string ("10s", "1m30s") or a whole number of nanoseconds, as nanoseconds. */
  duration(name: string): number | undefined {
    return this.typed(name, 'a duration like "30s" or "1h30m"', (v) => {
      if (typeof v === 'number') return asInteger(v);
      const ns = parseGoDuration(asString(v));
      if (ns === undefined) throw new ConversionError('not a duration');
      return Math.round(ns);
    });
  }

  stringList(name: string): string[] | undefined {
    return this.typed(name, 'a list of strings', (v) => {
      if (!Array.isArray(v)) throw new ConversionError('not a list');
      return v.map((x) => asString(x));
    });
  }

  /**
   * A map of strings written as an argument (`meta = { a = "b" }`) or as a block
   * (`meta { a = "b" }`). Numbers and bools become strings, as Nomad's meta and env are strings.
   */
  stringMap(name: string): Record<string, string> | undefined {
    const blocks = this.takeBlocks(name);
    if (this.attrs.has(name)) {
      if (blocks.length > 0) this.error(blocks[0]?.typeRange, 'Duplicate definition', `"${name}" is set both as an argument and as a block in ${this.what}.`);
      return this.typed(name, 'a map of strings', (v) => {
        if (!isObjectValue(v)) throw new ConversionError('not a map');
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asString(x)]));
      });
    }
    if (blocks.length === 0) return undefined;
    const out: Record<string, string> = {};
    for (const block of blocks) {
      this.noLabels(block);
      const reader = new BlockReader(block.body, this.ctx, name);
      for (const item of block.body.items) {
        if (item.kind === 'block') {
          this.error(item.typeRange, 'Unsupported block type', `Blocks of type "${item.type}" are not expected in ${name}: it holds only "key = value" pairs.`);
          continue;
        }
        const s = reader.string(item.name);
        if (s !== undefined) out[item.name] = s;
      }
    }
    return out;
  }

  /** Any value, as the file wrote it (for free-form maps such as artifact options). */
  plainMap(name: string): Record<string, unknown> | undefined {
    const blocks = this.takeBlocks(name);
    if (this.attrs.has(name)) {
      return this.typed(name, 'a map', (v) => {
        if (!isObjectValue(v)) throw new ConversionError('not a map');
        return v as Record<string, unknown>;
      });
    }
    if (blocks.length === 0) return undefined;
    const out: Record<string, unknown> = {};
    for (const block of blocks) {
      this.noLabels(block);
      Object.assign(out, this.bodyAsPlain(block.body));
    }
    return out;
  }

  /**
   * A free-form block (a task's driver `config`), with nested blocks as lists of objects, the
   * shape task drivers decode.
   */
  rawBlock(name: string): Record<string, unknown> | undefined {
    const blocks = this.takeBlocks(name);
    const first = blocks[0];
    if (!first) return undefined;
    this.onlyOne(name, blocks);
    this.noLabels(first);
    return this.bodyAsPlain(first.body);
  }

  private bodyAsPlain(body: Body): Record<string, unknown> {
    const r = bodyToPlain(body, this.ctx.evalCtx, { blocksAsLists: true });
    this.ctx.diagnostics.push(...r.diagnostics);
    return r.value as Record<string, unknown>;
  }

  private takeBlocks(type: string): Block[] {
    this.used.add(type);
    return this.blocksByType.get(type) ?? [];
  }

  private noLabels(block: Block): void {
    if (block.labels.length > 0) {
      this.error(block.labelRanges[0], `Extraneous label for ${block.type}`, `No labels are expected for ${block.type} blocks.`);
    }
  }

  private onlyOne(type: string, blocks: Block[]): void {
    const [first, ...rest] = blocks;
    for (const b of rest) {
      this.error(b.typeRange, `Duplicate ${type} block`, `Only one ${type} block is allowed in ${this.what}. Another was defined at ${where((first as Block).typeRange)}.`);
    }
  }

  /** At most one unlabeled block. */
  block<T>(type: string, decode: (r: BlockReader, block: Block) => T): T | undefined {
    const blocks = this.takeBlocks(type);
    const first = blocks[0];
    if (!first) return undefined;
    this.onlyOne(type, blocks);
    this.noLabels(first);
    return this.decodeWith(first, type, decode);
  }

  /** Any number of unlabeled blocks, in order; undefined when there are none. */
  blocks<T>(type: string, decode: (r: BlockReader, block: Block) => T | undefined): T[] | undefined {
    const blocks = this.takeBlocks(type);
    if (blocks.length === 0) return undefined;
    const out: T[] = [];
    for (const b of blocks) {
      this.noLabels(b);
      const v = this.decodeWith(b, type, decode);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  /** Blocks with exactly one label each, the labels unique; undefined when there are none. */
  labeledBlocks<T>(type: string, decode: (label: string, r: BlockReader, block: Block) => T | undefined): T[] | undefined {
    const blocks = this.takeBlocks(type);
    if (blocks.length === 0) return undefined;
    const seen = new Map<string, Block>();
    const out: T[] = [];
    for (const b of blocks) {
      if (b.labels.length === 0) {
        this.error(b.typeRange, `Missing name for ${type}`, `All ${type} blocks must have 1 label: the name, as in ${type} "name" { ... }.`);
        continue;
      }
      if (b.labels.length > 1) {
        this.error(b.labelRanges[1], `Extraneous label for ${type}`, `Only 1 label (the name) is expected for ${type} blocks.`);
        continue;
      }
      const label = b.labels[0] as string;
      const earlier = seen.get(label);
      if (earlier) {
        this.error(b.labelRanges[0], `Duplicate ${type} "${label}"`, `A ${type} named "${label}" was already defined at ${where(earlier.typeRange)}; ${type} names must be unique within ${this.what}.`);
        continue;
      }
      seen.set(label, b);
      const v = this.decodeWith(b, `${type} "${label}"`, (r, block) => decode(label, r, block));
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  private decodeWith<T>(block: Block, what: string, decode: (r: BlockReader, block: Block) => T): T {
    const reader = new BlockReader(block.body, this.ctx, what);
    const v = decode(reader, block);
    reader.finish();
    return v;
  }

  /** Mark names as handled without reading them (read another way, or deliberately ignored). */
  markUsed(...names: string[]): void {
    for (const n of names) this.used.add(n);
  }

  /** Report every argument and block not read by the decoder. */
  finish(): void {
    for (const [name, attr] of this.attrs) {
      if (!this.used.has(name)) {
        this.error(attr.nameRange, 'Unsupported argument', `An argument named "${name}" is not expected in ${this.what}.`);
      }
    }
    for (const [type, blocks] of this.blocksByType) {
      if (this.used.has(type)) continue;
      for (const b of blocks) {
        this.error(b.typeRange, 'Unsupported block type', `Blocks of type "${type}" are not expected in ${this.what}.`);
      }
    }
  }
}

function describeValue(v: Value): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${describeType(v)} (${String(v)})`;
  return describeType(v);
}

/** Drop undefined fields, so that the output holds only what the file said. */
export function defined<T extends object>(obj: T): T {
  for (const k of Object.keys(obj) as Array<keyof T>) if (obj[k] === undefined) delete obj[k];
  return obj;
}
