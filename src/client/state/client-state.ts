// What the client keeps across restarts, in data_dir/client/state.db (record-log.ts): each
// allocation as the servers last sent it (with its deployment health), and each task's state,
// restart count and driver handle. A restarted client rebuilds its alloc runners from this and
// reattaches to the tasks that still run. Dev agents keep it in memory only (their tasks end with them).
import { join } from 'node:path';
import type { AllocDeploymentStatus, Allocation, TaskState } from '../../structs/alloc.js';
import type { TaskHandle } from '../../drivers/driver.js';
import type { RestartTrackerState } from '../restart-policy.js';
import { RecordLog, type LoadReport } from './record-log.js';

export const STATE_FILE = 'state.db';

export interface TaskRecord {
  state: TaskState;
  restart: RestartTrackerState;
  /** The driver's handle of the current start; null before the first start and after the task ended. */
  handle: TaskHandle | null;
}

export interface AllocRecord {
  alloc: Allocation;
  deploymentStatus: AllocDeploymentStatus | null;
}

export interface RestoredAlloc extends AllocRecord {
  tasks: Map<string, TaskRecord>;
}

export interface ClientStateStore {
  /** What was kept, as found at open. */
  restored(): RestoredAlloc[];
  putAlloc(rec: AllocRecord): void;
  putTask(allocId: string, task: string, rec: TaskRecord): void;
  deleteAlloc(allocId: string, tasks: readonly string[]): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

const allocKey = (id: string): string => `alloc/${id}`;
const taskKey = (allocId: string, task: string): string => `task/${allocId}/${task}`;

function isAllocRecord(v: unknown): v is AllocRecord {
  const a = (v as AllocRecord | null)?.alloc;
  return !!a && typeof a === 'object' && typeof a.ID === 'string' && !!a.Job && typeof a.TaskGroup === 'string';
}

function isTaskRecord(v: unknown): v is TaskRecord {
  const r = v as TaskRecord | null;
  return !!r && typeof r === 'object' && !!r.state && typeof r.state.State === 'string' && !!r.restart;
}

export class FileClientState implements ClientStateStore {
  private constructor(private readonly log: RecordLog) {}

  /** Opens data_dir/client/state.db; `report` says what was damaged (and dropped). */
  static open(stateDir: string): { store: FileClientState; report: LoadReport; path: string } {
    const path = join(stateDir, STATE_FILE);
    const log = RecordLog.open(path);
    return { store: new FileClientState(log), report: log.report, path };
  }

  restored(): RestoredAlloc[] {
    const out: RestoredAlloc[] = [];
    for (const [, v] of this.log.entries('alloc/')) {
      if (!isAllocRecord(v)) continue;
      const tasks = new Map<string, TaskRecord>();
      for (const [k, t] of this.log.entries(`task/${v.alloc.ID}/`)) if (isTaskRecord(t)) tasks.set(k.slice(`task/${v.alloc.ID}/`.length), t);
      out.push({ ...v, tasks });
    }
    return out;
  }

  putAlloc(rec: AllocRecord): void {
    this.log.put(allocKey(rec.alloc.ID), rec);
  }

  putTask(allocId: string, task: string, rec: TaskRecord): void {
    this.log.put(taskKey(allocId, task), rec);
  }

  deleteAlloc(allocId: string, tasks: readonly string[]): void {
    for (const t of tasks) this.log.put(taskKey(allocId, t), null);
    this.log.put(allocKey(allocId), null);
  }

  flush(): Promise<void> {
    return this.log.flush();
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

/** Keeps nothing: a dev agent's client, whose tasks end with the agent. */
export class MemoryClientState implements ClientStateStore {
  restored(): RestoredAlloc[] {
    return [];
  }
  putAlloc(): void {}
  putTask(): void {}
  deleteAlloc(): void {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
