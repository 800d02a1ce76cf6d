// Hash and identifier functions.

import { createRequire } from 'node:module';
import { fn, type HclFunction } from '../function.js';
import { str } from './args.js';

/** node:crypto is loaded on the first hash a job file asks for: a command that parses a job file starts sooner without it. */
let cryptoModule: typeof import('node:crypto') | null = null;
function nodeCrypto(): typeof import('node:crypto') {
  return (cryptoModule ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));
}

const hash = (algorithm: string): HclFunction => fn(['str'], (a) => nodeCrypto().createHash(algorithm).update(str(a, 0), 'utf8').digest('hex'));

export const cryptoFunctions: Record<string, HclFunction> = {
  md5: hash('md5'),
  sha1: hash('sha1'),
  sha256: hash('sha256'),
  sha512: hash('sha512'),
  uuidv4: fn([], () => (globalThis as unknown as { crypto: { randomUUID(): string } }).crypto.randomUUID()),
};
