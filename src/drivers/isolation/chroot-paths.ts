// Inside the chroot the task dir is "/", its local dir "/local" and the shared alloc dir
// "/alloc". The task runner builds env and config with host paths (right for raw_exec), so an
// isolating driver maps those host paths to where the task sees them.
import { join } from 'node:path';

export interface ChrootPathMap {
  taskDir: string;
  allocShared: string;
}

/** Rewrites host paths of the task and alloc dirs found in a string to their chroot paths. */
export function toChrootPath(value: string, m: ChrootPathMap): string {
  let out = value.split(m.allocShared).join('/alloc');
  // The task dir itself is the chroot's root: "<taskDir>/local/x" -> "/local/x", "<taskDir>" -> "/".
  out = out.split(m.taskDir + '/').join('/');
  return out === m.taskDir ? '/' : out.split(m.taskDir).join('/');
}

const NOMAD_DIR_VARS: Record<string, string> = { NOMAD_ALLOC_DIR: '/alloc', NOMAD_TASK_DIR: '/local', NOMAD_SECRETS_DIR: '/secrets' };

export const DEFAULT_TASK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function chrootEnv(env: Record<string, string>, m: ChrootPathMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = NOMAD_DIR_VARS[k] ?? toChrootPath(v, m);
  // Without the host's environment the task would have no PATH at all.
  if (!out['PATH']) out['PATH'] = DEFAULT_TASK_PATH;
  if (!out['HOME']) out['HOME'] = '/';
  return out;
}

/** The shared alloc dir of an allocation, from the alloc dir root the runner hands over. */
export function allocSharedDir(allocDir: string): string {
  return join(allocDir, 'alloc');
}
