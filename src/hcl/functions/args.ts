// Reading function arguments with conversion errors pointed at the argument at fault.

import { asBool, asInteger, asList, asNumber, asObject, asString, ConversionError } from '../convert.js';
import { FunctionError } from '../function.js';
import type { Value, ValueObject } from '../value.js';

function at<T>(args: Value[], i: number, conv: (v: Value, what: string) => T): T {
  try {
    return conv(args[i] ?? null, 'argument');
  } catch (e) {
    if (e instanceof ConversionError) throw new FunctionError(e.message, i);
    throw e;
  }
}

export const str = (args: Value[], i: number): string => at(args, i, asString);
export const num = (args: Value[], i: number): number => at(args, i, asNumber);
export const int = (args: Value[], i: number): number => at(args, i, asInteger);
export const bool = (args: Value[], i: number): boolean => at(args, i, asBool);
export const list = (args: Value[], i: number): Value[] => at(args, i, asList);
export const obj = (args: Value[], i: number): ValueObject => at(args, i, asObject);
