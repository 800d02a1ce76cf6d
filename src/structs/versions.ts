// Version constraints for the `version` operand (ranges in the manner of Go's go-version: "~>",
// pre-releases only match pre-release constraints of the same base) and the `semver` operand
// (Semantic Versioning 2.0 ordering, no "~>").

export interface ParsedVersion {
  segments: number[]; // always at least 3, padded with zeros
  specified: number; // how many segments were written
  prerelease: string;
}

const VERSION_RE = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z\-~]+(?:\.[0-9A-Za-z\-~]+)*))?(?:\+[0-9A-Za-z\-~]+(?:\.[0-9A-Za-z\-~]+)*)?$/;
const SEMVER_RE = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

export function parseVersion(text: string, strictSemver = false): ParsedVersion | null {
  const s = text.trim();
  if (strictSemver) {
    const m = SEMVER_RE.exec(s);
    if (!m) return null;
    return { segments: [Number(m[1]), Number(m[2]), Number(m[3])], specified: 3, prerelease: m[4] ?? '' };
  }
  const m = VERSION_RE.exec(s);
  if (!m) return null;
  const segments = m[1]!.split('.').map(Number);
  const specified = segments.length;
  while (segments.length < 3) segments.push(0);
  return { segments, specified, prerelease: m[2] ?? '' };
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1; // a release sorts after its pre-releases
  if (b === '') return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d < 0 ? -1 : 1;
    } else if (xn !== yn) {
      return xn ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

export function compareVersions(a: ParsedVersion, b: ParsedVersion): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const d = (a.segments[i] ?? 0) - (b.segments[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return comparePrerelease(a.prerelease, b.prerelease);
}

type Op = '=' | '!=' | '>' | '<' | '>=' | '<=' | '~>';
interface Term {
  op: Op;
  version: ParsedVersion;
}

const TERM_RE = /^\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*$/;

/** Parses "> 1.0, < 2.0"; null when any term is malformed. */
export function parseConstraintTerms(text: string, strictSemver: boolean): Term[] | null {
  const terms: Term[] = [];
  for (const part of text.split(',')) {
    const m = TERM_RE.exec(part);
    if (!m) return null;
    const op = (m[1] ?? '=') as Op;
    if (strictSemver && op === '~>') return null;
    const version = parseVersion(m[2]!, strictSemver);
    if (!version) return null;
    terms.push({ op, version });
  }
  return terms.length > 0 ? terms : null;
}

function pessimistic(v: ParsedVersion, c: ParsedVersion): boolean {
  if ((c.prerelease !== '') !== (v.prerelease !== '')) return false;
  if (compareVersions(v, c) < 0) return false;
  if (c.specified > v.specified) return false;
  for (let i = 0; i < c.specified - 1; i++) if (v.segments[i] !== c.segments[i]) return false;
  return (c.segments[c.specified - 1] ?? 0) <= (v.segments[c.specified - 1] ?? 0);
}

function termHolds(v: ParsedVersion, t: Term, strictSemver: boolean): boolean {
  if (!strictSemver && t.op !== '~>') {
    // A pre-release only satisfies a constraint that names a pre-release of the same base.
    const vPre = v.prerelease !== '';
    const cPre = t.version.prerelease !== '';
    if (vPre && !cPre) return false;
    if (vPre && cPre && v.segments.join('.') !== t.version.segments.join('.')) return false;
  }
  const cmp = compareVersions(v, t.version);
  switch (t.op) {
    case '=':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '>':
      return cmp > 0;
    case '<':
      return cmp < 0;
    case '>=':
      return cmp >= 0;
    case '<=':
      return cmp <= 0;
    case '~>':
      return pessimistic(v, t.version);
  }
}

export function versionMatches(versionText: string, terms: Term[], strictSemver: boolean): boolean {
  const v = parseVersion(versionText, strictSemver);
  if (!v) return false;
  return terms.every((t) => termHolds(v, t, strictSemver));
}
