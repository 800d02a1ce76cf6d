// Input variables and locals of a job file. A variable's value comes from, in rising order of
// precedence: its default, NOMAD_VAR_<name> environment variables, -var-file files (in the
// order given), then -var arguments. Values given as text (-var, environment) are converted
// to the declared type; list, map and object types read the text as an HCL expression.

import type { Block, Expr } from '../hcl/ast.js';
import { convertTo, ConversionError, typeFromExpr, type TypeSpec } from '../hcl/convert.js';
import type { Diagnostic } from '../hcl/diagnostic.js';
import { evaluate, type EvalContext } from '../hcl/evaluate.js';
import type { HclFunction } from '../hcl/function.js';
import { parseHcl, parseHclExpression } from '../hcl/parser.js';
import type { Range } from '../hcl/range.js';
import { isObjectValue, UnknownValue, type Value, type ValueObject } from '../hcl/value.js';
import { BlockReader } from './block-reader.js';
import { forEachReference, usesPoisoned, type Poisoned } from './references.js';

export interface VariableSources {
  vars?: Record<string, string>;
  varFiles?: Array<{ source: string; filename: string }>;
  envVars?: Record<string, string>;
  /** Values given for undeclared variables are errors (true, the default) or ignored. */
  strict?: boolean;
}

interface Declared {
  name: string;
  type?: TypeSpec;
  defaultValue?: Value;
  block: Block;
  validations: Array<{ condition: Expr; message: Expr }>;
}

/** Where a value came from, to say so when it does not fit. */
interface Given {
  value: Value;
  origin: string;
  range?: Range;
  /** Text from -var or the environment: converted by the declared type. */
  raw?: boolean;
}

const where = (r: Range): string => `${r.filename}:${r.start.line},${r.start.column}`;

export function declareVariables(blocks: Block[], functions: Record<string, HclFunction>, diags: Diagnostic[]): Map<string, Declared> {
  const declared = new Map<string, Declared>();
  // Defaults and types are constants: no variables, but functions are allowed.
  const constCtx: EvalContext = { variables: {}, functions };
  for (const block of blocks) {
    const reader = new BlockReader(block.body, { evalCtx: constCtx, diagnostics: diags }, `variable "${block.labels[0] ?? ''}"`);
    if (block.labels.length !== 1) {
      diags.push({ severity: 'error', summary: 'Invalid variable block', detail: 'A variable block has exactly one label: its name, as in variable "image" { ... }.', range: block.typeRange });
      continue;
    }
    const name = block.labels[0] as string;
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
      diags.push({ severity: 'error', summary: 'Invalid variable name', detail: `"${name}" is not a valid name: use letters, digits, underscores and dashes, starting with a letter.`, range: block.labelRanges[0] as Range });
      continue;
    }
    const earlier = declared.get(name);
    if (earlier) {
      diags.push({ severity: 'error', summary: 'Duplicate variable', detail: `The variable "${name}" was already declared at ${where(earlier.block.typeRange)}.`, range: block.labelRanges[0] as Range });
      continue;
    }
    const d: Declared = { name, block, validations: [] };
    const typeAttr = reader.attribute('type');
    if (typeAttr) {
      reader.markUsed('type');
      try {
        d.type = typeFromExpr(typeAttr.expr);
      } catch (e) {
        if (!(e instanceof ConversionError)) throw e;
        diags.push({ severity: 'error', summary: 'Invalid type specification', detail: e.message, range: typeAttr.expr.range });
      }
    }
    const defaultAttr = reader.attribute('default');
    if (defaultAttr) {
      const v = reader.value('default');
      if (v !== undefined) {
        d.defaultValue = v;
        if (d.type) {
          try {
            d.defaultValue = convertTo(v, d.type, `default of variable "${name}"`);
          } catch (e) {
            if (!(e instanceof ConversionError)) throw e;
            diags.push({ severity: 'error', summary: 'Invalid default value for variable', detail: e.message, range: defaultAttr.expr.range });
          }
        }
      }
    }
    reader.string('description');
    reader.bool('sensitive');
    reader.blocks('validation', (v) => {
      const condition = v.attribute('condition');
      const message = v.attribute('error_message');
      v.markUsed('condition', 'error_message');
      if (!condition || !message) {
        v.error(condition?.nameRange ?? message?.nameRange, 'Incomplete validation', 'A validation block needs both "condition" and "error_message".');
        return undefined;
      }
      d.validations.push({ condition: condition.expr, message: message.expr });
      return undefined;
    });
    reader.finish();
    declared.set(name, d);
  }
  return declared;
}

