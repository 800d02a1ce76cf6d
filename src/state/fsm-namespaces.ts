// Namespaces in the FSM: upsert keeps when a namespace was created; delete refuses, changing
// nothing, a namespace that is unknown, the default one, or one still holding a live job.
import { DEFAULT_NAMESPACE } from '../structs/defaults.js';
import { badRequest, NomadError } from '../structs/errors.js';
import type { Namespace } from '../structs/namespace.js';
import type { ApplyContext } from './fsm-context.js';

export function upsertNamespaces(ctx: ApplyContext, namespaces: Namespace[]): void {
  if (!Array.isArray(namespaces) || namespaces.length === 0) throw badRequest('must specify at least one namespace', 'Namespaces');
  namespaces.forEach((ns, i) => {
    if (ns === null || typeof ns !== 'object' || typeof ns.Name !== 'string' || ns.Name === '') throw badRequest(`Namespaces[${i}]: namespace has no name`, `Namespaces[${i}].Name`);
    const existing = ctx.txn.namespace(ns.Name);
    // The default namespace exists from the start (index 1) even before anything writes it.
    const createIndex = existing?.CreateIndex ?? (ns.Name === DEFAULT_NAMESPACE ? 1 : ctx.index);
    ctx.txn.putNamespace({ ...ns, CreateIndex: createIndex, ModifyIndex: ctx.index });
  });
}

export function deleteNamespaces(ctx: ApplyContext, names: string[]): void {
  if (!Array.isArray(names) || names.length === 0) throw badRequest('must specify at least one namespace to delete', 'Names');
  for (const name of names) {
    if (name === DEFAULT_NAMESPACE) throw badRequest('default namespace can not be deleted', 'Names');
    if (ctx.txn.namespace(name) === undefined) throw new NomadError('not_found', `namespace "${name}" does not exist`);
    const live = ctx.txn.jobsInNamespace(name).find((j) => j.Status !== 'dead');
    if (live !== undefined) {
      throw badRequest(`namespace "${name}" contains at least one non-terminal job "${live.ID}". All jobs must be terminal in namespace before it can be deleted`, 'Names');
    }
    ctx.txn.deleteNamespace(name);
  }
}
