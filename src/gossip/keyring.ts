// The shared-key keyring (Nomad's `encrypt`): AES-GCM with 16/24/32-byte keys. Packets are sealed
// with the primary key and opened with any installed key, so a new key can be installed
// everywhere, then made primary everywhere, then the old one removed, without a gap.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { concatBytes, equalBytes, toBytes } from './bytes.js';

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes sealing adds to a message: version, nonce, auth tag. */
export const ENCRYPTION_OVERHEAD_BYTES = 1 + NONCE_BYTES + TAG_BYTES;
/** Bound on installed keys: every packet may be tried against each one. */
const MAX_KEYS = 16;

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

export function parseKey(base64: string): Uint8Array {
  if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64.trim())) throw new KeyringError('key is not valid base64');
  const key = toBytes(Buffer.from(base64.trim(), 'base64'));
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new KeyringError(`key must be 16, 24 or 32 bytes, got ${key.length}`);
  }
  return key;
}

function cipherName(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  return key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
}

export interface KeyringListing {
  readonly keys: string[];
  readonly primaryKey: string | null;
}

export class Keyring {
  /** Primary first. */
  private keys: Uint8Array[] = [];

  constructor(keysBase64: readonly string[] = []) {
    for (const k of keysBase64) this.install(k);
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  install(base64: string): void {
    const key = parseKey(base64);
    if (this.keys.some((k) => equalBytes(k, key))) return;
    if (this.keys.length >= MAX_KEYS) throw new KeyringError(`keyring holds at most ${MAX_KEYS} keys`);
    this.keys.push(key);
  }

  use(base64: string): void {
    const key = parseKey(base64);
    const i = this.keys.findIndex((k) => equalBytes(k, key));
    if (i < 0) throw new KeyringError('key is not installed');
    this.keys.splice(i, 1);
    this.keys.unshift(key);
  }

  remove(base64: string): void {
    const key = parseKey(base64);
    const i = this.keys.findIndex((k) => equalBytes(k, key));
    if (i < 0) throw new KeyringError('key is not installed');
    if (i === 0) throw new KeyringError('removing the primary key is not allowed');
    this.keys.splice(i, 1);
  }

  list(): KeyringListing {
    return { keys: this.keys.map(toBase64), primaryKey: this.keys[0] === undefined ? null : toBase64(this.keys[0]) };
  }

  seal(plain: Uint8Array): Uint8Array {
    const key = this.keys[0];
    if (key === undefined) return plain;
    const nonce = toBytes(randomBytes(NONCE_BYTES));
    const cipher = createCipheriv(cipherName(key), key, nonce);
    cipher.setAAD(Uint8Array.of(VERSION));
    return concatBytes([Uint8Array.of(VERSION), nonce, toBytes(cipher.update(plain)), toBytes(cipher.final()), toBytes(cipher.getAuthTag())]);
  }

  /** The plaintext, or null when no installed key opens it (tampered, foreign, or wrong key). */
  open(data: Uint8Array): Uint8Array | null {
    if (this.keys.length === 0) return data;
    if (data.length < ENCRYPTION_OVERHEAD_BYTES || data[0] !== VERSION) return null;
    const nonce = data.subarray(1, 1 + NONCE_BYTES);
    const body = data.subarray(1 + NONCE_BYTES, data.length - TAG_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    for (const key of this.keys) {
      try {
        const d = createDecipheriv(cipherName(key), key, nonce);
        d.setAAD(Uint8Array.of(VERSION));
        d.setAuthTag(tag);
        const head = toBytes(d.update(body));
        return concatBytes([head, toBytes(d.final())]);
      } catch {
        // Wrong key: try the next one.
      }
    }
    return null;
  }
}

function toBase64(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64');
}
