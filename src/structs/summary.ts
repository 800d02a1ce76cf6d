// Per-job counts of allocations by client status, kept up to date by the FSM.

export interface TaskGroupSummary {
  Queued: number;
  Complete: number;
  Failed: number;
  Running: number;
  Starting: number;
  Lost: number;
}

export interface JobChildrenSummary {
  Pending: number;
  Running: number;
  Dead: number;
}

export interface JobSummary {
  JobID: string;
  Namespace: string;
  Summary: Record<string, TaskGroupSummary>;
  Children: JobChildrenSummary;
  CreateIndex: number;
  ModifyIndex: number;
}

export function emptyTaskGroupSummary(): TaskGroupSummary {
  return { Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 0, Lost: 0 };
}
