// An HCL job file to a Job: variables and locals first, then the job block evaluated with
// them. References the runtime resolves (attr.*, node.*, meta.*, env.*, NOMAD_*) are kept as
// `${...}` text in the job.

import { normalizeJobInput } from './normalize.js';
import type { Block } from '../hcl/ast.js';
import type { Diagnostic } from '../hcl/diagnostic.js';
import type { EvalContext } from '../hcl/evaluate.js';
import { type FileAccess, FileReadLog, standardFunctions } from '../hcl/functions/index.js';
import { parseHcl } from '../hcl/parser.js';
import type { JobInput } from '../structs/job.js';
import { BlockReader } from './block-reader.js';
import { decodeJob } from './decode-job.js';
import type { Poisoned } from './references.js';
import { declareVariables, resolveLocals, resolveVariables, type VariableSources } from './variables.js';

export interface HclJobOptions extends VariableSources {
  /**
   * Whether file() and the other filesystem functions may read, and from which directory
   * relative paths are taken. Default: they may not (an agent parsing for an API caller).
   */
  fileAccess?: FileAccess;
}

/** Roots that belong to the file itself; every other root is left for the runtime. */
const FILE_ROOTS = new Set(['var', 'local']);

export function parseHclJob(source: string, filename: string, opts: HclJobOptions): { job: JobInput | null; diagnostics: Diagnostic[] } {
  const parsed = parseHcl(source, filename);
  if (parsed.diagnostics.length > 0) return { job: null, diagnostics: parsed.diagnostics };
  const readLog = new FileReadLog();
  const functions = standardFunctions({ fileAccess: opts.fileAccess ?? null, readLog });
  const { job, diagnostics } = decodeFile(parsed.body.items, filename, opts, functions);
  return { job, diagnostics: diagnostics.map((d) => ({ ...d, summary: readLog.redact(d.summary), detail: readLog.redact(d.detail) })) };
}

function decodeFile(
  items: ReturnType<typeof parseHcl>['body']['items'],
  filename: string,
  opts: HclJobOptions,
  functions: EvalContext['functions'],
): { job: JobInput | null; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];

  const variableBlocks: Block[] = [];
  const localsBlocks: Block[] = [];
  const jobBlocks: Block[] = [];
  for (const item of items) {
    if (item.kind === 'attribute') {
      diags.push({ severity: 'error', summary: 'Unsupported argument', detail: `An argument named "${item.name}" is not expected at the top level of a job file: only job, variable and locals blocks are.`, range: item.nameRange });
    } else if (item.type === 'variable') variableBlocks.push(item);
    else if (item.type === 'locals') localsBlocks.push(item);
    else if (item.type === 'job') jobBlocks.push(item);
    else {
      diags.push({ severity: 'error', summary: 'Unsupported block type', detail: `Blocks of type "${item.type}" are not expected at the top level of a job file: only job, variable and locals blocks are.`, range: item.typeRange });
    }
  }

  const declared = declareVariables(variableBlocks, functions, diags);
  const poisoned: Poisoned = { var: new Set(), local: new Set() };
  const vars = resolveVariables(declared, opts, functions, diags, filename, poisoned.var);
  const baseCtx: EvalContext = {
    variables: { var: vars },
    functions,
    keepUnknownReferences: (root) => !FILE_ROOTS.has(root),
  };
  const locals = resolveLocals(localsBlocks, baseCtx, diags, poisoned);
  const ctx: EvalContext = { ...baseCtx, variables: { var: vars, local: locals } };

  const [jobBlock, ...extra] = jobBlocks;
  for (const b of extra) {
    diags.push({ severity: 'error', summary: 'Duplicate job block', detail: `A job file describes one job; another job block starts at ${jobBlock?.range.filename}:${jobBlock?.typeRange.start.line},${jobBlock?.typeRange.start.column}.`, range: b.typeRange });
  }
  if (!jobBlock) {
    diags.push({ severity: 'error', summary: 'Missing job block', detail: 'A job file must contain a job "name" { ... } block.', range: { filename, start: { line: 1, column: 1, byte: 0 }, end: { line: 1, column: 1, byte: 0 } } });
    return { job: null, diagnostics: diags };
  }
  if (jobBlock.labels.length !== 1) {
    diags.push({ severity: 'error', summary: 'Missing name for job', detail: 'A job block has exactly one label, its ID, as in job "example" { ... }.', range: jobBlock.labelRanges[1] ?? jobBlock.typeRange });
    return { job: null, diagnostics: diags };
  }
  const reader = new BlockReader(jobBlock.body, { evalCtx: ctx, diagnostics: diags, poisoned }, `job "${jobBlock.labels[0]}"`);
  const job = decodeJob(jobBlock.labels[0] as string, reader);
  reader.finish();
  return { job: job === null ? null : normalizeJobInput(job), diagnostics: diags };
}
