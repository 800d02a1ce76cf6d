// Every command, by the words that invoke it.
import type { Command } from '../context.js';
import { allocLogsCommand, allocRestartCommand, allocSignalCommand, allocStopCommand } from './alloc-actions.js';
import { allocStatusCommand } from './alloc-status.js';
import { allocExecCommand } from './alloc-exec.js';
import { allocFsCommand } from './alloc-fs.js';
import { aclPolicyApplyCommand, aclPolicyDeleteCommand, aclPolicyInfoCommand, aclPolicyListCommand } from './acl-policy.js';
import {
  aclBootstrapCommand,
  aclTokenCreateCommand,
  aclTokenDeleteCommand,
  aclTokenInfoCommand,
  aclTokenListCommand,
  aclTokenSelfCommand,
  aclTokenUpdateCommand,
} from './acl-token.js';
import { agentCommand, agentInfoCommand, statusCommand, systemGcCommand, versionCommand } from './cluster.js';
import {
  autopilotGetCommand,
  autopilotSetCommand,
  raftListPeersCommand,
  raftRemovePeerCommand,
  snapshotInspectCommand,
  snapshotRestoreCommand,
  snapshotSaveCommand,
} from './operator.js';
import { serverForceLeaveCommand, serverJoinCommand, serverMembersCommand } from './server.js';
import {
  deploymentFailCommand,
  deploymentListCommand,
  deploymentPauseCommand,
  deploymentPromoteCommand,
  deploymentResumeCommand,
  deploymentStatusCommand,
} from './deployment.js';
import { evalListCommand, evalStatusCommand } from './eval.js';
import { jobHistoryCommand, jobInitCommand, jobInspectCommand, jobStopCommand, jobValidateCommand } from './job-misc.js';
import { jobPlanCommand } from './job-plan.js';
import { jobDispatchCommand, jobPeriodicForceCommand } from './job-children.js';
import { jobRevertCommand } from './job-revert.js';
import { jobRunCommand } from './job-run.js';
import { jobStatusCommand } from './job-status.js';
import { nodeStatusCommand } from './node-status.js';
import { nodeDrainCommand } from './node-drain.js';
import { nodeEligibilityCommand } from './node-eligibility.js';
import { nodePurgeCommand } from './node-purge.js';
import { monitorCommand } from './monitor.js';
import { operatorDebugCommand } from './operator-debug.js';
import { jobScaleCommand, jobScalingEventsCommand, scalingPolicyInfoCommand, scalingPolicyListCommand } from './scaling.js';
import { operatorMetricsCommand } from './operator-metrics.js';
import { tlsCaCreateCommand, tlsCertCreateCommand } from './tls.js';
import { namespaceApplyCommand, namespaceDeleteCommand, namespaceInspectCommand, namespaceListCommand, namespaceStatusCommand } from './namespace.js';

export const COMMANDS: Command[] = [
  aclBootstrapCommand,
  aclPolicyApplyCommand,
  aclPolicyDeleteCommand,
  aclPolicyInfoCommand,
  aclPolicyListCommand,
  aclTokenCreateCommand,
  aclTokenDeleteCommand,
  aclTokenInfoCommand,
  aclTokenListCommand,
  aclTokenSelfCommand,
  aclTokenUpdateCommand,
  agentCommand,
  agentInfoCommand,
  allocExecCommand,
  allocFsCommand,
  allocLogsCommand,
  allocRestartCommand,
  allocSignalCommand,
  allocStatusCommand,
  allocStopCommand,
  deploymentFailCommand,
  deploymentListCommand,
  deploymentPauseCommand,
  deploymentPromoteCommand,
  deploymentResumeCommand,
  deploymentStatusCommand,
  evalListCommand,
  evalStatusCommand,
  jobDispatchCommand,
  jobHistoryCommand,
  jobInitCommand,
  jobInspectCommand,
  jobPeriodicForceCommand,
  jobPlanCommand,
  jobRevertCommand,
  jobRunCommand,
  jobScaleCommand,
  jobScalingEventsCommand,
  jobStatusCommand,
  jobStopCommand,
  jobValidateCommand,
  namespaceApplyCommand,
  namespaceDeleteCommand,
  namespaceInspectCommand,
  namespaceListCommand,
  namespaceStatusCommand,
  monitorCommand,
  nodeDrainCommand,
  nodeEligibilityCommand,
  nodePurgeCommand,
  nodeStatusCommand,
  autopilotGetCommand,
  autopilotSetCommand,
  operatorDebugCommand,
  operatorMetricsCommand,
  raftListPeersCommand,
  raftRemovePeerCommand,
  snapshotInspectCommand,
  snapshotRestoreCommand,
  snapshotSaveCommand,
  scalingPolicyInfoCommand,
  scalingPolicyListCommand,
  serverForceLeaveCommand,
  serverJoinCommand,
  serverMembersCommand,
  statusCommand,
  systemGcCommand,
  tlsCaCreateCommand,
  tlsCertCreateCommand,
  versionCommand,
];

/** Nomad's older one-word spellings, still accepted. */
export const ALIASES: Record<string, string> = {
  run: 'job run',
  plan: 'job plan',
  stop: 'job stop',
  validate: 'job validate',
  inspect: 'job inspect',
  init: 'job init',
  'alloc-status': 'alloc status',
  'node-status': 'node status',
  'eval-status': 'eval status',
  logs: 'alloc logs',
  'server-members': 'server members',
  'server-join': 'server join',
  'server-force-leave': 'server force-leave',
};
