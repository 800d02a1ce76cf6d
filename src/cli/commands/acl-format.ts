// How the acl commands print tokens and policies, as today's Nomad prints them.
import type { AclPolicy, AclPolicyListStub, AclToken, AclTokenListStub } from '../../api/index.js';
import { formatKV, formatList } from '../format.js';
import type { Io } from '../context.js';
import { errText } from '../base.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Go's time.Time String(): "2017-09-11 17:38:10.999089612 +0000 UTC" (trailing zeros dropped). */
export function goTimeString(rfc3339: string | null | undefined): string {
  const m = rfc3339 ? /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(rfc3339) : null;
  if (!m) return rfc3339 ?? '';
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]} ${m[2]}${frac ? '.' + frac : ''} +0000 UTC`;
}

export function formatToken(t: AclToken): string {
  const kv = [
    `Accessor ID|${t.AccessorID}`,
    `Secret ID|${t.SecretID}`,
    `Name|${t.Name}`,
    `Type|${t.Type}`,
    `Global|${t.Global}`,
    `Create Time|${goTimeString(t.CreateTime)}`,
    `Expiry Time|${t.ExpirationTime ? goTimeString(t.ExpirationTime) : '<none>'}`,
    `Create Index|${t.CreateIndex}`,
    `Modify Index|${t.ModifyIndex}`,
  ];
  if (t.Type === 'management') return formatKV([...kv, 'Policies|n/a', 'Roles|n/a']);
  // Go prints a []string as [a b].
  return `${formatKV([...kv, `Policies|[${(t.Policies ?? []).join(' ')}]`])}\n\nRoles\n<none>`;
}

export function formatPolicy(p: AclPolicy): string {
  return `${formatKV([`Name|${p.Name}`, `Description|${p.Description}`, `CreateIndex|${p.CreateIndex}`, `ModifyIndex|${p.ModifyIndex}`])}\n\nRules\n\n${p.Rules}`;
}

export function formatPolicies(policies: AclPolicyListStub[]): string {
  if (policies.length === 0) return 'No policies found';
  return formatList(['Name|Description', ...policies.map((p) => `${p.Name}|${p.Description}`)]);
}

export function formatTokens(tokens: AclTokenListStub[], nowMs: number): string {
  if (tokens.length === 0) return 'No tokens found';
  const rows = tokens.map((t) => {
    const expired = t.ExpirationTime !== null && Date.parse(t.ExpirationTime) < nowMs;
    return `${t.Name}|${t.Type}|${t.Global}|${t.AccessorID}|${expired}`;
  });
  return formatList(['Name|Type|Global|Accessor ID|Expired', ...rows]);
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 4);
}

/** A file's text, or standard input's for "-". */
export function readInput(path: string, cwd: string): string {
  return path === '-' ? readFileSync(0, 'utf8') : readFileSync(resolve(cwd, path), 'utf8');
}

/** Runs one API call; prints its answer, or Nomad's "<failure>: <error>" and exits 1. */
export async function callAndPrint<T>(io: Io, failure: string, call: () => Promise<T>, print: (value: T) => string): Promise<number> {
  let value: T;
  try {
    value = await call();
  } catch (err) {
    io.err(`${failure}: ${errText(err)}`);
    return 1;
  }
  io.out(print(value));
  return 0;
}
