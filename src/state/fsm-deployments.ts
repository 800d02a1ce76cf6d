// Deployments in the FSM: upsert, status changes, the per-group counts that follow allocation
// placement and health, promotion of canaries, and the job stability a success implies.
import type { Allocation } from '../structs/alloc.js';
import { allocTerminal } from '../structs/alloc.js';
import type { Deployment, DeploymentState } from '../structs/deployment.js';
import { deploymentActive, DeploymentDescriptions } from '../structs/deployment.js';
import { badRequest, MultiError, notFound } from '../structs/errors.js';
import type { ApplyContext } from './fsm-context.js';
import { setJobStability } from './fsm-jobs.js';
import { formatRfc3339Ns, nsToBigInt, parseRfc3339Ns } from './time-util.js';

export function upsertDeployment(ctx: ApplyContext, input: Deployment, where: string): void {
  if (input === null || typeof input !== 'object' || typeof input.ID !== 'string' || input.ID === '') {
    throw badRequest(`${where}: deployment has no ID`, where);
  }
  const existing = ctx.txn.deployment(input.ID);
  const d: Deployment = { ...input, CreateIndex: existing?.CreateIndex ?? ctx.index, ModifyIndex: ctx.index };
  ctx.txn.putDeployment(d);
  // A successful deployment makes its job version stable.
  if (d.Status === 'successful') setJobStability(ctx, d.Namespace, d.JobID, d.JobVersion, true);
}

export function updateDeploymentStatus(
  ctx: ApplyContext,
  update: { DeploymentID: string; Status: string; StatusDescription: string },
  where: string,
): void {
  const d = ctx.txn.deployment(update.DeploymentID);
  if (d === undefined) throw notFound(`${where}: deployment ID "${update.DeploymentID}" couldn't be updated as it does not exist`);
  if (!deploymentActive(d)) {
    throw badRequest(`${where}: deployment "${d.ID}" has terminal status "${d.Status}"`, where);
  }
  const next: Deployment = {
    ...d,
    Status: update.Status as Deployment['Status'],
    StatusDescription: update.StatusDescription,
    ModifyIndex: ctx.index,
  };
  ctx.txn.putDeployment(next);
  if (next.Status === 'successful') setJobStability(ctx, next.Namespace, next.JobID, next.JobVersion, true);
}

/**
 * A plan's status updates: the scheduler decided on a snapshot, and the deployment watcher (or
 * an operator) may have ended the deployment since. Such an update is stale, not an error: the
 * plan's allocations must still be committed, so it is skipped rather than failing the entry.
 */
export function updateDeploymentStatusFromPlan(
  ctx: ApplyContext,
  update: { DeploymentID: string; Status: string; StatusDescription: string },
  where: string,
): void {
  const d = ctx.txn.deployment(update.DeploymentID);
  if (d !== undefined && !deploymentActive(d)) return;
  updateDeploymentStatus(ctx, update, where);
}

function hasHealth(a: Allocation | undefined): boolean {
  return a !== undefined && a.DeploymentStatus !== null && a.DeploymentStatus.Healthy !== null && a.DeploymentStatus.Healthy !== undefined;
}

/**
 * Counts a placement or a health change of an allocation into its deployment's group state.
 * May set alloc.DeploymentStatus.ModifyIndex: the caller passes a fresh object it owns.
 */
export function updateDeploymentWithAlloc(ctx: ApplyContext, alloc: Allocation, existing: Allocation | undefined): void {
  if (alloc.DeploymentID === '') return;
  const d = ctx.txn.deployment(alloc.DeploymentID);
  if (d === undefined) return;
  const state = d.TaskGroups[alloc.TaskGroup];
  // A group that is not part of the rollout has nothing to count.
  if (state === undefined) return;

  let placed = 0;
  let healthy = 0;
  let unhealthy = 0;
  const existingHealthSet = hasHealth(existing);
  const allocHealthSet = hasHealth(alloc);
  if (existing === undefined || existing.DeploymentID !== alloc.DeploymentID) {
    placed++;
  } else if (!existingHealthSet && allocHealthSet) {
    if (alloc.DeploymentStatus!.Healthy === true) healthy++;
    else unhealthy++;
  } else if (existingHealthSet && allocHealthSet) {
    if (existing.DeploymentStatus!.Healthy === true && alloc.DeploymentStatus!.Healthy === false) {
      healthy--;
      unhealthy++;
    }
  }
  if (placed === 0 && healthy === 0 && unhealthy === 0) return;

  if (alloc.DeploymentStatus !== null && healthy + unhealthy !== 0) {
    alloc.DeploymentStatus = { ...alloc.DeploymentStatus, ModifyIndex: ctx.index };
  }
  // The deployment (and its group state) this entry already wrote is changed in place: a plan
  // of a thousand placements would otherwise copy and store it a thousand times.
  const inPlace = ctx.owns(d) && ctx.owns(d.TaskGroups) && ctx.owns(state);
  const next: DeploymentState = inPlace ? state : { ...state };
  next.PlacedAllocs = state.PlacedAllocs + placed;
  next.HealthyAllocs = state.HealthyAllocs + healthy;
  next.UnhealthyAllocs = state.UnhealthyAllocs + unhealthy;
  if (alloc.DeploymentStatus !== null && alloc.DeploymentStatus.Canary) {
    const canaries = next.PlacedCanaries ?? [];
    if (!canaries.includes(alloc.ID)) next.PlacedCanaries = [...canaries, alloc.ID];
  }
  if (next.ProgressDeadline !== 0) {
    const requireBy = parseRfc3339Ns(next.RequireProgressBy);
    const deadlineNs = BigInt(Math.round(next.ProgressDeadline));
    if (placed !== 0 && requireBy === null) {
      // The first placement starts the clock; modify time rather than create time, because an
      // allocation may join a new deployment through an in-place update.
      next.RequireProgressBy = formatRfc3339Ns(nsToBigInt(alloc.ModifyTime) + deadlineNs);
    } else if (healthy !== 0) {
      const healthyAt = parseRfc3339Ns(alloc.DeploymentStatus?.Timestamp);
      if (healthyAt !== null) {
        const candidate = healthyAt + deadlineNs;
        if (requireBy === null || candidate > requireBy) next.RequireProgressBy = formatRfc3339Ns(candidate);
      }
    }
  }
  if (inPlace) {
    d.ModifyIndex = ctx.index;
    return;
  }
  const groups = ctx.own({ ...d.TaskGroups, [alloc.TaskGroup]: ctx.own(next) });
  ctx.txn.putDeployment(ctx.own({ ...d, TaskGroups: groups, ModifyIndex: ctx.index }));
}

