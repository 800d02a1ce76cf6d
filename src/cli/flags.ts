// Go-style flag parsing: "-flag value", "-flag=value", "--flag", booleans that take no value
// unless written "-flag=false", repeatable flags, and flags only before the first positional
// argument (a lone "--" ends the flags). Unknown flags are usage errors.

export type FlagKind = 'bool' | 'string' | 'int' | 'list';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  /** Other names for the same flag ("t" for "tail"). */
  aliases?: string[];
  default?: string | number | boolean;
}

export interface ParsedFlags {
  bools: Map<string, boolean>;
  strings: Map<string, string>;
  ints: Map<string, number>;
  lists: Map<string, string[]>;
  args: string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class FlagSet {
  private readonly specs = new Map<string, FlagSpec>();

  constructor(readonly command: string) {}

  bool(name: string, def = false, aliases: string[] = []): this {
    return this.add({ name, kind: 'bool', default: def, aliases });
  }
  string(name: string, def = '', aliases: string[] = []): this {
    return this.add({ name, kind: 'string', default: def, aliases });
  }
  int(name: string, def = 0, aliases: string[] = []): this {
    return this.add({ name, kind: 'int', default: def, aliases });
  }
  list(name: string, aliases: string[] = []): this {
    return this.add({ name, kind: 'list', aliases });
  }

  private add(spec: FlagSpec): this {
    this.specs.set(spec.name, spec);
    for (const a of spec.aliases ?? []) this.specs.set(a, spec);
    return this;
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  parse(argv: string[]): Flags {
    const out: ParsedFlags = { bools: new Map(), strings: new Map(), ints: new Map(), lists: new Map(), args: [] };
    const seen = new Set<string>();
    let i = 0;
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--') {
        i++;
        break;
      }
      if (a === '-' || !a.startsWith('-')) break;
      const body = a.startsWith('--') ? a.slice(2) : a.slice(1);
      if (body === '' || body.startsWith('-') || body.startsWith('=')) throw new UsageError(`bad flag syntax: ${a}`);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const inline = eq < 0 ? undefined : body.slice(eq + 1);
      const spec = this.specs.get(name);
      if (!spec) {
        if (name === 'h' || name === 'help') throw new HelpRequested();
        throw new UsageError(`flag provided but not defined: -${name}`);
      }
      seen.add(spec.name);
      if (spec.kind === 'bool') {
        if (inline === undefined) out.bools.set(spec.name, true);
        else {
          const b = parseBool(inline);
          if (b === null) throw new UsageError(`invalid boolean value "${inline}" for -${name}: parse error`);
          out.bools.set(spec.name, b);
        }
        continue;
      }
      let value = inline;
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: -${name}`);
        value = argv[++i]!;
      }
      if (spec.kind === 'string') out.strings.set(spec.name, value);
      else if (spec.kind === 'int') {
        if (!/^[-+]?\d+$/.test(value.trim())) throw new UsageError(`invalid value "${value}" for flag -${name}: parse error`);
        out.ints.set(spec.name, Number.parseInt(value, 10));
      } else {
        const l = out.lists.get(spec.name) ?? [];
        l.push(value);
        out.lists.set(spec.name, l);
      }
    }
    out.args = argv.slice(i);
    return new Flags(this.specs, out, seen);
  }
}

export class HelpRequested extends Error {
  constructor() {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

function parseBool(s: string): boolean | null {
  switch (s) {
    case '1':
    case 't':
    case 'T':
    case 'true':
    case 'TRUE':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'false':
    case 'FALSE':
    case 'False':
      return false;
    default:
      return null;
  }
}

/** Parsed values with their defaults applied. */
export class Flags {
  constructor(
    private readonly specs: Map<string, FlagSpec>,
    private readonly parsed: ParsedFlags,
    private readonly seen: Set<string>,
  ) {}

  get args(): string[] {
    return this.parsed.args;
  }

  /** Whether the user wrote the flag at all (to tell "-n 0" from the default). */
  isSet(name: string): boolean {
    return this.seen.has(name);
  }

  bool(name: string): boolean {
    return this.parsed.bools.get(name) ?? Boolean(this.specs.get(name)?.default ?? false);
  }
  string(name: string): string {
    return this.parsed.strings.get(name) ?? String(this.specs.get(name)?.default ?? '');
  }
  int(name: string): number {
    return this.parsed.ints.get(name) ?? Number(this.specs.get(name)?.default ?? 0);
  }
  list(name: string): string[] {
    return this.parsed.lists.get(name) ?? [];
  }
}
