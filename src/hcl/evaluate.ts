// Expression evaluation. Errors carry the range of the sub-expression at fault. In "keep
// unknown references" mode a reference whose root variable is not defined (attr.*, node.*,
// NOMAD_PORT_db, ...) is not an error: it evaluates to its own `${...}` text, because the
// runtime, not the parser, knows its value.

import type { Expr, TemplatePart } from './ast.js';
import { asBool, asInteger, asNumber, asString, ConversionError } from './convert.js';
import type { Diagnostic } from './diagnostic.js';
import { FunctionError, type HclFunction } from './function.js';
import type { Range } from './range.js';
import {
  containsUnknown,
  describeType,
  isObjectValue,
  setKey,
  UnknownValue,
  unknownsToTemplateText,
  valuesEqual,
  type Value,
  type ValueObject,
} from './value.js';

export interface EvalContext {
  variables: Record<string, Value>;
  functions: Record<string, HclFunction>;
  /**
   * When true (or when the predicate says so for a root name), a reference to an undefined
   * variable is kept as its `${...}` text instead of being an error.
   */
  keepUnknownReferences?: boolean | ((rootName: string) => boolean);
}

export class EvalError extends Error {
  constructor(
    readonly summary: string,
    readonly detail: string,
    readonly range: Range,
  ) {
    super(`${summary}: ${detail}`);
  }

  toDiagnostic(): Diagnostic {
    return { severity: 'error', summary: this.summary, detail: this.detail, range: this.range };
  }
}

export interface EvalResult {
  value: Value;
  diagnostics: Diagnostic[];
}

/**
 * Evaluate an expression. Kept references come back as `${...}` strings; on error the value
 * is null and the diagnostics say why and where.
 */
export function evaluate(expr: Expr, ctx: EvalContext): EvalResult {
  try {
    return { value: unknownsToTemplateText(evaluateKeepingUnknowns(expr, ctx)), diagnostics: [] };
  } catch (e) {
    if (e instanceof EvalError) return { value: null, diagnostics: [e.toDiagnostic()] };
    throw e;
  }
}

/** Like evaluate, but throws EvalError and returns UnknownValue markers as they are. */
export function evaluateKeepingUnknowns(expr: Expr, ctx: EvalContext): Value {
  return new Evaluator(ctx).eval(expr, { vars: ctx.variables });
}

interface Scope {
  vars: Record<string, Value>;
  splatItem?: Value;
}

function withVars(scope: Scope, extra: Record<string, Value>): Scope {
  return { ...scope, vars: { ...scope.vars, ...extra } };
}

class Evaluator {
  constructor(private readonly ctx: EvalContext) {}

  private keeps(root: string): boolean {
    const k = this.ctx.keepUnknownReferences;
    return typeof k === 'function' ? k(root) : k === true;
  }

