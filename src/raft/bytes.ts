// Byte helpers over plain Uint8Array (Node's Buffer is a Uint8Array at run time,
// but the typings in use do not always say so).

export function asBytes(b: Buffer | Uint8Array): Uint8Array {
  return b as unknown as Uint8Array;
}

export function concatBytes(parts: readonly Uint8Array[], totalBytes?: number): Uint8Array {
  const total = totalBytes ?? parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

export function readU32LE(b: Uint8Array, pos: number): number {
  return ((b[pos] as number) | ((b[pos + 1] as number) << 8) | ((b[pos + 2] as number) << 16)) + (b[pos + 3] as number) * 0x1000000;
}

export function writeU32LE(b: Uint8Array, pos: number, v: number): void {
  b[pos] = v & 0xff;
  b[pos + 1] = (v >>> 8) & 0xff;
  b[pos + 2] = (v >>> 16) & 0xff;
  b[pos + 3] = (v >>> 24) & 0xff;
}
