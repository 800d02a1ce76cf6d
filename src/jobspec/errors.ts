// Job file errors as data, and the one-line form the CLI prints.

import type { Diagnostic } from '../hcl/diagnostic.js';

export interface JobspecError {
  /** "Summary; detail", as Nomad words its job file errors. */
  message: string;
  file: string;
  /** 1-based; 0 when the problem has no place in a file. */
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  /** For JSON job files: the field, e.g. "Job.TaskGroups[0].Count". */
  path?: string;
}

export function fromDiagnostic(d: Diagnostic, fallbackFile: string): JobspecError {
  const message = d.detail ? `${d.summary}; ${d.detail}` : d.summary;
  if (!d.range) return { message, file: fallbackFile, line: 0, column: 0 };
  return {
    message,
    file: d.range.filename,
    line: d.range.start.line,
    column: d.range.start.column,
    endLine: d.range.end.line,
    endColumn: d.range.end.column,
  };
}

/** `example.nomad:12,5-10: Unsupported argument; An argument named "cont" is not expected here.` */
export function formatJobspecError(e: JobspecError): string {
  if (e.line === 0) return `${e.file}: ${e.message}`;
  const span = e.endLine === e.line && e.endColumn !== undefined && e.endColumn > e.column ? `-${e.endColumn}` : '';
  return `${e.file}:${e.line},${e.column}${span}: ${e.message}`;
}

/** Errors in the order they appear in the files. */
export function sortErrors(errors: JobspecError[]): JobspecError[] {
  return [...errors].sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : 0));
}
