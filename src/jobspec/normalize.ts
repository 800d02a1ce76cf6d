// What Nomad's own job-file parser fills in before a job leaves the CLI, so that the job sent is
// the one `nomad job run` of Nomad would send (a real Nomad agent refuses some of these empty:
// a constraint without an operand is "Missing constraint operand"). The API's defaults (counts,
// restart policies, ...) are the server's to fill in and are left out here.
import type { JobInput } from '../structs/job.js';

type Loose = Record<string, unknown>;

const obj = (v: unknown): Loose | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : null);
const list = (v: unknown): Loose[] => (Array.isArray(v) ? v.map(obj).filter((x): x is Loose => x !== null) : []);

/** A constraint or an affinity written without an operator means equality. */
function defaultOperand(items: unknown): void {
  for (const c of list(items)) if (c.Operand === undefined || c.Operand === '') c.Operand = '=';
}

/** Nomad's template defaults: restart on change, 0644, a 5 s splay, owner kept (-1), missing keys allowed. */
function normalizeTemplate(t: Loose): void {
  t.ChangeMode ??= 'restart';
  t.Perms ??= '0644';
  t.Splay ??= 5_000_000_000;
  t.ErrMissingKey ??= false;
  t.Uid ??= -1;
  t.Gid ??= -1;
}

function normalizeVault(v: Loose): void {
  v.Env ??= true;
  v.DisableFile ??= false;
  v.ChangeMode ??= 'restart';
}

export function normalizeJobInput(job: JobInput): JobInput {
  const j = job as unknown as Loose;
  defaultOperand(j.Constraints);
  defaultOperand(j.Affinities);
  for (const g of list(j.TaskGroups)) {
    defaultOperand(g.Constraints);
    defaultOperand(g.Affinities);
    for (const t of list(g.Tasks)) {
      defaultOperand(t.Constraints);
      defaultOperand(t.Affinities);
      for (const d of list(obj(t.Resources)?.Devices)) {
        defaultOperand(d.Constraints);
        defaultOperand(d.Affinities);
      }
      for (const tpl of list(t.Templates)) normalizeTemplate(tpl);
      const vault = obj(t.Vault);
      if (vault) normalizeVault(vault);
    }
  }
  return job;
}
