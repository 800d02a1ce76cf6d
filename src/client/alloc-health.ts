// Deployment health of one allocation, judged from task states (there is no Consul here, so
// health_check = "checks" is judged the same way): healthy once every tracked task has been
// running for min_healthy_time; unhealthy when a task fails or healthy_deadline passes first.
import type { TaskState } from '../structs/alloc.js';

export interface HealthTrackerOptions {
  minHealthyTimeMs: number;
  healthyDeadlineMs: number;
  onResult: (healthy: boolean) => void;
}

export interface TrackedTask {
  state: TaskState;
  /** Prestart tasks that are not sidecars count as healthy once they completed successfully. */
  ephemeral: boolean;
}

export class AllocHealthTracker {
  private minTimer: NodeJS.Timeout | null = null;
  private readonly deadlineTimer: NodeJS.Timeout;
  private decided = false;
  private restartsSeen = -1;

  constructor(private readonly opts: HealthTrackerOptions) {
    this.deadlineTimer = setTimeout(() => this.decide(false), Math.max(0, opts.healthyDeadlineMs));
  }

  get done(): boolean {
    return this.decided;
  }

  /** Called on every task state change with the tasks that count for health. */
  observe(tasks: TrackedTask[]): void {
    if (this.decided) return;
    let allUp = tasks.length > 0;
    let restarts = 0;
    for (const t of tasks) {
      restarts += t.state.Restarts;
      if (t.state.Failed) return this.decide(false);
      const up = t.ephemeral ? t.state.State === 'dead' : t.state.State === 'running';
      if (!up) allUp = false;
    }
    // A restart starts the min_healthy_time wait over.
    if (restarts !== this.restartsSeen && this.minTimer) this.clearMin();
    this.restartsSeen = restarts;
    if (!allUp) return this.clearMin();
    if (!this.minTimer) this.minTimer = setTimeout(() => this.decide(true), Math.max(0, this.opts.minHealthyTimeMs));
  }

  private clearMin(): void {
    if (this.minTimer) clearTimeout(this.minTimer);
    this.minTimer = null;
  }

  private decide(healthy: boolean): void {
    if (this.decided) return;
    this.decided = true;
    this.stop();
    this.opts.onResult(healthy);
  }

  stop(): void {
    this.clearMin();
    clearTimeout(this.deadlineTimer);
  }
}
