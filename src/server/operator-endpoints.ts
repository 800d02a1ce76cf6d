// Operator writes that are not about jobs, nodes or deployments: the scheduler configuration and
// a forced garbage collection. Like every write they run on the leader.
import type { SchedulerConfiguration } from '../state/reader.js';
import { writeChecked, type ServerContext } from './context.js';
import type { CoreGc, GcResult } from './core-gc.js';

export class OperatorEndpoints {
  constructor(
    private readonly ctx: ServerContext,
    private readonly gc: CoreGc,
  ) {}

  async setSchedulerConfig(config: SchedulerConfiguration): Promise<{ Updated: boolean; Index: number }> {
    const index = await writeChecked(this.ctx, { Type: 'SchedulerConfig', Config: config });
    return { Updated: true, Index: index };
  }

  /** nomad system gc: a collection pass that ignores age thresholds. */
  forceGc(): Promise<GcResult> {
    return this.gc.run(true);
  }
}
