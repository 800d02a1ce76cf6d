// Numeric functions.

import { fn, FunctionError, type HclFunction } from '../function.js';
import { int, num, str } from './args.js';

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

export const numberFunctions: Record<string, HclFunction> = {
  abs: fn(['num'], (a) => Math.abs(num(a, 0))),
  ceil: fn(['num'], (a) => Math.ceil(num(a, 0))),
  floor: fn(['num'], (a) => Math.floor(num(a, 0))),
  log: fn(['num', 'base'], (a) => Math.log(num(a, 0)) / Math.log(num(a, 1))),
  pow: fn(['num', 'power'], (a) => Math.pow(num(a, 0), num(a, 1))),
  signum: fn(['num'], (a) => Math.sign(num(a, 0))),
  max: fn(['numbers'], (a) => {
    if (a.length === 0) throw new FunctionError('max() needs at least one number.');
    return Math.max(...a.map((_, i) => num(a, i)));
  }, { variadic: true }),
  min: fn(['numbers'], (a) => {
    if (a.length === 0) throw new FunctionError('min() needs at least one number.');
    return Math.min(...a.map((_, i) => num(a, i)));
  }, { variadic: true }),
  parseint: fn(['number', 'base'], (a) => {
    const base = int(a, 1);
    if (base < 2 || base > 36) throw new FunctionError('The base must be between 2 and 36.', 1);
    const s = str(a, 0);
    const m = /^([+-]?)(.+)$/.exec(s);
    const digits = (m?.[2] ?? '').toLowerCase();
    if (digits === '' || [...digits].some((c) => { const d = DIGITS.indexOf(c); return d < 0 || d >= base; })) {
      throw new FunctionError(`Cannot parse ${JSON.stringify(s)} as a base ${base} integer.`, 0);
    }
    const n = parseInt(digits, base);
    return m?.[1] === '-' ? -n : n;
  }),
};
