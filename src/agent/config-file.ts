// Reads agent configuration files (HCL or JSON; a directory means its *.hcl and *.json files in
// name order; a file with another or no extension is read as HCL, or JSON when it starts with
// '{') and decodes them against the schema. Unknown keys are errors naming the key and where;
// keys Nomad knows that we do not act on yet are warnings.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseHcl } from '../hcl/parser.js';
import { evaluate } from '../hcl/evaluate.js';
import { formatDiagnostic } from '../hcl/diagnostic.js';
import type { Body } from '../hcl/ast.js';
import type { Range } from '../hcl/range.js';
import { parseDurationNs } from '../structs/time.js';
import { AGENT_SCHEMA, type BlockField, type Field, type ValueField } from './config-schema.js';
import type { PartialConfig } from './config.js';

/** A key/value of a configuration source with where it was written. */
interface SourceItem {
  key: string;
  where: string;
  /** A plain value (attribute, or JSON value) ... */
  value?: unknown;
  /** ... or a block body with its labels. */
  body?: SourceItem[];
  labels?: string[];
}

export interface ConfigLoadResult {
  config: PartialConfig;
  errors: string[];
  warnings: string[];
}

/** A file, or a directory's *.hcl and *.json files in name order: one partial config per file. */
export function loadConfigPath(path: string): { configs: PartialConfig[]; errors: string[]; warnings: string[] } {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    return { configs: [], errors: [`Error loading configuration from ${path}: no such file or directory`], warnings: [] };
  }
  const files = isDir
    ? readdirSync(path)
        .filter((f) => f.endsWith('.hcl') || f.endsWith('.json'))
        .sort()
        .map((f) => join(path, f))
        .filter((f) => statSync(f).isFile())
    : [path];
  const results = files.map(loadConfigFile);
  return {
    configs: results.map((r) => r.config),
    errors: results.flatMap((r) => r.errors),
    warnings: results.flatMap((r) => r.warnings),
  };
}

export function loadConfigFile(file: string): ConfigLoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { config: {}, errors: [`Error loading configuration from ${file}: ${(e as Error).message}`], warnings: [] };
  }
  const asJson = file.endsWith('.json') || (!file.endsWith('.hcl') && text.trimStart().startsWith('{'));
  const parsed = asJson ? jsonItems(text, file) : hclItems(text, file);
  if (parsed.errors.length > 0) return { config: {}, errors: parsed.errors, warnings: [] };
  const res = decodeConfig(parsed.items);
  res.config.files = [file];
  return res;
}

/** Decodes source items (from any syntax) against the agent schema. */
export function decodeConfig(items: SourceItem[]): ConfigLoadResult {
  const out: Record<string, unknown> = {};
  const errors: string[] = [];
  const warnings: string[] = [];
  decodeBlock(items, AGENT_SCHEMA, '', out, errors, warnings);
  return { config: out as PartialConfig, errors, warnings };
}

function decodeBlock(items: SourceItem[], schema: BlockField, prefix: string, out: Record<string, unknown>, errors: string[], warnings: string[]): void {
  for (const item of items) {
    const name = prefix + item.key;
    const field: Field | undefined = schema.fields[item.key];
    if (!field) {
      errors.push(`${item.where}: unknown configuration key "${name}"`);
      continue;
    }
    switch (field.kind) {
      case 'ignored':
        warnings.push(`${item.where}: configuration key "${name}" is accepted but not supported yet; it has no effect`);
        break;
      case 'block': {
        const body = item.body ?? objectToItems(item.value, item.where);
        if (!body) {
          errors.push(`${item.where}: "${name}" must be a block`);
          break;
        }
        decodeBlock(body, field, `${name}.`, out, errors, warnings);
        if (field.present) setPath(out, field.present, true);
        break;
      }
      case 'labeledAny': {
        const label = item.labels?.[0];
        const data = item.body ? itemsToPlain(item.body) : item.value;
        if (label !== undefined) setPath(out, `${field.to}.${label}`, data ?? {});
        else if (isPlainObj(data)) for (const [k, val] of Object.entries(data)) setPath(out, `${field.to}.${k}`, firstOf(val));
        else errors.push(`${item.where}: "${name}" needs a name label, e.g. ${name} "raw_exec" { ... }`);
        break;
      }
      case 'labeledBlock': {
        const label = item.labels?.[0];
        if (label === undefined || !item.body) {
          errors.push(`${item.where}: "${name}" needs a name label and a block, e.g. ${name} "name" { ... }`);
          break;
        }
        const decoded: Record<string, unknown> = {};
        decodeBlock(item.body, { kind: 'block', fields: field.fields }, `${name}.${label}.`, decoded, errors, warnings);
        setPath(out, field.to, { ...(getPath(out, field.to) ?? {}), [label]: decoded });
        break;
      }
      default: {
        const value = item.body ? itemsToPlain(item.body) : item.value;
        const conv = convert(value, field);
        if (typeof conv === 'object' && conv !== null && 'error' in conv) errors.push(`${item.where}: "${name}": ${(conv as { error: string }).error}`);
        else {
          const problem = field.check?.(conv) ?? null;
          if (problem !== null) errors.push(`${item.where}: "${name}": ${problem}`);
          else {
            setPath(out, field.to, conv);
            // Kept so that checks made after merging (a missing file, a refused setting) can say where.
            ((out.sources ??= {}) as Record<string, string>)[field.to] = item.where;
          }
        }
      }
    }
  }
}

