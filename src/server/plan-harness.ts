// What `job plan` runs the scheduler with: a state that shows the submitted job as if it were
// registered, and a planner that records the plan and commits nothing.
import type { Evaluation } from '../structs/evaluation.js';
import type { Job } from '../structs/job.js';
import type { Plan, PlanResult } from '../structs/plan.js';
import type { Planner } from '../scheduler/planner.js';
import type { StateReader } from '../state/reader.js';

export class RecordingPlanner implements Planner {
  plans: Plan[] = [];
  evalUpdates: Evaluation[] = [];
  createdEvals: Evaluation[] = [];

  constructor(private readonly snap: StateReader) {}

  async submitPlan(plan: Plan): Promise<{ result: PlanResult; newState: StateReader | null }> {
    this.plans.push(plan);
    // Everything "fits": a dry run reports what the scheduler wants, not what a race would allow.
    const result: PlanResult = {
      NodeUpdate: plan.NodeUpdate,
      NodeAllocation: plan.NodeAllocation,
      NodePreemptions: plan.NodePreemptions,
      Deployment: plan.Deployment,
      DeploymentUpdates: plan.DeploymentUpdates,
      RejectedNodes: [],
      RefreshIndex: 0,
      AllocIndex: this.snap.latestIndex(),
    };
    return { result, newState: null };
  }

  async updateEval(ev: Evaluation): Promise<void> {
    this.evalUpdates.push(ev);
  }

  async createEval(ev: Evaluation): Promise<void> {
    this.createdEvals.push(ev);
  }

  async reblockEval(): Promise<void> {}
}

/** A reader that answers for one job with the given (unregistered) version; all else unchanged. */
export function withJob(base: StateReader, job: Job): StateReader {
  const same = (ns: string, id: string): boolean => ns === job.Namespace && id === job.ID;
  return new Proxy(base, {
    get(target, prop, receiver) {
      switch (prop) {
        case 'jobByID':
          return (ns: string, id: string) => (same(ns, id) ? job : target.jobByID(ns, id));
        case 'jobByIDAndVersion':
          return (ns: string, id: string, v: number) => (same(ns, id) && v === job.Version ? job : target.jobByIDAndVersion(ns, id, v));
        case 'jobVersions':
          return (ns: string, id: string) => {
            const vs = target.jobVersions(ns, id);
            return same(ns, id) ? [job, ...vs.filter((v) => v.Version !== job.Version)] : vs;
          };
        case 'jobs':
          return (ns?: string) => {
            const js = target.jobs(ns).filter((j) => !same(j.Namespace, j.ID));
            if (ns === undefined || ns === '*' || ns === job.Namespace) js.push(job);
            return js.sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
          };
        default: {
          const v = Reflect.get(target, prop, receiver);
          return typeof v === 'function' ? v.bind(target) : v;
        }
      }
    },
  });
}
