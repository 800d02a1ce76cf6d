// Type conversion functions, and try()/can(), which catch evaluation errors of their
// arguments and so receive them unevaluated.

import { asBool, asNumber, asString, convertTo } from '../convert.js';
import { EvalError } from '../evaluate.js';
import { fn, FunctionError, type HclFunction, type LazyFunction } from '../function.js';
import { isObjectValue, UnknownValue, type Value } from '../value.js';

const tryFunction: LazyFunction = {
  lazy: true,
  minArgs: 1,
  maxArgs: Infinity,
  params: ['expressions'],
  call(args, evaluateArg) {
    for (const arg of args) {
      try {
        return evaluateArg(arg);
      } catch (e) {
        if (!(e instanceof EvalError)) throw e;
      }
    }
    throw new FunctionError('No expression given to try() produced a value without errors.');
  },
};

const canFunction: LazyFunction = {
  lazy: true,
  minArgs: 1,
  maxArgs: 1,
  params: ['expression'],
  call(args, evaluateArg) {
    try {
      const v = evaluateArg(args[0] as NonNullable<(typeof args)[0]>);
      return v instanceof UnknownValue ? v : true;
    } catch (e) {
      if (e instanceof EvalError) return false;
      throw e;
    }
  },
};

export const conversionFunctions: Record<string, HclFunction> = {
  tostring: fn(['v'], (a) => (a[0] === null ? null : asString(a[0] as Value))),
  tonumber: fn(['v'], (a) => (a[0] === null ? null : asNumber(a[0] as Value))),
  tobool: fn(['v'], (a) => (a[0] === null ? null : asBool(a[0] as Value))),
  tolist: fn(['v'], (a) => {
    const v = a[0] as Value;
    if (!Array.isArray(v)) throw new FunctionError('tolist() needs a list, tuple or set.', 0);
    return v;
  }),
  toset: fn(['v'], (a) => convertTo(a[0] as Value, { kind: 'set', element: { kind: 'any' } })),
  tomap: fn(['v'], (a) => {
    const v = a[0] as Value;
    if (!isObjectValue(v)) throw new FunctionError('tomap() needs a map or an object.', 0);
    return v;
  }),
  try: tryFunction,
  can: canFunction,
};

