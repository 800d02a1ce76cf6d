// A deployment: the rollout of one job version, moved forward by the deployment watcher.
import type { Job } from './job.js';

export type DeploymentStatusName = 'running' | 'paused' | 'failed' | 'successful' | 'cancelled' | 'pending' | 'blocked' | 'unblocking';

export interface DeploymentState {
  AutoRevert: boolean;
  AutoPromote: boolean;
  ProgressDeadline: number; // ns
  RequireProgressBy: string; // RFC3339
  Promoted: boolean;
  PlacedCanaries: string[] | null;
  DesiredCanaries: number;
  DesiredTotal: number;
  PlacedAllocs: number;
  HealthyAllocs: number;
  UnhealthyAllocs: number;
}

export interface Deployment {
  ID: string;
  Namespace: string;
  JobID: string;
  JobVersion: number;
  JobModifyIndex: number;
  JobSpecModifyIndex: number;
  JobCreateIndex: number;
  IsMultiregion: boolean;
  TaskGroups: Record<string, DeploymentState>;
  Status: DeploymentStatusName;
  StatusDescription: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export const DeploymentDescriptions = {
  running: 'Deployment is running',
  runningNeedsPromotion: 'Deployment is running but requires manual promotion',
  runningAutoPromotion: 'Deployment is running pending automatic promotion',
  paused: 'Deployment is paused',
  successful: 'Deployment completed successfully',
  stoppedJob: 'Cancelled because job is stopped',
  newerJob: 'Cancelled due to newer version of job',
  failedAllocations: 'Failed due to unhealthy allocations',
  progressDeadline: 'Failed due to progress deadline',
  failedByUser: 'Deployment marked as failed',
} as const;

/** A running deployment of the job's current version, with no groups yet. */
export function newDeployment(job: Job, id: string): Deployment {
  return {
    ID: id,
    Namespace: job.Namespace,
    JobID: job.ID,
    JobVersion: job.Version,
    JobModifyIndex: job.JobModifyIndex,
    JobSpecModifyIndex: job.JobModifyIndex,
    JobCreateIndex: job.CreateIndex,
    IsMultiregion: false,
    TaskGroups: {},
    Status: 'running',
    StatusDescription: DeploymentDescriptions.running,
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

export function deploymentActive(d: Pick<Deployment, 'Status'>): boolean {
  return d.Status === 'running' || d.Status === 'paused' || d.Status === 'pending' || d.Status === 'blocked' || d.Status === 'unblocking';
}
