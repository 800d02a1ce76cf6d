// Follows an evaluation (and then the deployment it started) the way `nomad job run` does:
// "==> " lines for milestones, "    " lines for changes, polling once a second.
import type { AllocListStub, Evaluation } from '../structs/index.js';
import { evalTerminal } from '../structs/evaluation.js';
import { deploymentActive } from '../structs/deployment.js';
import type { NomadClient } from '../api/index.js';
import type { Io } from './context.js';
import { formatTime, limit } from './format.js';
import { failedNoun, formatAllocMetrics, groupDrivers, formatDeployment } from './views.js';

export const EVAL_POLL_INTERVAL_MS = 1000;
/** Bound on polls of one evaluation (a day at one poll a second). */
export const MAX_EVAL_POLLS = 86_400;
/** Blocking-query wait of the deployment monitor: it prints at least this often. */
export const DEPLOYMENT_WAIT_MS = 2000;
export const MAX_DEPLOYMENT_POLLS = 100_000;
/** Bound on following NextEval chains. */
const MAX_EVAL_CHAIN = 32;

interface AllocState {
  id: string;
  group: string;
  node: string;
  desired: string;
  client: string;
  clientDesc: string;
  createIndex: number;
}

interface EvalState {
  status: string;
  node: string;
  job: string;
  deployment: string;
  index: number;
  allocs: Map<string, AllocState>;
}

function initialState(): EvalState {
  return { status: 'pending', node: '', job: '', deployment: '', index: 0, allocs: new Map() };
}

export class EvalMonitor {
  private state = initialState();
  constructor(
    private readonly client: NomadClient,
    private readonly io: Io,
    private readonly idLength: number,
    /**
     * Deployment outcomes besides "successful" that mean the command did what it was asked: a
     * stop cancels the job's deployment, `deployment fail` fails it.
     */
    private readonly alsoAccepted: readonly string[] = [],
  ) {}

  private now(): string {
    return formatTime(this.io.nowMs());
  }
  private info(msg: string): void {
    this.io.out(`==> ${msg}`);
  }
  private output(msg: string): void {
    this.io.out(`    ${msg}`);
  }

  /** The drivers of the job's groups, to name in placement failures ({} when the job cannot be read). */
  private async jobDrivers(jobId: string): Promise<Record<string, string[]>> {
    try {
      return groupDrivers((await this.client.jobs.info(jobId)).body);
    } catch {
      return {};
    }
  }

  /** Returns the exit code: 0 done, 1 error or failed deployment, 2 placement failures. */
  async monitor(evalId: string, chain = 0): Promise<number> {
    let schedFailure = false;
    let evaluation: Evaluation | null = null;
    for (let polls = 0; polls < MAX_EVAL_POLLS; polls++) {
      try {
        evaluation = (await this.client.evaluations.info(evalId)).body;
      } catch {
        this.io.err(`No evaluation with id "${evalId}" found`);
        return 1;
      }
      this.info(`${this.now()}: Monitoring evaluation "${limit(evaluation.ID, this.idLength)}"`);
      let allocs: AllocListStub[];
      try {
        allocs = (await this.client.evaluations.allocations(evaluation.ID)).body ?? [];
      } catch (err) {
        this.io.err(`Error reading allocations: ${(err as Error).message}`);
        return 1;
      }
      this.update(evaluation, allocs);
      if (evalTerminal(evaluation)) break;
      await this.io.sleep(EVAL_POLL_INTERVAL_MS);
    }
    if (!evaluation || !evalTerminal(evaluation)) {
      this.io.err(`Gave up waiting for evaluation "${limit(evalId, this.idLength)}"`);
      return 1;
    }

    const failed = Object.keys(evaluation.FailedTGAllocs ?? {}).sort();
    const shortId = limit(evaluation.ID, this.idLength);
    if (failed.length === 0) {
      this.info(`${this.now()}: Evaluation "${shortId}" finished with status "${evaluation.Status}"`);
    } else {
      schedFailure = true;
      this.info(`${this.now()}: Evaluation "${shortId}" finished with status "${evaluation.Status}" but failed to place all allocations:`);
      const drivers = await this.jobDrivers(evaluation.JobID);
      for (const tg of failed) {
        const m = evaluation.FailedTGAllocs![tg]!;
        this.output(`${this.now()}: Task Group "${tg}" (failed to place ${failedNoun(m)}):`);
        const text = formatAllocMetrics(m, '  ', drivers[tg]);
        if (text) for (const line of text.split('\n')) this.output(line);
      }
      if (evaluation.BlockedEval) {
        this.output(`${this.now()}: Evaluation "${limit(evaluation.BlockedEval, this.idLength)}" waiting for additional capacity to place remainder`);
      }
    }

    if (evaluation.NextEval && chain < MAX_EVAL_CHAIN) {
      if (evaluation.Wait > 0) {
        this.info(`${this.now()}: Monitoring next evaluation "${limit(evaluation.NextEval, this.idLength)}" in ${Math.round(evaluation.Wait / 1e9)}s`);
        await this.io.sleep(evaluation.Wait / 1e6);
      }
      this.state = initialState();
      return this.monitor(evaluation.NextEval, chain + 1);
    }

    const deploymentId = this.state.deployment;
    if (deploymentId) {
      this.info(`${this.now()}: Monitoring deployment "${limit(deploymentId, this.idLength)}"`);
      // With placement failures the deployment cannot finish until capacity appears; show where
      // it stands once instead of waiting out its progress deadline.
      const status = await monitorDeployment(this.client, this.io, deploymentId, this.idLength, schedFailure ? 1 : MAX_DEPLOYMENT_POLLS);
      if (schedFailure) return 2;
      if (status !== 'successful' && !this.alsoAccepted.includes(status)) return 1;
    }
    return schedFailure ? 2 : 0;
  }

