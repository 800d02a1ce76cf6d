// The job block: identity, placement, and the groups (tasks written directly in the job
// become groups of their own, as Nomad does).

import type { Affinity, Constraint, DeepPartial, JobInput, MigrateStrategy, ReschedulePolicy, Spread, Task, TaskGroup, Vault } from '../structs/job.js';
import { defined, type BlockReader } from './block-reader.js';
import { decodeGroup } from './decode-group.js';
import { decodeAffinity, decodeConstraint, decodeSpread } from './decode-placement.js';
import { decodeMigrate, decodeReschedule, decodeUpdate } from './decode-policies.js';
import { decodeTask, decodeVault } from './decode-task.js';

export function decodeJob(label: string, r: BlockReader): JobInput {
  const groups = (r.labeledBlocks('group', decodeGroup) ?? []) as DeepPartial<TaskGroup>[];
  const loneTasks = r.labeledBlocks('task', (name, t, block) => ({ task: decodeTask(t, name), range: block.labelRanges[0] })) ?? [];
  const groupNames = new Set(groups.map((g) => g.Name));
  for (const { task, range } of loneTasks) {
    if (groupNames.has(task.Name)) {
      r.error(range, 'Duplicate group', `The task "${task.Name}" written directly in the job becomes a group of that name, but a group "${task.Name}" already exists.`);
      continue;
    }
    groups.push({ Name: task.Name, Tasks: [task as Task] });
  }
  // A job's vault block applies to every task that has none of its own.
  const vault = r.block('vault', decodeVault) as Vault | undefined;
  if (vault) for (const g of groups) for (const t of g.Tasks ?? []) if (t && !t.Vault) t.Vault = vault;

  const id = r.string('id') ?? label;
  return defined({
    ID: id,
    Name: r.string('name') ?? id,
    Region: r.string('region'),
    Namespace: r.string('namespace'),
    Type: r.string('type'),
    Priority: r.int('priority'),
    AllAtOnce: r.bool('all_at_once'),
    Datacenters: r.stringList('datacenters'),
    Constraints: r.blocks('constraint', decodeConstraint) as Constraint[] | undefined,
    Affinities: r.blocks('affinity', decodeAffinity) as Affinity[] | undefined,
    Spreads: r.blocks('spread', decodeSpread) as Spread[] | undefined,
    TaskGroups: groups.length > 0 ? groups : undefined,
    Update: r.block('update', decodeUpdate),
    Reschedule: r.block('reschedule', decodeReschedule) as ReschedulePolicy | undefined,
    Migrate: r.block('migrate', decodeMigrate) as MigrateStrategy | undefined,
    Multiregion: r.block('multiregion', decodeMultiregion),
    Periodic: r.block('periodic', (p) => {
      const cron = p.string('cron');
      return defined({
        Spec: cron,
        // `cron` is the only way to write a schedule, so it also fixes the spec's type.
        SpecType: cron !== undefined ? 'cron' : undefined,
        ProhibitOverlap: p.bool('prohibit_overlap'),
        TimeZone: p.string('time_zone'),
        Enabled: p.bool('enabled'),
      });
    }),
    ParameterizedJob: r.block('parameterized', (p) =>
      defined({ Payload: p.string('payload'), MetaRequired: p.stringList('meta_required'), MetaOptional: p.stringList('meta_optional') }),
    ),
    Meta: r.stringMap('meta'),
    VaultToken: r.string('vault_token'),
    VaultNamespace: r.string('vault_namespace'),
    ConsulToken: r.string('consul_token'),
    ConsulNamespace: r.string('consul_namespace'),
  });
}

function decodeMultiregion(r: BlockReader): Record<string, unknown> {
  return defined({
    Strategy: r.block('strategy', (s) => defined({ MaxParallel: s.int('max_parallel'), OnFailure: s.string('on_failure') })),
    Regions: r.labeledBlocks('region', (name, g) =>
      defined({ Name: name, Count: g.int('count'), Datacenters: g.stringList('datacenters'), Meta: g.stringMap('meta') }),
    ),
  });
}
