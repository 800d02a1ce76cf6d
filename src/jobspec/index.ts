// jobspec: a job file (HCL or JSON) to a Job in the JSON shape of Nomad's API.
//
// It outputs what the file says and nothing more: defaults are filled by canonicalization in
// structs/, so absent fields stay absent. What the file's structure implies is filled in
// (IDs and names from labels, Name = ID, ports from their labels). References only the
// runtime can resolve (${attr.kernel.name}, ${NOMAD_PORT_db}, ${meta.x}, ...) are kept as
// written. Every problem is returned at once, each with its file, line and column.

import type { JobInput } from '../structs/job.js';
import { fromDiagnostic, sortErrors, type JobspecError } from './errors.js';
import { parseHclJob } from './parse-hcl-job.js';
import { parseJsonJob } from './parse-json-job.js';

export { formatJobspecError, type JobspecError } from './errors.js';
export { parseJsonJob } from './parse-json-job.js';

export interface ParseJobOptions {
  /** -var name=value arguments. */
  vars?: Record<string, string>;
  /** -var-file contents: HCL (`name = value`) or JSON, by file name or content. */
  varFiles?: Array<{ source: string; filename: string }>;
  /** NOMAD_VAR_<name> environment variables, keyed by <name>. */
  envVars?: Record<string, string>;
  /** Values given for variables the file does not declare are errors (default true). */
  strict?: boolean;
  /**
   * Lets file(), fileexists(), abspath() and pathexpand() read the filesystem, with relative
   * paths taken from `baseDir` (the CLI gives the job file's directory). Absent, as in an
   * agent, they fail with "filesystem function disabled".
   */
  fileAccess?: { baseDir: string };
}

export interface ParseJobResult {
  /** null when the file has errors. */
  job: JobInput | null;
  errors: JobspecError[];
}

/** A JSON file is one whose name ends in .json or whose first character is "{" (never valid HCL). */
export function isJsonJobFile(source: string, filename: string): boolean {
  return /\.json$/i.test(filename) || source.trimStart().startsWith('{');
}

export function parseJobFile(source: string, filename: string, opts: ParseJobOptions = {}): ParseJobResult {
  if (isJsonJobFile(source, filename)) return parseJsonJob(source, filename);
  const { job, diagnostics } = parseHclJob(source, filename, opts);
  const errors = sortErrors(diagnostics.filter((d) => d.severity === 'error').map((d) => fromDiagnostic(d, filename)));
  return { job: errors.length > 0 ? null : job, errors };
}
