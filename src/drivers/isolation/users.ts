// Resolves the user a task runs as from the host's /etc/passwd, so that a missing user is a
// clear start error rather than a failure deep inside the launcher.
import { readFile } from 'node:fs/promises';

export interface UserIds {
  name: string;
  uid: number;
  gid: number;
}

export function parsePasswd(text: string, user: string): UserIds | null {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4) continue;
    if (f[0] === user || (/^\d+$/.test(user) && f[2] === user)) return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) };
  }
  return /^\d+$/.test(user) ? { name: user, uid: Number(user), gid: Number(user) } : null;
}

export async function lookupUser(user: string, passwdPath = '/etc/passwd'): Promise<UserIds | null> {
  let text = '';
  try {
    text = await readFile(passwdPath, 'utf8');
  } catch {
    // No passwd file: only numeric users can be resolved.
  }
  return parsePasswd(text, user);
}
