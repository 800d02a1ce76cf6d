// The shape of a function callable from HCL expressions.

import type { Expr } from './ast.js';
import type { Value } from './value.js';

/** Thrown by a function body; `argIndex` points the error at one argument. */
export class FunctionError extends Error {
  constructor(
    message: string,
    readonly argIndex?: number,
  ) {
    super(message);
  }
}

export interface EagerFunction {
  lazy?: false;
  /** Fewest arguments accepted. */
  minArgs: number;
  /** Most arguments accepted; Infinity for variadic functions. */
  maxArgs: number;
  /** Parameter names, for "Not enough arguments" messages. */
  params?: string[];
  call(args: Value[]): Value;
}

/** Functions like `try` and `can` see their arguments unevaluated, to catch their errors. */
export interface LazyFunction {
  lazy: true;
  minArgs: number;
  maxArgs: number;
  params?: string[];
  call(args: Expr[], evaluateArg: (e: Expr) => Value): Value;
}

export type HclFunction = EagerFunction | LazyFunction;

/** A shorthand for the common case of a function with a fixed parameter list. */
export function fn(params: string[], call: (args: Value[]) => Value, opts: { optional?: number; variadic?: boolean } = {}): EagerFunction {
  return {
    minArgs: params.length - (opts.optional ?? 0) - (opts.variadic ? 1 : 0),
    maxArgs: opts.variadic ? Infinity : params.length,
    params,
    call,
  };
}