/** Promotes the canaries of the given groups (all when empty); every canary must be healthy. */
export function promoteDeployment(ctx: ApplyContext, deploymentId: string, groups: readonly string[], timestampNs: number | undefined): void {
  const { txn, index } = ctx;
  const d = txn.deployment(deploymentId);
  if (d === undefined) throw notFound(`deployment ID "${deploymentId}" does not exist`);
  if (!deploymentActive(d)) throw badRequest(`can't promote terminal deployment "${d.ID}" with status "${d.Status}"`);
  const all = groups.length === 0;
  const wanted = new Set(groups);
  for (const g of groups) {
    if (d.TaskGroups[g] === undefined) throw badRequest(`deployment "${d.ID}" has no task group "${g}" to promote`, 'Groups');
  }
  const canaries = new Set<string>();
  for (const state of Object.values(d.TaskGroups)) for (const c of state.PlacedCanaries ?? []) canaries.add(c);

  const unhealthy: string[] = [];
  const promotable: Allocation[] = [];
  for (const id of txn.allocIdsByDeployment(d.ID)) {
    const alloc = txn.alloc(id);
    if (alloc === undefined || !canaries.has(alloc.ID)) continue;
    if (!all && !wanted.has(alloc.TaskGroup)) continue;
    if (allocTerminal(alloc) || alloc.DeploymentStatus?.Healthy !== true) {
      unhealthy.push(`Canary allocation "${alloc.ID}" for group "${alloc.TaskGroup}" is not healthy`);
      continue;
    }
    promotable.push(alloc);
  }
  if (unhealthy.length > 0) throw new MultiError(unhealthy);
  if (promotable.length === 0) throw badRequest('no canaries to promote');

  const taskGroups: Record<string, DeploymentState> = {};
  for (const [tg, state] of Object.entries(d.TaskGroups)) {
    if (!all && !wanted.has(tg)) {
      taskGroups[tg] = state;
      continue;
    }
    const next = { ...state, Promoted: true };
    // Promotion restarts the progress clock (only when the entry says when it happened).
    if (timestampNs !== undefined && next.ProgressDeadline > 0 && parseRfc3339Ns(next.RequireProgressBy) !== null) {
      next.RequireProgressBy = formatRfc3339Ns(nsToBigInt(timestampNs) + BigInt(Math.round(next.ProgressDeadline)));
    }
    taskGroups[tg] = next;
  }
  let description = d.StatusDescription;
  if (description === DeploymentDescriptions.runningNeedsPromotion || description === DeploymentDescriptions.runningAutoPromotion) {
    description = DeploymentDescriptions.running;
  }
  upsertDeployment(ctx, { ...d, TaskGroups: taskGroups, StatusDescription: description }, 'Deployment');

  for (const alloc of promotable) {
    txn.putAlloc({
      ...alloc,
      DeploymentStatus: { ...alloc.DeploymentStatus!, Canary: false, ModifyIndex: index },
      ModifyIndex: index,
      AllocModifyIndex: index,
    });
  }
  txn.touch('allocs');
}

/** Sets the health of allocations as the deployment watcher decided it. */
export function setAllocHealth(
  ctx: ApplyContext,
  deploymentId: string,
  healthyIds: readonly string[],
  unhealthyIds: readonly string[],
  timestampNs: number,
): void {
  const { txn, index } = ctx;
  if (txn.deployment(deploymentId) === undefined) throw notFound(`deployment ID "${deploymentId}" does not exist`);
  const timestamp = formatRfc3339Ns(nsToBigInt(timestampNs));
  const set = (id: string, healthy: boolean): void => {
    const old = txn.alloc(id);
    if (old === undefined) throw notFound(`unknown alloc "${id}"`);
    if (old.DeploymentID !== deploymentId) throw badRequest(`alloc "${id}" is not part of deployment "${deploymentId}"`);
    const next: Allocation = {
      ...old,
      DeploymentStatus: {
        Canary: old.DeploymentStatus?.Canary ?? false,
        Healthy: healthy,
        Timestamp: timestamp,
        ModifyIndex: index,
      },
      ModifyIndex: index,
    };
    updateDeploymentWithAlloc(ctx, next, old);
    txn.putAlloc(next);
  };
  for (const id of healthyIds) set(id, true);
  for (const id of unhealthyIds) set(id, false);
  if (healthyIds.length + unhealthyIds.length > 0) txn.touch('allocs');
}
