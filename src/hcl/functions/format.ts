// format() and formatlist(): printf-style verbs as in Go's fmt, which is what job authors
// coming from Nomad expect (%s %d %f %q %v %t %x %o %b %e %g %%, flags "-+ 0#", width,
// precision and explicit argument indexes like %[2]s).

import { asNumber, asString } from '../convert.js';
import { FunctionError } from '../function.js';
import { numberToString, type Value } from '../value.js';
import { jsonEncode } from './encoding.js';

const VERB = /%([-+ 0#]*)(?:\[(\d+)\])?(\d+|\*)?(?:\.(\d+))?([a-zA-Z%])/g;

export function formatValues(spec: string, args: Value[]): string {
  let next = 0;
  return spec.replace(VERB, (whole: string, flags: string, index: string | undefined, width: string | undefined, precision: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (index !== undefined) next = Number(index) - 1;
    if (next < 0 || next >= args.length) {
      throw new FunctionError(`The format string has more verbs than there are arguments (at "${whole}").`, 0);
    }
    const argIndex = next++;
    const v = args[argIndex] as Value;
    let body = render(verb, v, flags, precision === undefined ? undefined : Number(precision), argIndex + 1);
    const w = width === undefined || width === '*' ? 0 : Number(width);
    if (body.length < w) {
      if (flags.includes('-')) body = body.padEnd(w, ' ');
      else if (flags.includes('0') && /^[dfeEgGxXob]$/.test(verb)) {
        const sign = /^[+-]/.test(body) ? body[0] : '';
        body = sign + body.slice(sign.length).padStart(w - sign.length, '0');
      } else body = body.padStart(w, ' ');
    }
    return body;
  });
}

function signed(s: string, n: number, flags: string): string {
  if (n >= 0 && flags.includes('+')) return '+' + s;
  if (n >= 0 && flags.includes(' ')) return ' ' + s;
  return s;
}

function render(verb: string, v: Value, flags: string, precision: number | undefined, argNo: number): string {
  const needNumber = (): number => {
    try {
      return asNumber(v, `argument ${argNo}`);
    } catch {
      throw new FunctionError(`The verb %${verb} needs a number, but argument ${argNo} is not one.`, argNo);
    }
  };
  switch (verb) {
    case 's': {
      let s: string;
      try {
        s = asString(v, `argument ${argNo}`);
      } catch {
        throw new FunctionError(`The verb %s needs a string, but argument ${argNo} is not one.`, argNo);
      }
      return precision === undefined ? s : [...s].slice(0, precision).join('');
    }
    case 'q':
      return JSON.stringify(asString(v));
    case 'v':
      if (flags.includes('#')) return jsonEncode(v);
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return asString(v);
      if (v === null) return 'null';
      return jsonEncode(v);
    case 't':
      if (typeof v !== 'boolean') throw new FunctionError(`The verb %t needs a bool, but argument ${argNo} is not one.`, argNo);
      return String(v);
    case 'd': {
      const n = needNumber();
      if (!Number.isInteger(n)) throw new FunctionError(`The verb %d needs a whole number, but argument ${argNo} is ${numberToString(n)}.`, argNo);
      return signed(numberToString(n), n, flags);
    }
    case 'f':
    case 'F': {
      const n = needNumber();
      return signed(n.toFixed(precision ?? 6), n, flags);
    }
    case 'e':
    case 'E': {
      const n = needNumber();
      const s = n.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      return signed(verb === 'E' ? s.toUpperCase() : s, n, flags);
    }
    case 'g':
    case 'G': {
      const n = needNumber();
      const s = precision === undefined ? numberToString(n) : String(Number(n.toPrecision(precision)));
      return signed(verb === 'G' ? s.toUpperCase() : s, n, flags);
    }
    case 'x':
    case 'X':
    case 'o':
    case 'b': {
      if (typeof v === 'string' && (verb === 'x' || verb === 'X')) {
        const hex = Buffer.from(v, 'utf8').toString('hex');
        return verb === 'X' ? hex.toUpperCase() : hex;
      }
      const n = needNumber();
      const base = verb === 'o' ? 8 : verb === 'b' ? 2 : 16;
      const s = Math.trunc(n).toString(base);
      const prefix = flags.includes('#') ? (base === 16 ? '0x' : base === 8 ? '0' : '') : '';
      const out = n < 0 ? '-' + prefix + s.slice(1) : prefix + s;
      return verb === 'X' ? out.toUpperCase() : out;
    }
    default:
      throw new FunctionError(`Unsupported format verb "%${verb}".`, 0);
  }
}

/** formatlist: like format, but list arguments are iterated in step (all of the same length). */
export function formatList(spec: string, args: Value[]): Value[] {
  let length: number | undefined;
  args.forEach((a, i) => {
    if (!Array.isArray(a)) return;
    if (length !== undefined && a.length !== length) {
      throw new FunctionError(`All list arguments must have the same length; argument ${i + 2} has ${a.length} elements, an earlier one ${length}.`, i + 1);
    }
    length = a.length;
  });
  if (length === undefined) return [formatValues(spec, args)];
  const out: Value[] = [];
  for (let n = 0; n < length; n++) out.push(formatValues(spec, args.map((a) => (Array.isArray(a) ? (a[n] as Value) : a))));
  return out;
}

