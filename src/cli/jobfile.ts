// Reading a job file for run/plan/validate: HCL through the jobspec parser (loaded lazily so
// commands that never read a job start fast), or JSON with -json.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileErrorReason } from './base.js';
import type { JobInput } from '../structs/index.js';
import type { Io } from './context.js';
import type { FlagSet, Flags } from './flags.js';

export interface JobspecDiagnostic {
  message: string;
  file: string;
  line: number;
  column: number;
}

export interface JobspecModule {
  parseJobFile(
    source: string,
    filename: string,
    opts: {
      vars?: Record<string, string>;
      varFiles?: { source: string; filename: string }[];
      envVars?: Record<string, string>;
      fileAccess?: { baseDir: string };
    },
  ): { job: JobInput | null; errors: JobspecDiagnostic[] };
}

/** The job file parser, loaded on first use: commands that never read a job file skip it. */
async function loadJobspec(): Promise<JobspecModule> {
  return (await import('../jobspec/index.js')) as JobspecModule;
}

export interface LoadOptions {
  json: boolean;
  vars: string[];
  varFiles: string[];
  env: Record<string, string | undefined>;
  cwd: string;
}

export type LoadResult =
  | { ok: true; job: JobInput; source: string }
  /** `stage` tells callers which of Nomad's messages to print. */
  | { ok: false; stage: 'read' | 'parse'; message: string };

export async function loadJobFile(path: string, opts: LoadOptions): Promise<LoadResult> {
  const full = isAbsolute(path) ? path : resolve(opts.cwd, path);
  let source: string;
  try {
    source = await readFile(full, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const shown = isAbsolute(path) || path.startsWith('.') ? path : `./${path}`;
    return { ok: false, stage: 'read', message: `Error getting jobfile from "${path}": source path error: stat ${shown}: ${fileErrorReason(e)}` };
  }
  if (opts.json) return parseJsonJob(source, path);

  const vars: Record<string, string> = {};
  for (const v of opts.vars) {
    const eq = v.indexOf('=');
    if (eq <= 0) return { ok: false, stage: 'parse', message: `Error parsing -var "${v}": expected NAME=VALUE` };
    vars[v.slice(0, eq)] = v.slice(eq + 1);
  }
  const varFiles: { source: string; filename: string }[] = [];
  for (const f of opts.varFiles) {
    try {
      varFiles.push({ source: await readFile(isAbsolute(f) ? f : resolve(opts.cwd, f), 'utf8'), filename: f });
    } catch (err) {
      return { ok: false, stage: 'read', message: `Error reading var file "${f}": ${(err as Error).message}` };
    }
  }
  const envVars: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) {
    if (k.startsWith('NOMAD_VAR_') && v !== undefined) envVars[k.slice('NOMAD_VAR_'.length)] = v;
  }
  let jobspec: JobspecModule;
  try {
    jobspec = await loadJobspec();
  } catch (err) {
    return { ok: false, stage: 'parse', message: (err as Error).message };
  }
  // The CLI runs as the user, on the user's machine: file() may read, relative to the job file.
  const res = jobspec.parseJobFile(source, path, { vars, varFiles, envVars, fileAccess: { baseDir: dirname(full) } });
  if (res.errors.length > 0 || !res.job) {
    const lines = res.errors.map((d) => `${d.file}:${d.line},${d.column}: ${d.message}`);
    return { ok: false, stage: 'parse', message: `Error parsing job file from ${path}:\n${lines.join('\n') || 'no job found'}` };
  }
  return { ok: true, job: res.job, source };
}

function parseJsonJob(source: string, path: string): LoadResult {
  let doc: unknown;
  try {
    doc = JSON.parse(source);
  } catch (err) {
    return { ok: false, stage: 'parse', message: `Error parsing job file from ${path}: ${(err as Error).message}` };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { ok: false, stage: 'parse', message: `Error parsing job file from ${path}: expected a JSON object` };
  }
  const wrapped = (doc as { Job?: unknown }).Job;
  const job = (wrapped && typeof wrapped === 'object' ? wrapped : doc) as JobInput;
  return { ok: true, job, source };
}

/** The flags of every command that reads a job file (run, plan, validate). */
export function withJobFileFlags(fs: FlagSet): FlagSet {
  return fs.bool('json').bool('hcl1').bool('hcl2-strict', true).list('var').list('var-file');
}

/** Help for -json, as those commands list it among their options. */
export const JSON_FLAG_HELP = `  -json
    The file holds a job in JSON form.`;

/** Help for -var and -var-file, as those commands list them among their options. */
export const VAR_FLAGS_HELP = `  -var 'key=value'
    Set a variable of the job file. May be repeated.

  -var-file=path
    Read variables from a file. May be repeated.`;

/**
 * Reads the job file a command was given, with the job-file flags; prints Nomad's
 * "Error getting job struct" and returns null when it cannot be read or parsed, so that each
 * command picks its own exit code.
 */
export async function loadJobArg(path: string, flags: Flags, io: Io): Promise<JobInput | null> {
  const loaded = await loadJobFile(path, { json: flags.bool('json'), vars: flags.list('var'), varFiles: flags.list('var-file'), env: io.env, cwd: io.cwd });
  if (!loaded.ok) {
    io.err(`Error getting job struct: ${loaded.message}`);
    return null;
  }
  return loaded.job;
}
