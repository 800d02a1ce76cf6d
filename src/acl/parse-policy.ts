// Parses ACL policy rules, written in HCL or JSON, into a validated Policy. Every problem is
// reported with the line and column where it was written; nothing is accepted silently: an
// unknown block or key is an error, not a rule that grants or denies nothing.
import { parseHcl } from '../hcl/parser.js';
import { evaluate } from '../hcl/evaluate.js';
import type { Body } from '../hcl/ast.js';
import type { Range } from '../hcl/range.js';
import { JsonSyntaxError, parseJsonWithPositions, type JsonNode } from '../jobspec/json-source.js';
import {
  expandHostVolumePolicy,
  expandNamespacePolicy,
  HOST_VOLUME_CAPABILITIES,
  NAMESPACE_CAPABILITIES,
  VALID_DISPOSITIONS,
  type CoarseRule,
  type Disposition,
  type HostVolumeCapability,
  type NamespaceCapability,
  type Policy,
} from './policy.js';

export interface PolicyError {
  line: number;
  column: number;
  message: string;
}

export type PolicyParseResult = { ok: true; policy: Policy } | { ok: false; errors: PolicyError[] };

/** Bound on the rules text: policies are small; a huge one is a mistake or an attack. */
export const MAX_RULES_BYTES = 256 * 1024;

const NAME_RE = /^[a-zA-Z0-9*_-]{1,128}$/;
const LABELED_RULES = new Set(['namespace', 'host_volume']);
const COARSE_RULES: readonly CoarseRule[] = ['agent', 'node', 'operator', 'quota', 'plugin'];

/** One key of the source, whichever syntax it was written in. */
type Item =
  | { kind: 'attr'; key: string; at: Pos; value: unknown; valueAt: Pos }
  | { kind: 'block'; key: string; at: Pos; labels: Array<{ value: string; at: Pos }>; body: Item[] };

interface Pos {
  line: number;
  column: number;
}

function posOf(r: Range): Pos {
  return { line: r.start.line, column: r.start.column };
}

export function formatPolicyErrors(errors: readonly PolicyError[]): string {
  return errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('; ');
}

export function parsePolicy(rules: string): PolicyParseResult {
  if (rules.length > MAX_RULES_BYTES) return fail({ line: 1, column: 1, message: `rules are ${rules.length} bytes long, more than the ${MAX_RULES_BYTES} allowed` });
  let items: Item[];
  try {
    const parsed = rules.trimStart().startsWith('{') ? jsonItems(rules) : hclItems(rules);
    if (!parsed.ok) return parsed;
    items = parsed.items;
  } catch (e) {
    // Deeply nested input can exhaust the parsers' recursion: refuse it as malformed.
    if (e instanceof RangeError) return fail({ line: 1, column: 1, message: 'rules are nested too deeply' });
    throw e;
  }
  return decodePolicy(items);
}

function fail(...errors: PolicyError[]): PolicyParseResult {
  return { ok: false, errors };
}

// ---- HCL

function hclItems(text: string): { ok: true; items: Item[] } | { ok: false; errors: PolicyError[] } {
  const { body, diagnostics } = parseHcl(text, 'rules');
  const errs = diagnostics.filter((d) => d.severity === 'error');
  if (errs.length > 0) {
    return {
      ok: false,
      errors: errs.map((d) => ({ ...(d.range ? posOf(d.range) : { line: 1, column: 1 }), message: d.detail ? `${d.summary}: ${d.detail}` : d.summary })),
    };
  }
  const errors: PolicyError[] = [];
  const items = bodyItems(body, errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, items };
}

function bodyItems(body: Body, errors: PolicyError[]): Item[] {
  const items: Item[] = [];
  for (const it of body.items) {
    if (it.kind === 'attribute') {
      const res = evaluate(it.expr, { variables: {}, functions: {} });
      for (const d of res.diagnostics) errors.push({ ...(d.range ? posOf(d.range) : posOf(it.expr.range)), message: d.detail ? `${d.summary}: ${d.detail}` : d.summary });
      items.push({ kind: 'attr', key: it.name, at: posOf(it.nameRange), value: res.value, valueAt: posOf(it.expr.range) });
    } else {
      items.push({
        kind: 'block',
        key: it.type,
        at: posOf(it.typeRange),
        labels: it.labels.map((value, i) => ({ value, at: posOf(it.labelRanges[i] ?? it.typeRange) })),
        body: bodyItems(it.body, errors),
      });
    }
  }
  return items;
}

// ---- JSON (HCL's JSON form: rule blocks are objects, labelled ones keyed by their label)

