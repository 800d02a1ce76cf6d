// The objects one write transaction stored or removed, by table and ID: what the event stream
// is built from. Recorded only when a transaction is asked to (an event broker is listening),
// so that the FSM's hot path pays nothing otherwise. An object written several times in one
// transaction is one change holding its last version, as a change set of a database would.
import type { Allocation } from '../structs/alloc.js';
import type { Deployment } from '../structs/deployment.js';
import type { Evaluation } from '../structs/evaluation.js';
import type { Job } from '../structs/job.js';
import type { Node } from '../structs/node.js';
import type { AclPolicy, AclToken } from '../structs/acl.js';

/** A stored object as the change set sees it, tagged with its table. */
export type ChangedObject =
  | { table: 'jobs'; value: Job }
  | { table: 'allocs'; value: Allocation }
  | { table: 'evals'; value: Evaluation }
  | { table: 'deployment'; value: Deployment }
  | { table: 'nodes'; value: Node }
  | { table: 'acl_policy'; value: AclPolicy }
  | { table: 'acl_token'; value: AclToken };

export type ChangeTable = ChangedObject['table'];

export interface TxnChange {
  /** The object after the write, or the one removed. */
  object: ChangedObject;
  deleted: boolean;
}

export class TxnChanges {
  private readonly byKey = new Map<string, TxnChange>();

  /** `key` is unique within the table (nsKey for namespaced objects). */
  stored(key: string, object: ChangedObject): void {
    this.byKey.set(object.table + '\0' + key, { object, deleted: false });
  }

  removed(key: string, object: ChangedObject): void {
    this.byKey.set(object.table + '\0' + key, { object, deleted: true });
  }

  /** In the order the objects were first changed. */
  list(): TxnChange[] {
    return [...this.byKey.values()];
  }

  get size(): number {
    return this.byKey.size;
  }
}
