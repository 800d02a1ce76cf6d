// Problems found while parsing or evaluating, as data: callers decide how to show them.

import { formatPos, type Range } from './range.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** A short title, e.g. "Unclosed configuration block". */
  summary: string;
  /** A sentence or two saying what is wrong and what was expected. */
  detail: string;
  /** Where the problem is; absent only for problems that have no place in a file. */
  range?: Range;
}

export function errorAt(range: Range | undefined, summary: string, detail: string): Diagnostic {
  return range ? { severity: 'error', summary, detail, range } : { severity: 'error', summary, detail };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** "file.hcl:12:5: Summary: detail" */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.range ? `${formatPos(d.range)}: ` : '';
  return d.detail ? `${where}${d.summary}: ${d.detail}` : `${where}${d.summary}`;
}
