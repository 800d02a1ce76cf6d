// `-job`: commands that act on one allocation may name a job instead, and get one of its
// allocations, a running one when there is any (as Nomad picks: at random among them).
import type { NomadClient } from '../../api/index.js';
import { errText } from '../base.js';

export async function randomJobAllocId(client: NomadClient, jobId: string): Promise<{ id: string } | { error: string }> {
  let allocs;
  try {
    allocs = (await client.jobs.allocations(jobId, false)).body ?? [];
  } catch (err) {
    return { error: `error querying job "${jobId}": ${errText(err)}` };
  }
  if (allocs.length === 0) return { error: `job "${jobId}" doesn't exist or it has no allocations` };
  const running = allocs.filter((a) => a.ClientStatus === 'running');
  const pool = running.length > 0 ? running : allocs;
  return { id: pool[Math.floor(Math.random() * pool.length)]!.ID };
}