function convert(value: unknown, field: ValueField): unknown {
  const bad = (want: string) => ({ error: `expected ${want}, got ${JSON.stringify(value)}` });
  switch (field.kind) {
    case 'string':
      return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : bad('a string');
    case 'int': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      return typeof n === 'number' && Number.isInteger(n) ? n : bad('a whole number');
    }
    case 'float': {
      const n = typeof value === 'string' ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) ? n : bad('a number');
    }
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      return bad('true or false');
    case 'duration': {
      if (typeof value === 'number') return value / 1e6; // JSON numbers are nanoseconds, as Nomad's
      const ns = typeof value === 'string' ? parseDurationNs(value) : null;
      return ns === null ? bad('a duration such as "10s" or "1m30s"') : ns / 1e6;
    }
    case 'stringList':
      if (typeof value === 'string') return [value];
      return Array.isArray(value) && value.every((x) => typeof x === 'string') ? value : bad('a list of strings');
    case 'stringMap': {
      const obj = Array.isArray(value) ? Object.assign({}, ...value.filter(isPlainObj)) : value;
      if (!isPlainObj(obj)) return bad('a map of strings');
      const m: Record<string, string> = {};
      for (const [k, val] of Object.entries(obj)) {
        if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') m[k] = String(val);
        else return { error: `value of "${k}" must be a string, got ${JSON.stringify(val)}` };
      }
      return m;
    }
    case 'any':
      return value;
  }
}

function setPath(out: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = out;
  for (const p of parts.slice(0, -1)) {
    if (!isPlainObj(cur[p])) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function getPath(out: Record<string, unknown>, path: string): Record<string, unknown> | undefined {
  let cur: unknown = out;
  for (const p of path.split('.')) cur = isPlainObj(cur) ? cur[p] : undefined;
  return isPlainObj(cur) ? cur : undefined;
}

function isPlainObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function firstOf(v: unknown): unknown {
  return Array.isArray(v) && v.length === 1 ? v[0] : v;
}

/** JSON objects, and HCL-in-JSON's lists of objects for blocks, become items. */
function objectToItems(value: unknown, where: string): SourceItem[] | null {
  const v = Array.isArray(value) ? Object.assign({}, ...value.filter(isPlainObj)) : value;
  if (!isPlainObj(v)) return null;
  return Object.entries(v).map(([key, val]) => ({ key, where: `${where}.${key}`, value: val }));
}

function itemsToPlain(items: SourceItem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const it of items) {
    const val = it.body ? itemsToPlain(it.body) : it.value;
    if (it.labels && it.labels.length > 0) {
      const inner = (isPlainObj(out[it.key]) ? out[it.key] : {}) as Record<string, unknown>;
      inner[it.labels.join('.')] = val;
      out[it.key] = inner;
    } else out[it.key] = val;
  }
  return out;
}

function jsonItems(text: string, file: string): { items: SourceItem[]; errors: string[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { items: [], errors: [`${file}: invalid JSON: ${(e as Error).message}`] };
  }
  if (!isPlainObj(data)) return { items: [], errors: [`${file}: the configuration must be a JSON object`] };
  return { items: objectToItems(data, file)!.map((i) => ({ ...i, where: `${file}: ${i.key}` })), errors: [] };
}

function pos(r: Range): string {
  return `${r.filename}:${r.start.line}:${r.start.column}`;
}

function hclItems(text: string, file: string): { items: SourceItem[]; errors: string[] } {
  const { body, diagnostics } = parseHcl(text, file);
  const errors = diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
  if (errors.length > 0) return { items: [], errors };
  const items = bodyItems(body, errors);
  return { items, errors };
}

function bodyItems(body: Body, errors: string[]): SourceItem[] {
  const items: SourceItem[] = [];
  for (const it of body.items) {
    if (it.kind === 'attribute') {
      const res = evaluate(it.expr, { variables: {}, functions: {}, keepUnknownReferences: true });
      if (res.diagnostics.length > 0) errors.push(...res.diagnostics.map(formatDiagnostic));
      items.push({ key: it.name, where: pos(it.nameRange), value: res.value });
    } else {
      items.push({ key: it.type, where: pos(it.typeRange), body: bodyItems(it.body, errors), labels: it.labels });
    }
  }
  return items;
}
