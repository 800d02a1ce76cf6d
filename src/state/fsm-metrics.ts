// Nomad's metric name for applying each log entry type (nomad.nomad.fsm.<name>), so that
// dashboards written for Nomad's FSM timings find ours.
import type { LogEntry } from './log-entries.js';

const FSM_METRIC_NAMES: Record<LogEntry['Type'], string> = {
  JobRegister: 'nomad.fsm.register_job',
  JobDeregister: 'nomad.fsm.deregister_job',
  JobStability: 'nomad.fsm.apply_job_stability',
  JobBatchDelete: 'nomad.fsm.batch_deregister_job',
  EvalUpsert: 'nomad.fsm.update_eval',
  EvalDelete: 'nomad.fsm.delete_eval',
  PlanApply: 'nomad.fsm.apply_plan_results',
  NodeRegister: 'nomad.fsm.register_node',
  NodeDeregister: 'nomad.fsm.batch_deregister_node',
  NodeUpdateStatus: 'nomad.fsm.node_status_update',
  NodeUpdateEligibility: 'nomad.fsm.node_eligibility_update',
  NodeUpdateDrain: 'nomad.fsm.node_drain_update',
  AllocClientUpdate: 'nomad.fsm.alloc_client_update',
  AllocDesiredTransition: 'nomad.fsm.alloc_update_desired_transition',
  DeploymentStatus: 'nomad.fsm.apply_deployment_status_update',
  DeploymentPromote: 'nomad.fsm.apply_deployment_promotion',
  DeploymentAllocHealth: 'nomad.fsm.apply_deployment_alloc_health',
  DeploymentDelete: 'nomad.fsm.apply_deployment_delete',
  SchedulerConfig: 'nomad.fsm.apply_scheduler_config',
  AutopilotConfig: 'nomad.fsm.autopilot',
  ScalingEventRegister: 'nomad.fsm.upsert_scaling_event',
  AclBootstrap: 'nomad.fsm.apply_acl_token_bootstrap',
  AclPolicyUpsert: 'nomad.fsm.apply_acl_policy_upsert',
  AclPolicyDelete: 'nomad.fsm.apply_acl_policy_delete',
  AclTokenUpsert: 'nomad.fsm.apply_acl_token_upsert',
  AclTokenDelete: 'nomad.fsm.apply_acl_token_delete',
  NamespaceUpsert: 'nomad.fsm.apply_namespace_upsert',
  NamespaceDelete: 'nomad.fsm.apply_namespace_delete',
  // No counterpart in Nomad, whose restore has no log entry of its own.
  StateRestored: 'nomad.fsm.state_restored',
};

export function fsmMetricName(type: LogEntry['Type']): string {
  return FSM_METRIC_NAMES[type];
}
