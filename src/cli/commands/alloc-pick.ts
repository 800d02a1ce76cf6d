// `-job`: commands that act on one allocation may name a job instead, and get one of its
// allocations, a running one when there is any (as Nomad picks: at random among them).
import type { NomadClient } from '../../api/index.js';
import type { Allocation } from '../../structs/index.js';
import type { Io } from '../context.js';
import { errText } from '../base.js';
import { SHORT_ID_LENGTH } from '../format.js';
import { formatAllocList } from '../views.js';
import { resolveAlloc } from './alloc-status.js';

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

/**
 * The allocation a command's first argument names: an ID or prefix, or with -job a job whose
 * allocation is picked. Prints the problem and returns the exit code when there is none.
 */
export async function allocFromArg(client: NomadClient, io: Io, given: string, byJob: boolean): Promise<Allocation | number> {
  let id = given;
  if (byJob) {
    const picked = await randomJobAllocId(client, given);
    if ('error' in picked) {
      io.err(`Error fetching allocations: ${picked.error}`);
      return 1;
    }
    id = picked.id;
  }
  const found = await resolveAlloc(client, io, id);
  if ('code' in found) return found.code;
  if ('multiple' in found) {
    io.err(`Prefix matched multiple allocations\n\n${formatAllocList(found.multiple, false, SHORT_ID_LENGTH, io.nowMs())}`);
    return 1;
  }
  return found.alloc;
}
