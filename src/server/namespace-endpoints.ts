// Namespace writes: apply (create or update) and delete, each one log entry run on the leader.
import { MultiError, NomadError, badRequest } from '../structs/errors.js';
import { validateNamespace, type Namespace } from '../structs/namespace.js';
import { writeChecked, type ServerContext } from './context.js';

/** A namespace as a request gives it: every field but the name may be left out. */
export interface NamespaceInput {
  Name?: string | null;
  Description?: string | null;
  Quota?: string | null;
  Capabilities?: Namespace['Capabilities'];
  Meta?: Record<string, string> | null;
}

export interface NamespaceEndpointsOptions {
  /**
   * The other regions where any of the named namespaces holds a job that is not dead (asked with
   * the caller's token); none when this server has no other region to ask.
   */
  regionsWithLiveJobs?: (names: string[], authToken: string) => Promise<string[]>;
}

export class NamespaceEndpoints {
  constructor(
    private readonly ctx: ServerContext,
    private readonly opts: NamespaceEndpointsOptions = {},
  ) {}

  /** Creates or replaces namespaces; every problem of every namespace at once (400). */
  async upsert(inputs: NamespaceInput[]): Promise<{ Index: number }> {
    if (inputs.length === 0) throw badRequest('must specify at least one namespace', 'Namespaces');
    const errors: string[] = [];
    const namespaces = inputs.map((n): Namespace => {
      const ns: Namespace = {
        Name: n.Name ?? '',
        Description: n.Description ?? '',
        Quota: n.Quota ?? '',
        Capabilities: n.Capabilities ?? null,
        Meta: n.Meta && Object.keys(n.Meta).length > 0 ? n.Meta : null,
        CreateIndex: 0,
        ModifyIndex: 0,
      };
      for (const e of validateNamespace(ns)) errors.push(`Invalid namespace ${JSON.stringify(ns.Name)}: ${e}`);
      return ns;
    });
    if (errors.length > 0) throw new MultiError(errors);
    return { Index: await writeChecked(this.ctx, { Type: 'NamespaceUpsert', Namespaces: namespaces }) };
  }

  /** Deletes a namespace; refused while a job that is not dead lives in it here or in another region. */
  async delete(name: string, authToken = ''): Promise<{ Index: number }> {
    if (!name) throw badRequest('must specify at least one namespace to delete', 'Names');
    if (!this.ctx.store.snapshot().namespaceByName(name)) throw new NomadError('not_found', `namespace "${name}" does not exist`);
    // The other regions copy the deletion; one still running jobs in it could never apply it.
    const elsewhere = (await this.opts.regionsWithLiveJobs?.([name], authToken)) ?? [];
    if (elsewhere.length > 0) throw badRequest(`namespace "${name}" has non-terminal jobs in regions: [${elsewhere.join(' ')}]`, 'Names');
    return { Index: await writeChecked(this.ctx, { Type: 'NamespaceDelete', Names: [name] }) };
  }
}
