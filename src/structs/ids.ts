// Identifiers in Nomad's form: 36-character UUIDs, shown by the CLI as their first 8 characters.
// The global Web Crypto object: node:crypto itself (several milliseconds to load) stays out of
// the CLI's start.
// (Read when called: the global is itself loaded on first access.)
export function generateId(): string {
  return (globalThis as unknown as { crypto: { randomUUID(): string } }).crypto.randomUUID();
}

export function shortId(id: string, length = 8): string {
  return id.length > length ? id.slice(0, length) : id;
}

/** Nomad accepts an ID prefix of an even number of hex digits (or any prefix of a name). */
export function isUuidLike(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}
