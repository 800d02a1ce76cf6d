// Go (RE2) regular expression syntax mapped onto JavaScript's, for the regex functions.

import { FunctionError } from '../function.js';

/** Compile a Go-syntax pattern: named groups `(?P<name>...)` and leading flags `(?i)`. */
export function goRegexp(pattern: string, argIndex: number, flags: string): RegExp {
  let source = pattern.replace(/\(\?P</g, '(?<');
  let extra = '';
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    source = source.slice(leading[0].length);
    for (const f of leading[1] as string) if (f !== 'U' && !extra.includes(f)) extra += f;
  }
  try {
    return new RegExp(source, flags + extra + 'u');
  } catch (e) {
    throw new FunctionError(`Invalid regular expression: ${(e as Error).message}`, argIndex);
  }
}

/** Go's replacement syntax (`$1`, `${1}`, `${name}`) to JavaScript's (`$1`, `$<name>`). */
export function goReplacement(replacement: string): string {
  return replacement.replace(/\$\{(\w+)\}|\$(\d+)|\$(\$)|\$([A-Za-z_]\w*)/g, (_m, braced: string | undefined, digits: string | undefined, dollar: string | undefined, bare: string | undefined) => {
    if (dollar) return '$$';
    const name = braced ?? digits ?? bare ?? '';
    return /^\d+$/.test(name) ? `$${name}` : `$<${name}>`;
  });
}
