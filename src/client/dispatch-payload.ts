// The payload a dispatched job carries, written where its task's dispatch_payload block says,
// below the task's local/ directory, before the task starts.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { Job, Task } from '../structs/job.js';

/** Writes the payload (when the job has one and the task asks for it); returns the path written. */
export async function writeDispatchPayload(job: Job, task: Task, taskDir: string, localDir: string): Promise<string | null> {
  const file = task.DispatchPayload?.File;
  if (!file || !job.Payload) return null;
  const dest = resolve(localDir, file.replace(/^\/+/, ''));
  // Validation refuses such paths at registration; a job stored before that must not escape either.
  if (relative(taskDir, dest).startsWith('..')) throw new Error(`dispatch payload path ${JSON.stringify(file)} escapes the task directory`);
  await mkdir(dirname(dest), { recursive: true });
  await writeFile(dest, Buffer.from(job.Payload, 'base64') as unknown as Uint8Array, { mode: 0o644 });
  return dest;
}