function jsonItems(text: string): { ok: true; items: Item[] } | { ok: false; errors: PolicyError[] } {
  let root: JsonNode;
  try {
    root = parseJsonWithPositions(text, 'rules');
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { ok: false, errors: [{ ...posOf(e.range), message: e.message }] };
    throw e;
  }
  const errors: PolicyError[] = [];
  if (root.kind !== 'object') return { ok: false, errors: [{ ...posOf(root.range), message: 'the policy must be a JSON object' }] };
  const items: Item[] = [];
  for (const e of root.entries) {
    const at = posOf(e.keyRange);
    for (const obj of objectsOf(e.value, errors, `"${e.key}"`)) {
      if (LABELED_RULES.has(e.key)) {
        for (const inner of obj.entries) {
          for (const body of objectsOf(inner.value, errors, `${e.key} "${inner.key}"`)) {
            items.push({ kind: 'block', key: e.key, at, labels: [{ value: inner.key, at: posOf(inner.keyRange) }], body: jsonAttrs(body) });
          }
        }
      } else {
        items.push({ kind: 'block', key: e.key, at, labels: [], body: jsonAttrs(obj) });
      }
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, items };
}

type JsonObject = Extract<JsonNode, { kind: 'object' }>;

/** An object, or (HCL's JSON form of repeated blocks) a list of objects. */
function objectsOf(node: JsonNode, errors: PolicyError[], what: string): JsonObject[] {
  if (node.kind === 'object') return [node];
  if (node.kind === 'array' && node.items.every((i) => i.kind === 'object')) return node.items as JsonObject[];
  errors.push({ ...posOf(node.range), message: `${what} must be an object` });
  return [];
}

function jsonAttrs(obj: JsonObject): Item[] {
  return obj.entries.map((e) => {
    const plain = plainJson(e.value);
    if (e.value.kind === 'object') return { kind: 'block', key: e.key, at: posOf(e.keyRange), labels: [], body: jsonAttrs(e.value) };
    return { kind: 'attr', key: e.key, at: posOf(e.keyRange), value: plain, valueAt: posOf(e.value.range) };
  });
}

function plainJson(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object':
      return Object.fromEntries(node.entries.map((e) => [e.key, plainJson(e.value)]));
    case 'array':
      return node.items.map(plainJson);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

// ---- the rules

function decodePolicy(items: Item[]): PolicyParseResult {
  const errors: PolicyError[] = [];
  const policy: Policy = { namespaces: [], hostVolumes: [], coarse: {} };
  let rules = 0;
  for (const item of items) {
    if (item.kind === 'attr') {
      errors.push({ ...item.at, message: `unexpected attribute "${item.key}": rules are blocks such as namespace "default" { policy = "read" }` });
      continue;
    }
    rules++;
    if (item.key === 'namespace' || item.key === 'host_volume') {
      if (item.labels.length !== 1) {
        errors.push({ ...item.at, message: `a ${item.key} rule takes exactly one name, e.g. ${item.key} "default" { ... }` });
        continue;
      }
      const label = item.labels[0]!;
      if (!NAME_RE.test(label.value)) {
        errors.push({ ...label.at, message: `invalid ${item.key} name ${JSON.stringify(label.value)}: letters, digits, "-", "_" and "*" only, at most 128` });
        continue;
      }
      const rule = decodeRuleBody(item, errors);
      if (item.key === 'namespace') {
        const caps = new Set<NamespaceCapability>(rule.capabilities as NamespaceCapability[]);
        if (rule.policy) for (const c of expandNamespacePolicy(rule.policy)) caps.add(c);
        policy.namespaces.push({ name: label.value, capabilities: [...caps] });
      } else {
        const caps = new Set<HostVolumeCapability>(rule.capabilities as HostVolumeCapability[]);
        if (rule.policy) for (const c of expandHostVolumePolicy(rule.policy)) caps.add(c);
        policy.hostVolumes.push({ name: label.value, capabilities: [...caps] });
      }
      continue;
    }
    if ((COARSE_RULES as readonly string[]).includes(item.key)) {
      const key = item.key as CoarseRule;
      if (item.labels.length > 0) {
        errors.push({ ...item.labels[0]!.at, message: `a ${key} rule takes no name: ${key} { policy = "read" }` });
        continue;
      }
      const rule = decodeRuleBody(item, errors);
      if (rule.policy) policy.coarse[key] = rule.policy;
      continue;
    }
    errors.push({ ...item.at, message: `unknown rule "${item.key}": expected namespace, host_volume, agent, node, operator, quota or plugin` });
  }
  if (errors.length === 0 && rules === 0) errors.push({ line: 1, column: 1, message: 'the policy has no rules' });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, policy };
}

function decodeRuleBody(block: Extract<Item, { kind: 'block' }>, errors: PolicyError[]): { policy: Disposition | null; capabilities: string[] } {
  const kind = block.key as keyof typeof VALID_DISPOSITIONS;
  const labeled = LABELED_RULES.has(kind);
  const what = labeled ? `${kind} "${block.labels[0]?.value ?? ''}"` : kind;
  let policy: Disposition | null = null;
  const capabilities: string[] = [];
  let sawPolicy = false;
  for (const item of block.body) {
    if (item.kind === 'block') {
      errors.push({ ...item.at, message: `unexpected block "${item.key}" in ${what}: only policy${labeled ? ' and capabilities' : ''} may be set` });
      continue;
    }
    if (item.key === 'policy') {
      sawPolicy = true;
      const allowed: readonly string[] = VALID_DISPOSITIONS[kind];
      if (typeof item.value !== 'string' || !allowed.includes(item.value)) {
        errors.push({ ...item.valueAt, message: `invalid ${kind} policy ${JSON.stringify(item.value)} in ${what}: must be one of ${allowed.map((a) => `"${a}"`).join(', ')}` });
        continue;
      }
      policy = item.value as Disposition;
      continue;
    }
    if (item.key === 'capabilities' && labeled) {
      const valid: readonly string[] = kind === 'namespace' ? NAMESPACE_CAPABILITIES : HOST_VOLUME_CAPABILITIES;
      if (!Array.isArray(item.value)) {
        errors.push({ ...item.valueAt, message: `capabilities in ${what} must be a list of strings` });
        continue;
      }
      for (const c of item.value) {
        if (typeof c !== 'string' || !valid.includes(c)) errors.push({ ...item.valueAt, message: `invalid ${kind} capability ${JSON.stringify(c)} in ${what}` });
        else capabilities.push(c);
      }
      continue;
    }
    errors.push({ ...item.at, message: `unknown key "${item.key}" in ${what}: expected policy${labeled ? ' or capabilities' : ''}` });
  }
  if (!labeled && !sawPolicy) errors.push({ ...block.at, message: `${what} rule has no policy: set policy = "read", "write" or "deny"` });
  return { policy, capabilities };
}