  private convert<T>(range: Range, summary: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof ConversionError) throw new EvalError(summary, e.message, range);
      throw e;
    }
  }

  eval(expr: Expr, scope: Scope): Value {
    switch (expr.kind) {
      case 'literal':
        return expr.value;
      case 'invalid':
        throw new EvalError('Invalid expression', 'This expression could not be parsed.', expr.range);
      case 'parens':
        return this.eval(expr.inner, scope);
      case 'template':
        return this.template(expr.parts, scope);
      case 'template-wrap': {
        const v = this.eval(expr.inner, scope);
        return v instanceof UnknownValue ? expr.interpText : v;
      }
      case 'variable': {
        if (Object.hasOwn(scope.vars, expr.name)) return scope.vars[expr.name] as Value;
        if (this.keeps(expr.name)) return new UnknownValue(expr.text);
        throw new EvalError('Unknown variable', `There is no variable named "${expr.name}".`, expr.range);
      }
      case 'splat-item':
        return scope.splatItem ?? null;
      case 'getattr':
        return this.getAttr(this.eval(expr.object, scope), expr.name, expr);
      case 'index': {
        const coll = this.eval(expr.collection, scope);
        const key = this.eval(expr.key, scope);
        return this.index(coll, key, expr);
      }
      case 'splat':
        return this.splat(expr, scope);
      case 'call':
        return this.call(expr, scope);
      case 'tuple':
        return expr.items.map((item) => this.eval(item, scope));
      case 'object': {
        const out: ValueObject = {};
        for (const item of expr.items) {
          const k = this.eval(item.key, scope);
          if (k instanceof UnknownValue) throw new EvalError('Invalid object key', 'An object key must be known when the file is read.', item.key.range);
          const key = this.convert(item.key.range, 'Invalid object key', () => asString(k, 'object key'));
          setKey(out, key, this.eval(item.value, scope));
        }
        return out;
      }
      case 'for':
        return this.forExpr(expr, scope);
      case 'unary': {
        const v = this.eval(expr.operand, scope);
        if (v instanceof UnknownValue) return new UnknownValue(expr.text);
        if (expr.op === '!') return !this.convert(expr.operand.range, 'Invalid operand', () => asBool(v, 'operand of "!"'));
        return -this.convert(expr.operand.range, 'Invalid operand', () => asNumber(v, 'operand of "-"'));
      }
      case 'binary':
        return this.binary(expr, scope);
      case 'conditional': {
        const c = this.eval(expr.condition, scope);
        if (c instanceof UnknownValue) return new UnknownValue(expr.text);
        const cond = this.convert(expr.condition.range, 'Incorrect condition type', () => asBool(c, 'condition'));
        return this.eval(cond ? expr.trueExpr : expr.falseExpr, scope);
      }
    }
  }

  private template(parts: TemplatePart[], scope: Scope): string {
    let out = '';
    for (const part of parts) {
      switch (part.kind) {
        case 'text':
          out += part.value;
          break;
        case 'interp': {
          const v = this.eval(part.expr, scope);
          if (v instanceof UnknownValue) {
            out += part.text;
            break;
          }
          if (v === null) throw new EvalError('Invalid template interpolation value', 'The expression result is null; it cannot be put into a string.', part.expr.range);
          out += this.convert(part.expr.range, 'Invalid template interpolation value', () => asString(v, 'interpolated value'));
          break;
        }
        case 'if': {
          const c = this.eval(part.cond, scope);
          if (c instanceof UnknownValue) throw new EvalError('Unknown condition in template', `The condition of this directive refers to "${c.text}", known only at runtime.`, part.cond.range);
          const cond = this.convert(part.cond.range, 'Invalid template directive condition', () => asBool(c, 'condition'));
          out += this.template(cond ? part.then : part.else, scope);
          break;
        }
        case 'for': {
          const coll = this.eval(part.collection, scope);
          for (const [k, v] of this.iterate(coll, part.collection.range)) {
            const vars: Record<string, Value> = { [part.valueVar]: v };
            if (part.keyVar !== undefined) vars[part.keyVar] = k;
            out += this.template(part.body, withVars(scope, vars));
          }
          break;
        }
      }
    }
    return out;
  }

  private getAttr(obj: Value, name: string, expr: Expr): Value {
    if (obj instanceof UnknownValue) return new UnknownValue(expr.text);
    if (obj === null) throw new EvalError('Attempt to get attribute from null value', `This value is null, so it has no attribute "${name}".`, expr.range);
    if (isObjectValue(obj)) {
      if (Object.hasOwn(obj, name)) return obj[name] as Value;
      throw new EvalError('Unsupported attribute', `This object does not have an attribute named "${name}".`, expr.range);
    }
    throw new EvalError('Unsupported attribute', `Cannot read attribute "${name}" of ${describeType(obj)}.`, expr.range);
  }

  private index(coll: Value, key: Value, expr: Extract<Expr, { kind: 'index' }>): Value {
    if (coll instanceof UnknownValue || key instanceof UnknownValue) return new UnknownValue(expr.text);
    if (coll === null) throw new EvalError('Attempt to index null value', 'This value is null, so it cannot be indexed.', expr.collection.range);
    if (Array.isArray(coll)) {
      const i = this.convert(expr.key.range, 'Invalid index', () => asInteger(key, 'index'));
      if (i < 0 || i >= coll.length) {
        throw new EvalError('Invalid index', `The index ${i} is out of range for a list of ${coll.length} element${coll.length === 1 ? '' : 's'}.`, expr.key.range);
      }
      return coll[i] as Value;
    }
    if (isObjectValue(coll)) {
      const k = this.convert(expr.key.range, 'Invalid index', () => asString(key, 'key'));
      if (Object.hasOwn(coll, k)) return coll[k] as Value;
      throw new EvalError('Invalid index', `The given key ${JSON.stringify(k)} does not identify an element in this map.`, expr.key.range);
    }
    throw new EvalError('Invalid index', `${describeType(coll)} cannot be indexed: only lists and maps can.`, expr.collection.range);
  }

  private splat(expr: Extract<Expr, { kind: 'splat' }>, scope: Scope): Value {
    const source = this.eval(expr.source, scope);
    if (source instanceof UnknownValue) return new UnknownValue(expr.text);
    if (source === null) return [];
    const items = Array.isArray(source) ? source : [source];
    return items.map((item) => this.eval(expr.each, { ...scope, splatItem: item }));
  }

  /** Key/value pairs of a collection: index/element for lists, sorted key/value for maps. */
  private iterate(coll: Value, range: Range): Array<[Value, Value]> {
    if (coll instanceof UnknownValue) throw new EvalError('Unknown collection', `"${coll.text}" is known only at runtime, so it cannot be iterated over here.`, range);
    if (Array.isArray(coll)) return coll.map((v, i) => [i, v]);
    if (isObjectValue(coll)) return Object.keys(coll).sort().map((k) => [k, coll[k] as Value]);
    if (coll === null) throw new EvalError('Iteration over null value', 'The collection to iterate over is null.', range);
    throw new EvalError('Iteration over non-iterable value', `Cannot iterate over ${describeType(coll)}: a list or map is required.`, range);
  }

  private forExpr(expr: Extract<Expr, { kind: 'for' }>, scope: Scope): Value {
    const coll = this.eval(expr.collection, scope);
    if (coll instanceof UnknownValue) return new UnknownValue(expr.text);
    const pairs = this.iterate(coll, expr.collection.range);
    const tupleOut: Value[] = [];
    const objOut: ValueObject = {};
    for (const [k, v] of pairs) {
      const vars: Record<string, Value> = { [expr.valueVar]: v };
      if (expr.keyVar !== undefined) vars[expr.keyVar] = k;
      const inner = withVars(scope, vars);
      if (expr.condition) {
        const c = this.eval(expr.condition, inner);
        if (c instanceof UnknownValue) return new UnknownValue(expr.text);
        if (!this.convert(expr.condition.range, 'Invalid "for" condition', () => asBool(c, 'condition'))) continue;
      }
      if (!expr.keyExpr) {
        tupleOut.push(this.eval(expr.valueExpr, inner));
        continue;
      }
      const keyValue = this.eval(expr.keyExpr, inner);
      const keyExpr = expr.keyExpr;
      if (keyValue instanceof UnknownValue) return new UnknownValue(expr.text);
      const key = this.convert(keyExpr.range, 'Invalid object key', () => asString(keyValue, 'object key'));
      const value = this.eval(expr.valueExpr, inner);
      if (expr.grouping) {
        const group = Object.hasOwn(objOut, key) ? (objOut[key] as Value[]) : [];
        group.push(value);
        setKey(objOut, key, group);
      } else {
        if (Object.hasOwn(objOut, key)) {
          throw new EvalError('Duplicate object key', `Two elements produce the key ${JSON.stringify(key)}. Add "..." after the value expression to group values by key.`, keyExpr.range);
        }
        setKey(objOut, key, value);
      }
    }
    return expr.keyExpr ? objOut : tupleOut;
  }

  private binary(expr: Extract<Expr, { kind: 'binary' }>, scope: Scope): Value {
    const { op } = expr;
    const left = this.eval(expr.left, scope);
    // && and || stop early, so `x != null && x.y` guards.
    if ((op === '&&' || op === '||') && !(left instanceof UnknownValue)) {
      const l = this.convert(expr.left.range, 'Invalid operand', () => asBool(left, `left operand of "${op}"`));
      if (op === '&&' && !l) return false;
      if (op === '||' && l) return true;
      const right = this.eval(expr.right, scope);
      if (right instanceof UnknownValue) return new UnknownValue(expr.text);
      return this.convert(expr.right.range, 'Invalid operand', () => asBool(right, `right operand of "${op}"`));
    }
    const right = this.eval(expr.right, scope);
    if (left instanceof UnknownValue || right instanceof UnknownValue) return new UnknownValue(expr.text);
    if (op === '==') return valuesEqual(left, right);
    if (op === '!=') return !valuesEqual(left, right);
    const l = this.convert(expr.left.range, 'Invalid operand', () => asNumber(left, `left operand of "${op}"`));
    const r = this.convert(expr.right.range, 'Invalid operand', () => asNumber(right, `right operand of "${op}"`));
    switch (op) {
      case '+':
        return l + r;
      case '-':
        return l - r;
      case '*':
        return l * r;
      case '/':
        if (r === 0) throw new EvalError('Division by zero', 'The right operand of "/" is zero.', expr.right.range);
        return l / r;
      case '%':
        if (r === 0) throw new EvalError('Division by zero', 'The right operand of "%" is zero.', expr.right.range);
        return l % r;
      case '<':
        return l < r;
      case '>':
        return l > r;
      case '<=':
        return l <= r;
      case '>=':
        return l >= r;
    }
    throw new EvalError('Invalid operator', `The operator "${op}" is not supported.`, expr.range);
  }

  private call(expr: Extract<Expr, { kind: 'call' }>, scope: Scope): Value {
    const f = this.ctx.functions[expr.name];
    if (!f || !Object.hasOwn(this.ctx.functions, expr.name)) {
      throw new EvalError('Call to unknown function', `There is no function named "${expr.name}".`, expr.nameRange);
    }
    if (f.lazy) {
      this.checkArity(f, expr.args.length, expr);
      return f.call(expr.args, (e) => this.eval(e, scope));
    }
    let args = expr.args.map((a) => this.eval(a, scope));
    let argRanges = expr.args.map((a) => a.range);
    if (expr.expandFinal) {
      const last = args[args.length - 1] as Value;
      const lastRange = argRanges[argRanges.length - 1] as Range;
      if (last instanceof UnknownValue) return new UnknownValue(expr.text);
      if (!Array.isArray(last)) throw new EvalError('Invalid expanding argument value', `The argument before "..." must be a list, but it is ${describeType(last)}.`, lastRange);
      args = [...args.slice(0, -1), ...last];
      argRanges = [...argRanges.slice(0, -1), ...last.map(() => lastRange)];
    }
    this.checkArity(f, args.length, expr);
    if (args.some(containsUnknown)) return new UnknownValue(expr.text);
    try {
      return f.call(args);
    } catch (e) {
      if (e instanceof FunctionError || e instanceof ConversionError) {
        const i = e instanceof FunctionError ? e.argIndex : undefined;
        const range = i !== undefined ? (argRanges[Math.min(i, argRanges.length - 1)] ?? expr.range) : expr.range;
        const summary = i !== undefined ? 'Invalid function argument' : 'Error in function call';
        const which = i !== undefined ? `argument ${i + 1} of ${expr.name}()` : `${expr.name}()`;
        throw new EvalError(summary, `Invalid value for ${which}: ${e.message}`, range);
      }
      throw e;
    }
  }

  private checkArity(f: HclFunction, count: number, expr: Extract<Expr, { kind: 'call' }>): void {
    if (count < f.minArgs) {
      const missing = f.params?.[count];
      throw new EvalError(
        'Not enough function arguments',
        `Function "${expr.name}" expects ${f.maxArgs === Infinity ? 'at least ' : ''}${f.minArgs} argument${f.minArgs === 1 ? '' : 's'}${missing ? `; missing "${missing}"` : ''}.`,
        expr.range,
      );
    }
    if (count > f.maxArgs) {
      throw new EvalError('Too many function arguments', `Function "${expr.name}" expects at most ${f.maxArgs} argument${f.maxArgs === 1 ? '' : 's'}, but ${count} were given.`, expr.range);
    }
  }
}