  private update(e: Evaluation, allocs: AllocListStub[]): void {
    const prev = this.state;
    const next: EvalState = {
      status: e.Status,
      node: e.NodeID,
      job: e.JobID,
      deployment: e.DeploymentID,
      index: e.CreateIndex,
      allocs: new Map(),
    };
    for (const a of allocs) {
      next.allocs.set(a.ID, {
        id: a.ID,
        group: a.TaskGroup,
        node: a.NodeID,
        desired: a.DesiredStatus,
        client: a.ClientStatus,
        clientDesc: a.ClientDescription,
        createIndex: a.CreateIndex,
      });
    }
    const t = this.now();
    if (!prev.node && next.node) this.output(`${t}: Evaluation triggered by node "${limit(next.node, this.idLength)}"`);
    if (!prev.job && next.job) this.output(`${t}: Evaluation triggered by job "${next.job}"`);
    if (!prev.deployment && next.deployment) this.output(`${t}: Evaluation within deployment: "${limit(next.deployment, this.idLength)}"`);
    for (const a of next.allocs.values()) {
      const old = prev.allocs.get(a.id);
      if (!old) {
        if (a.createIndex < next.index) {
          this.output(`${t}: Allocation "${limit(a.id, this.idLength)}" modified: node "${limit(a.node, this.idLength)}", group "${a.group}"`);
        } else if (a.desired === 'run') {
          this.output(`${t}: Allocation "${limit(a.id, this.idLength)}" created: node "${limit(a.node, this.idLength)}", group "${a.group}"`);
        }
      } else if (old.client !== a.client) {
        const desc = a.clientDesc ? ` (${a.clientDesc})` : '';
        this.output(`${t}: Allocation "${limit(a.id, this.idLength)}" status changed: "${old.client}" -> "${a.client}"${desc}`);
      }
    }
    if (prev.status && next.status !== 'pending' && prev.status !== next.status) {
      this.output(`${t}: Evaluation status changed: "${prev.status}" -> "${next.status}"`);
    }
    this.state = next;
  }
}

/**
 * Prints the deployment after every change (or every DEPLOYMENT_WAIT_MS) until it ends or
 * `maxPolls` answers were printed; returns its last status, or '' when it could not be read.
 */
export async function monitorDeployment(client: NomadClient, io: Io, deploymentId: string, idLength: number, maxPolls = MAX_DEPLOYMENT_POLLS): Promise<string> {
  let index = 0;
  for (let polls = 0; polls < maxPolls; polls++) {
    let d;
    try {
      const ans = await client.deployments.info(deploymentId, { index, waitMs: DEPLOYMENT_WAIT_MS, stale: true });
      d = ans.body;
      index = ans.meta.lastIndex;
    } catch {
      io.err(`==> ${formatTime(io.nowMs())}: Error fetching deployment`);
      return '';
    }
    io.out(`    \n${formatTime(io.nowMs())}\n${formatDeployment(d, idLength)}`);
    if (!deploymentActive(d)) return d.Status;
  }
  return 'running';
}
