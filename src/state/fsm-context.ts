// What every FSM handler works with while applying one entry.
import type { WriteTxn } from './store-txn.js';
import { nsKey } from './tables.js';

export interface FSMLogger {
  debug(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export const silentLogger: FSMLogger = {
  debug() {},
  warn() {},
  error() {},
};

interface DirtyJob {
  namespace: string;
  jobId: string;
  /** 'running' when a non-terminal allocation of the job was written (Nomad's forced status). */
  force: '' | 'running';
  /** Evaluations were deleted: a job without any left is dead rather than pending. */
  evalDelete: boolean;
}

export class ApplyContext {
  /** Jobs whose allocations or evaluations changed: their status is settled before commit. */
  readonly dirtyJobs = new Map<string, DirtyJob>();
  /**
   * Objects this entry created and stored that no snapshot can hold yet (a snapshot sees only
   * committed state): they may be updated in place instead of being copied once more per
   * allocation. Never used while the store freezes what it stores.
   */
  private readonly owned = new Set<object>();
  private readonly strings = new Map<string, string>();

  constructor(
    readonly txn: WriteTxn,
    readonly index: number,
    readonly logger: FSMLogger,
  ) {}

  /** Records an object as created by this entry (see `owned`). */
  own<T extends object>(value: T): T {
    if (!this.txn.freezing) this.owned.add(value);
    return value;
  }

  owns(value: object): boolean {
    return this.owned.has(value) && !Object.isFrozen(value);
  }

  /**
   * One string object per distinct value within an entry: allocations decoded from a log entry
   * each carry their own copy of the node, job, eval and status strings, which would otherwise
   * stay in memory once per allocation.
   */
  intern(value: string): string {
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    this.strings.set(value, value);
    return value;
  }

  markJob(namespace: string, jobId: string, force: '' | 'running', evalDelete = false): void {
    const key = nsKey(namespace, jobId);
    const cur = this.dirtyJobs.get(key);
    if (cur === undefined) {
      this.dirtyJobs.set(key, { namespace, jobId, force, evalDelete });
      return;
    }
    if (force === 'running') cur.force = 'running';
    if (evalDelete) cur.evalDelete = true;
  }
}
