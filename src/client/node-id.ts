// The node's identity: persisted under the state dir so a restarted client is the same node
// to the servers (its allocations stay its own); random per start in dev mode, as Nomad.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateId, isUuidLike } from '../structs/ids.js';

export interface NodeIdentity {
  id: string;
  secretId: string;
}

async function readOrCreate(path: string): Promise<string> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (isUuidLike(text)) return text;
  } catch {
    // missing: create below
  }
  const id = generateId();
  await writeFile(path, id, { mode: 0o600 });
  return id;
}

export async function loadNodeIdentity(stateDir: string, devMode: boolean): Promise<NodeIdentity> {
  if (devMode) return { id: generateId(), secretId: generateId() };
  await mkdir(stateDir, { recursive: true });
  const [id, secretId] = await Promise.all([readOrCreate(join(stateDir, 'client-id')), readOrCreate(join(stateDir, 'secret-id'))]);
  return { id, secretId };
}