/** Values from var files: `name = value` lines (HCL) or a JSON object. */
function readVarFile(file: { source: string; filename: string }, functions: Record<string, HclFunction>, diags: Diagnostic[]): Map<string, Given> {
  const out = new Map<string, Given>();
  if (/\.json$/i.test(file.filename) || file.source.trimStart().startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(file.source);
    } catch (e) {
      diags.push({ severity: 'error', summary: 'Invalid variables file', detail: `${file.filename} is not valid JSON: ${(e as Error).message}`, range: fileStart(file.filename) });
      return out;
    }
    if (!isObjectValue(doc as Value)) {
      diags.push({ severity: 'error', summary: 'Invalid variables file', detail: `${file.filename} must hold a JSON object of variable values.`, range: fileStart(file.filename) });
      return out;
    }
    for (const [k, v] of Object.entries(doc as ValueObject)) out.set(k, { value: v, origin: file.filename, range: fileStart(file.filename) });
    return out;
  }
  const parsed = parseHcl(file.source, file.filename);
  diags.push(...parsed.diagnostics);
  const ctx: EvalContext = { variables: {}, functions };
  for (const item of parsed.body.items) {
    if (item.kind === 'block') {
      diags.push({ severity: 'error', summary: 'Unexpected block in variables file', detail: 'A variables file holds only "name = value" definitions.', range: item.typeRange });
      continue;
    }
    const r = evaluate(item.expr, ctx);
    if (r.diagnostics.length > 0) {
      diags.push(...r.diagnostics);
      continue;
    }
    out.set(item.name, { value: r.value, origin: file.filename, range: item.nameRange });
  }
  return out;
}

function fileStart(filename: string): Range {
  const p = { line: 1, column: 1, byte: 0 };
  return { filename, start: p, end: p };
}

/** Convert text given on the command line or in the environment to the declared type. */
function fromText(text: string, type: TypeSpec | undefined, origin: string, functions: Record<string, HclFunction>): Value {
  if (!type || type.kind === 'string' || type.kind === 'number' || type.kind === 'bool' || type.kind === 'any') return text;
  const { expr, diagnostics } = parseHclExpression(text, origin);
  if (diagnostics.length > 0) throw new ConversionError(`The value ${JSON.stringify(text)} is not a valid HCL expression: ${diagnostics[0]?.detail ?? ''}`);
  const r = evaluate(expr, { variables: {}, functions });
  if (r.diagnostics.length > 0) throw new ConversionError(r.diagnostics[0]?.detail ?? 'invalid value');
  return r.value;
}

/** The `var` object: every declared variable with its value. */
export function resolveVariables(
  declared: Map<string, Declared>,
  sources: VariableSources,
  functions: Record<string, HclFunction>,
  diags: Diagnostic[],
  jobFile: string,
  poisonedNames: Set<string>,
): ValueObject {
  const strict = sources.strict ?? true;
  const given = new Map<string, Given>();
  for (const [name, value] of Object.entries(sources.envVars ?? {})) {
    // The environment holds many things: only declared names are taken from it.
    if (declared.has(name)) given.set(name, { value, origin: `NOMAD_VAR_${name}`, raw: true });
  }
  for (const file of sources.varFiles ?? []) {
    for (const [name, g] of readVarFile(file, functions, diags)) {
      if (!declared.has(name)) {
        if (strict) {
          diags.push({ severity: 'error', summary: 'Undefined variable', detail: `A value for "${name}" was given in ${file.filename} but there is no variable "${name}" declared in the job file. Declare it with a variable "${name}" { } block.`, ...(g.range ? { range: g.range } : {}) });
        }
        continue;
      }
      given.set(name, g);
    }
  }
  for (const [name, value] of Object.entries(sources.vars ?? {})) {
    if (!declared.has(name)) {
      if (strict) {
        diags.push({ severity: 'error', summary: 'Undefined -var variable', detail: `A value for "${name}" was given with -var but there is no variable "${name}" declared in the job file. Declare it with a variable "${name}" { } block.`, range: fileStart(jobFile) });
      }
      continue;
    }
    given.set(name, { value, origin: `-var ${name}`, raw: true });
  }

  const vars: ValueObject = {};
  for (const d of declared.values()) {
    const g = given.get(d.name);
    const range = d.block.labelRanges[0] as Range;
    if (!g) {
      if (d.defaultValue === undefined) {
        diags.push({
          severity: 'error',
          summary: 'Unset variable',
          detail: `The variable "${d.name}" has no default and no value was given: set it with -var ${d.name}=..., a -var-file, or the environment variable NOMAD_VAR_${d.name}.`,
          range,
        });
        vars[d.name] = poisoned(d.name);
        poisonedNames.add(d.name);
        continue;
      }
      vars[d.name] = d.defaultValue;
      continue;
    }
    try {
      const raw = g.raw && typeof g.value === 'string' ? fromText(g.value, d.type, g.origin, functions) : g.value;
      vars[d.name] = d.type ? convertTo(raw, d.type, `value of variable "${d.name}"`) : raw;
    } catch (e) {
      if (!(e instanceof ConversionError)) throw e;
      diags.push({ severity: 'error', summary: 'Invalid value for variable', detail: `The value given by ${g.origin} does not fit variable "${d.name}": ${e.message}`, range: g.range ?? range });
      vars[d.name] = poisoned(d.name);
      poisonedNames.add(d.name);
    }
  }
  validate(declared, vars, functions, diags);
  return vars;
}

