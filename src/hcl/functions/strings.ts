// String functions.

import { fn, FunctionError, type HclFunction } from '../function.js';
import type { Value } from '../value.js';
import { int, list, str } from './args.js';
import { formatList, formatValues } from './format.js';
import { regexAll, regexFirst, regexReplace } from './regexp.js';

const chars = (s: string): string[] => [...s];

/** Characters in a cutset, for trim(). */
function trimSet(s: string, cutset: string, left: boolean, right: boolean): string {
  const set = new Set(chars(cutset));
  const cs = chars(s);
  let a = 0;
  let b = cs.length;
  if (left) while (a < b && set.has(cs[a] as string)) a++;
  if (right) while (b > a && set.has(cs[b - 1] as string)) b--;
  return cs.slice(a, b).join('');
}

export const stringFunctions: Record<string, HclFunction> = {
  chomp: fn(['str'], (a) => str(a, 0).replace(/(\r?\n)+$/, '')),
  format: fn(['format', 'args'], (a) => formatValues(str(a, 0), a.slice(1)), { variadic: true }),
  formatlist: fn(['format', 'args'], (a) => formatList(str(a, 0), a.slice(1)), { variadic: true }),
  indent: fn(['spaces', 'str'], (a) => str(a, 1).replace(/\n/g, '\n' + ' '.repeat(Math.max(0, int(a, 0))))),
  join: fn(
    ['separator', 'lists'],
    (a) => {
      const sep = str(a, 0);
      const parts: string[] = [];
      for (let i = 1; i < a.length; i++) for (const item of list(a, i)) parts.push(str([item], 0));
      return parts.join(sep);
    },
    { variadic: true },
  ),
  lower: fn(['str'], (a) => str(a, 0).toLowerCase()),
  upper: fn(['str'], (a) => str(a, 0).toUpperCase()),
  regex_replace: fn(['str', 'pattern', 'replacement'], (a) => regexReplace(str(a, 0), str(a, 1), str(a, 2))),
  regex: fn(['pattern', 'str'], (a) => regexFirst(str(a, 0), str(a, 1))),
  regexall: fn(['pattern', 'str'], (a) => regexAll(str(a, 0), str(a, 1))),
  replace: fn(['str', 'substr', 'replace'], (a) => {
    const sub = str(a, 1);
    return sub === '' ? str(a, 0) : str(a, 0).split(sub).join(str(a, 2));
  }),
  split: fn(['separator', 'str'], (a) => {
    const s = str(a, 1);
    return s === '' ? [''] : s.split(str(a, 0));
  }),
  strrev: fn(['str'], (a) => chars(str(a, 0)).reverse().join('')),
  substr: fn(['str', 'offset', 'length'], (a) => {
    const cs = chars(str(a, 0));
    let offset = int(a, 1);
    let length = int(a, 2);
    if (offset < 0) offset = Math.max(0, cs.length + offset);
    if (offset > cs.length) throw new FunctionError('The offset is beyond the end of the string.', 1);
    if (length < 0) length = cs.length - offset;
    return cs.slice(offset, offset + length).join('');
  }),
  title: fn(['str'], (a) => str(a, 0).replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase())),
  trim: fn(['str', 'cutset'], (a) => trimSet(str(a, 0), str(a, 1), true, true)),
  trimprefix: fn(['str', 'prefix'], (a) => {
    const s = str(a, 0);
    const p = str(a, 1);
    return s.startsWith(p) ? s.slice(p.length) : s;
  }),
  trimsuffix: fn(['str', 'suffix'], (a) => {
    const s = str(a, 0);
    const p = str(a, 1);
    return p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  }),
  trimspace: fn(['str'], (a) => str(a, 0).trim()),
  startswith: fn(['str', 'prefix'], (a) => str(a, 0).startsWith(str(a, 1))),
  endswith: fn(['str', 'suffix'], (a) => str(a, 0).endsWith(str(a, 1))),
};
