// One entry of every log entry type, filled as the server fills them (tests of the encoding).
import type { LogEntry, LogEntryType } from '../../src/state/log-entries.js';
import { mockAlloc, mockDeployment, mockEval, mockJob, mockNode, T0_NS } from './state-fixtures.js';

export function sampleEntries(): Record<LogEntryType, LogEntry> {
  const job = mockJob('example', { SubmitTime: T0_NS, Meta: { owner: 'ops', 'é': 'ünïcode' } });
  const ev = mockEval('eval-1', 'example', { QueuedAllocations: { cache: 1 }, WaitUntil: '2026-11-21T17:39:05.506041715Z' });
  const token = {
    AccessorID: 'b9a5e1d2-0000-4000-8000-000000000001',
    SecretID: 'b9a5e1d2-0000-4000-8000-000000000002',
    Name: 'dev',
    Type: 'client' as const,
    Policies: ['readonly'],
    Global: false,
    Hash: 'aGFzaA==',
    CreateTime: '2026-11-21T17:39:05.506041715Z',
    ExpirationTime: null,
    CreateIndex: 0,
    ModifyIndex: 0,
  };
  const event = { Message: 'Node heartbeat missed', Subsystem: 'Cluster', Details: { reason: 'ttl' }, Timestamp: '2026-11-21T17:38:22Z', CreateIndex: 0 };
  return {
    JobRegister: { Type: 'JobRegister', Job: job, Eval: ev, SubmitTimeNs: T0_NS },
    JobDeregister: { Type: 'JobDeregister', Namespace: 'default', JobID: 'example', Purge: false, Eval: ev, SubmitTimeNs: T0_NS + 1 },
    JobStability: { Type: 'JobStability', Namespace: 'default', JobID: 'example', JobVersion: 3, Stable: true },
    JobBatchDelete: { Type: 'JobBatchDelete', Jobs: [{ Namespace: 'default', JobID: 'example' }] },
    EvalUpsert: { Type: 'EvalUpsert', Evals: [ev, mockEval('eval-2', 'example', { Status: 'blocked', ClassEligibility: { 'v1:1': true } })] },
    EvalDelete: { Type: 'EvalDelete', EvalIDs: ['eval-1'], AllocIDs: ['a1', 'a2'] },
    PlanApply: {
      Type: 'PlanApply',
      EvalID: 'eval-1',
      Job: job,
      AllocsUpdated: [
        mockAlloc('a1', 'n1', {
          DeploymentID: 'dep-1',
          DeploymentStatus: { Healthy: null, Timestamp: '0001-01-01T00:00:00Z', Canary: true, ModifyIndex: 0 },
          Metrics: {
            NodesEvaluated: 3, NodesFiltered: 0, NodesAvailable: { dc1: 3 }, ClassFiltered: null, ConstraintFiltered: null,
            NodesExhausted: 0, ClassExhausted: null, DimensionExhausted: null, QuotaExhausted: null, ResourcesExhausted: null,
            Scores: { 'n1.binpack': 0.3466 }, ScoreMetaData: [{ NodeID: 'n1', Scores: { binpack: 0.3466, 'job-anti-affinity': -0.5 }, NormScore: -0.0767 }],
            AllocationTime: 61_353, CoalescedFailures: 0,
          },
        }),
      ],
      AllocsStopped: [{ ID: 'a0', DesiredStatus: 'stop', DesiredDescription: 'alloc not needed', ClientStatus: 'lost', FollowupEvalID: 'eval-9' }],
      Deployment: mockDeployment('dep-1', job),
      DeploymentUpdates: [{ DeploymentID: 'dep-0', Status: 'cancelled', StatusDescription: 'Cancelled due to newer version of job' }],
      Evals: [],
      TimestampNs: T0_NS + 2,
    },
    NodeRegister: { Type: 'NodeRegister', Node: mockNode('n1', { Attributes: { 'cpu.frequency': '2600', 'unique.hostname': 'h' } }), TimestampNs: T0_NS },
    NodeDeregister: { Type: 'NodeDeregister', NodeIDs: ['n1'] },
    NodeUpdateStatus: { Type: 'NodeUpdateStatus', NodeID: 'n1', Status: 'down', Event: event, Evals: [ev], TimestampNs: T0_NS + 3 },
    NodeUpdateEligibility: { Type: 'NodeUpdateEligibility', NodeID: 'n1', Eligibility: 'ineligible', Event: null, Evals: [] },
    NodeUpdateDrain: {
      Type: 'NodeUpdateDrain',
      NodeID: 'n1',
      DrainStrategy: { Deadline: -1, IgnoreSystemJobs: true, ForceDeadline: '0001-01-01T00:00:00Z', StartedAt: '2026-11-21T17:38:22.123Z' },
      MarkEligible: false,
      Event: event,
    },
    AllocClientUpdate: {
      Type: 'AllocClientUpdate',
      Updates: [
        {
          ID: 'a1',
          ClientStatus: 'running',
          ClientDescription: 'Tasks are running',
          TaskStates: {
            redis: {
              State: 'running', Failed: false, Restarts: 0, LastRestart: null, StartedAt: '2026-11-21T17:39:05.506041715Z', FinishedAt: null, TaskHandle: null,
              Events: [{
                Type: 'Started', Time: T0_NS + 4, Message: '', DisplayMessage: 'Task started by client', Details: {}, FailsTask: false, RestartReason: '',
                SetupError: '', DriverError: '', ExitCode: 0, Signal: 0, KillTimeout: 0, KillError: '', KillReason: '', StartDelay: 0, DownloadError: '',
                ValidationError: '', DiskLimit: 0, FailedSibling: '', VaultError: '', TaskSignalReason: '', TaskSignal: '', DriverMessage: '', GenericSource: '',
              }],
            },
          },
          DeploymentStatus: { Healthy: true, Timestamp: '2026-11-21T17:39:15.515312792Z', Canary: false, ModifyIndex: 0 },
          NetworkStatus: { InterfaceName: 'eth0', Address: '10.0.0.2', DNS: null },
        },
      ],
      Evals: [],
      TimestampNs: T0_NS + 5,
    },
    AllocDesiredTransition: { Type: 'AllocDesiredTransition', Transitions: { a1: { Migrate: true, Reschedule: null, ForceReschedule: false } }, Evals: [ev] },
    DeploymentStatus: { Type: 'DeploymentStatus', DeploymentID: 'dep-1', Status: 'paused', StatusDescription: 'Deployment is paused', Job: null, Eval: null, TimestampNs: T0_NS + 6 },
    DeploymentPromote: { Type: 'DeploymentPromote', DeploymentID: 'dep-1', Groups: ['cache'], Eval: ev, TimestampNs: T0_NS + 7 },
    DeploymentAllocHealth: {
      Type: 'DeploymentAllocHealth',
      DeploymentID: 'dep-1',
      HealthyAllocIDs: ['a1'],
      UnhealthyAllocIDs: [],
      Status: { Status: 'failed', StatusDescription: 'Failed due to unhealthy allocations' },
      Job: job,
      Eval: ev,
      TimestampNs: T0_NS + 8,
    },
    DeploymentDelete: { Type: 'DeploymentDelete', DeploymentIDs: ['dep-1'] },
    StateRestored: { Type: 'StateRestored' },
    AutopilotConfig: {
      Type: 'AutopilotConfig',
      Config: {
        CleanupDeadServers: false,
        LastContactThreshold: 500_000_000,
        MaxTrailingLogs: 100,
        MinQuorum: 3,
        ServerStabilizationTime: 5_000_000_000,
        EnableRedundancyZones: false,
        DisableUpgradeMigration: false,
        EnableCustomUpgrades: false,
        CreateIndex: 0,
        ModifyIndex: 0,
      },
      CAS: false,
      CASIndex: 0,
    },
    NamespaceUpsert: {
      Type: 'NamespaceUpsert',
      Namespaces: [{ Name: 'prod-api', Description: 'Équipe API', Quota: '', Capabilities: { EnabledTaskDrivers: ['exec'], DisabledTaskDrivers: null }, Meta: { team: 'api' }, CreateIndex: 0, ModifyIndex: 0 }],
    },
    NamespaceDelete: { Type: 'NamespaceDelete', Names: ['prod-api'] },
    ScalingEventRegister: {
      Type: 'ScalingEventRegister',
      Namespace: 'default',
      JobID: job.ID,
      TaskGroup: 'cache',
      ScalingEvent: { Time: T0_NS + 9, Count: 3, PreviousCount: 1, Message: 'submitted using the Nomad CLI', Error: false, Meta: { source: 'test' }, EvalID: ev.ID, CreateIndex: 0 },
    },
    SchedulerConfig: {
      Type: 'SchedulerConfig',
      Config: {
        SchedulerAlgorithm: 'spread',
        MemoryOversubscriptionEnabled: true,
        RejectJobRegistration: false,
        PreemptionConfig: { SystemSchedulerEnabled: true, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: true },
        CreateIndex: 0,
        ModifyIndex: 0,
      },
    },
    AclBootstrap: { Type: 'AclBootstrap', Token: { ...token, Type: 'management', Policies: null, Name: 'Bootstrap Token' }, ResetIndex: 0 },
    AclPolicyUpsert: { Type: 'AclPolicyUpsert', Policies: [{ Name: 'readonly', Description: 'read jobs', Rules: 'namespace "default" { policy = "read" }', Hash: 'aGFzaA==', CreateIndex: 0, ModifyIndex: 0 }] },
    AclPolicyDelete: { Type: 'AclPolicyDelete', Names: ['readonly'] },
    AclTokenUpsert: { Type: 'AclTokenUpsert', Tokens: [token] },
    AclTokenDelete: { Type: 'AclTokenDelete', AccessorIDs: [token.AccessorID] },
  };
}