/**
 * The stand-in value of a variable whose value is missing or wrong: the error is reported once,
 * here, and the uses of the variable pass it along silently instead of failing again.
 */
function poisoned(name: string): UnknownValue {
  return new UnknownValue(`var.${name}`);
}

function validate(declared: Map<string, Declared>, vars: ValueObject, functions: Record<string, HclFunction>, diags: Diagnostic[]): void {
  const ctx: EvalContext = { variables: { var: vars }, functions };
  for (const d of declared.values()) {
    for (const v of d.validations) {
      const c = evaluate(v.condition, ctx);
      if (c.diagnostics.length > 0) {
        diags.push(...c.diagnostics);
        continue;
      }
      if (c.value === false) {
        const m = evaluate(v.message, ctx);
        diags.push({ severity: 'error', summary: 'Invalid value for variable', detail: `${typeof m.value === 'string' ? m.value : 'The validation condition failed.'} (variable "${d.name}")`, range: v.condition.range });
      }
    }
  }
}

/**
 * The `local` object. Locals may refer to variables and to each other, in any order; they are
 * evaluated after the locals they refer to, and a cycle is an error.
 */
export function resolveLocals(blocks: Block[], baseCtx: EvalContext, diags: Diagnostic[], poisoned: Poisoned): ValueObject {
  const defs = new Map<string, { expr: Expr; range: Range }>();
  for (const block of blocks) {
    if (block.labels.length > 0) {
      diags.push({ severity: 'error', summary: 'Extraneous label for locals', detail: 'A locals block has no labels.', range: block.labelRanges[0] as Range });
    }
    for (const item of block.body.items) {
      if (item.kind === 'block') {
        diags.push({ severity: 'error', summary: 'Unexpected block in locals', detail: 'A locals block holds only "name = value" definitions.', range: item.typeRange });
        continue;
      }
      const earlier = defs.get(item.name);
      if (earlier) {
        diags.push({ severity: 'error', summary: 'Duplicate local value', detail: `The local value "${item.name}" was already defined at ${where(earlier.range)}.`, range: item.nameRange });
        continue;
      }
      defs.set(item.name, { expr: item.expr, range: item.nameRange });
    }
  }
  const locals: ValueObject = {};
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]): void => {
    const def = defs.get(name);
    if (!def || state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      diags.push({ severity: 'error', summary: 'Cycle in local values', detail: `The local values refer to each other in a loop: ${[...chain, name].map((n) => `local.${n}`).join(' -> ')}.`, range: def.range });
      return;
    }
    state.set(name, 'visiting');
    forEachReference(def.expr, 'local', (dep) => visit(dep, [...chain, name]));
    state.set(name, 'done');
    if (usesPoisoned(def.expr, poisoned)) {
      poisoned.local.add(name);
      locals[name] = new UnknownValue(`local.${name}`);
      return;
    }
    const r = evaluate(def.expr, { ...baseCtx, variables: { ...baseCtx.variables, local: locals } });
    diags.push(...r.diagnostics);
    locals[name] = r.value;
  };
  for (const name of defs.keys()) visit(name, []);
  return locals;
}
