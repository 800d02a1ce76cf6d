// The regex functions on a linear-time engine with Go's (RE2) syntax and semantics, as the
// functions Nomad offers have: a pattern from a job file can never hold the parser for long
// (no backtracking), and `(?P<name>...)`, `(?i)` and friends mean what they mean in Go.

import { RE2JS, type Matcher } from 're2js';
import { FunctionError } from '../function.js';
import type { Value } from '../value.js';

/** Compiles a Go-syntax pattern; a syntax error is the function's error on that argument. */
export function goRegexp(pattern: string, argIndex: number): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    throw new FunctionError(`Invalid regular expression: ${(e as Error).message}`, argIndex);
  }
}

/**
 * Every match as Go's FindAll does: left to right, an empty match right after the previous
 * match is skipped, and the search moves on by at least one character.
 */
function* allMatches(re: RE2JS, input: string): Generator<Matcher> {
  const m = re.matcher(input);
  let pos = 0;
  let prevEnd = -1;
  while (pos <= input.length && m.find(pos)) {
    const start = m.start();
    const end = m.end();
    const accept = !(end === start && start === prevEnd);
    pos = end > pos ? end : pos + charWidth(input, pos);
    prevEnd = end;
    if (accept) yield m;
  }
}

/** UTF-16 units of the character at i (1 at the end, so that the loop ends). */
function charWidth(s: string, i: number): number {
  const c = s.codePointAt(i);
  return c !== undefined && c > 0xffff ? 2 : 1;
}

/** A match as the regex functions give it: the text, a list of groups, or an object of named groups. */
function matchValue(re: RE2JS, m: Matcher): Value {
  const names = Object.keys(re.namedGroups());
  const count = re.groupCount();
  if (count === 0) return m.group(0) ?? '';
  if (names.length > 0) {
    if (names.length !== count) throw new FunctionError('Invalid regular expression: named and unnamed capture groups cannot be mixed', 0);
    const out: Record<string, Value> = {};
    for (const n of names) out[n] = m.group(n);
    return out;
  }
  const groups: Value[] = [];
  for (let i = 1; i <= count; i++) groups.push(m.group(i));
  return groups;
}

export function regexFirst(pattern: string, input: string): Value {
  const re = goRegexp(pattern, 0);
  const m = re.matcher(input);
  if (!m.find()) throw new FunctionError('The pattern did not match the string.', 0);
  return matchValue(re, m);
}

export function regexAll(pattern: string, input: string): Value[] {
  const re = goRegexp(pattern, 0);
  const out: Value[] = [];
  for (const m of allMatches(re, input)) out.push(matchValue(re, m));
  return out;
}

/** Replaces every match, expanding `$1`, `${1}`, `$name`, `${name}` and `$$` as Go does. */
export function regexReplace(input: string, pattern: string, replacement: string): string {
  const re = goRegexp(pattern, 1);
  let out = '';
  let copied = 0;
  for (const m of allMatches(re, input)) {
    out += input.slice(copied, m.start()) + expand(replacement, m);
    copied = m.end();
  }
  return out + input.slice(copied);
}

/**
 * Go's template expansion: `$name` takes the longest run of letters, digits and underscores;
 * a number names a group by position, anything else by name; an unknown group is empty; a `$`
 * that starts no reference stays as it is.
 */
function expand(template: string, m: Matcher): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) return out + template.slice(i);
    out += template.slice(i, dollar);
    const ref = /^\$(?:\$|\{(\w+)\}|(\w+))/.exec(template.slice(dollar, dollar + 2 + 256));
    if (!ref) {
      out += '$';
      i = dollar + 1;
      continue;
    }
    i = dollar + ref[0].length;
    if (ref[0] === '$$') {
      out += '$';
      continue;
    }
    out += groupText(m, (ref[1] ?? ref[2]) as string);
  }
  return out;
}

function groupText(m: Matcher, name: string): string {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    return n <= m.groupCount() ? (m.group(n) ?? '') : '';
  }
  return Object.hasOwn(m.pattern().namedGroups(), name) ? (m.group(name) ?? '') : '';
}
