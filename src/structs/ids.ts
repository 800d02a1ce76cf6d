// Identifiers in Nomad's form: 36-character UUIDs, shown by the CLI as their first 8 characters.
import { randomUUID } from 'node:crypto';

export function generateId(): string {
  return randomUUID();
}

export function shortId(id: string, length = 8): string {
  return id.length > length ? id.slice(0, length) : id;
}

/** Nomad accepts an ID prefix of an even number of hex digits (or any prefix of a name). */
export function isUuidLike(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}
