// An allocation's client status from its tasks' states, with Nomad's descriptions.
import type { AllocClientStatus, TaskState } from '../structs/alloc.js';

export const AllocDescriptions = {
  failed: 'Failed tasks',
  running: 'Tasks are running',
  pending: 'No tasks have started',
  complete: 'All tasks have completed',
} as const;

export function aggregateClientStatus(states: Iterable<TaskState>): { status: AllocClientStatus; description: string } {
  let pending = false;
  let running = false;
  let dead = false;
  let failed = false;
  for (const s of states) {
    if (s.State === 'running') running = true;
    else if (s.State === 'pending') pending = true;
    else if (s.Failed) failed = true;
    else dead = true;
  }
  if (failed) return { status: 'failed', description: AllocDescriptions.failed };
  if (running) return { status: 'running', description: AllocDescriptions.running };
  if (pending) return { status: 'pending', description: AllocDescriptions.pending };
  if (dead) return { status: 'complete', description: AllocDescriptions.complete };
  return { status: 'pending', description: '' };
}
