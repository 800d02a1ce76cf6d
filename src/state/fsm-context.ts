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

  constructor(
    readonly txn: WriteTxn,
    readonly index: number,
    readonly logger: FSMLogger,
  ) {}

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
